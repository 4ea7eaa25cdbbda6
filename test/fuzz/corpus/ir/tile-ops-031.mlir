// A linear layer y = x @ W^T as a tiled GEMM: x is [tokens, 5120] bf16, W is
