// The gated activation of a DeepSeek-V2-Lite expert, h = silu(g) * u, over
