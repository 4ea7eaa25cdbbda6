// blocks (1408 = 1024 + 384, so the second block is masked). Math in f32.
