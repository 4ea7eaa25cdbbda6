// RMSNorm, one program per token row:
