// (DeepSeek-V2-Lite: 2048 is, a 1400-wide test model is not) the last block
