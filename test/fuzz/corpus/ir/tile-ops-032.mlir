// [1536, 5120] bf16 (nn.Linear layout, so the K x N tile of W^T is loaded by
