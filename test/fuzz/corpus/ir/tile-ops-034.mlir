// block of y; the K loop advances the pointer tiles by 32 and accumulates
