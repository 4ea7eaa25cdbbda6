// pointer arithmetic), y is [tokens, 1536] f32. Each program owns a 32 x 64
