// weights dsv2.split_kv_b derives from kv_b_proj.
