// The q_lora path with the per-head cache of the reference.
