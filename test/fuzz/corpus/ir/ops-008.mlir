// Plain q_proj (V2-Lite), latent cache, and the absorbed form with the
