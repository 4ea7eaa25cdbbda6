// over column blocks of 1024 lanes. When `hidden` is not a multiple of 1024
