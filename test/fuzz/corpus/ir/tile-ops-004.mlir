// The default num_warps (4) is not printed; no block hint.
