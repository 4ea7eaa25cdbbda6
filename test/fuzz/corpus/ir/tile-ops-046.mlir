// [tokens, 1408] bf16: grid x walks the tokens, grid y the 1024-wide column
