// with tile.dot in f32. Rows past `tokens` are masked.
