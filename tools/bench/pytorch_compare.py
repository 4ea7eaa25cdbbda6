#!/usr/bin/env python3
"""Helper of tools/bench/pytorch_compare.sh (a benchmark, not a test).

Subcommands:
  make-ckpt DIR [--layers 4] [--seed 0] [--dtype bf16|fp32]
      Writes a DeepSeek-V2-Lite-shaped random Hugging Face checkpoint (config.json +
      model.safetensors): hidden 2048, 16 heads, q_lora_rank null, kv_lora_rank 512,
      qk_nope/qk_rope/v head dims 128/64/128, 64 routed experts top-6 + 2 shared,
      intermediate 10944 (dense) / 1408 (moe), first_k_dense_replace 1, vocabulary 102400,
      DeepSeek-V2-Lite's router and YaRN settings. Weights: the scales of
      test/fixtures/make_fixtures.py (N(0, 1/fan_in) linears, ...), from torch.Generator seed.
  torch DIR --dtype bf16|fp32 --batch B --ctx C --decode N --threads T
      Hugging Face transformers DeepseekV2ForCausalLM, eager attention and eager experts, with
      make_fixtures.py's patch_transformers() applied (the same model dsv2c compiles),
      model.eval(), torch.no_grad(), use_cache=True. Prompt = B x C ids (the same formula as the
      shell script), one prefill forward, then N greedy single-token decode steps.
      Prints one line `key=value ...` (prefill/decode tokens/s, peak RSS) and the generated ids.
  roofline DIR --wbytes 2|4 --kvbytes K --ctx C --batch B
      Bytes of weights + KV cache touched by one decode step, from config.json.
  membw [--gib 1] [--repeat 3]
      numpy streaming read (fallback when no C compiler): best of N sums of a GiB float32 array.
"""

import argparse
import importlib.util
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LITE = dict(vocab_size=102400, hidden_size=2048, intermediate_size=10944,
            moe_intermediate_size=1408, num_hidden_layers=4, num_attention_heads=16,
            q_lora_rank=None, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64,
            v_head_dim=128, n_routed_experts=64, n_shared_experts=2, num_experts_per_tok=6,
            first_k_dense_replace=1, moe_layer_freq=1, topk_method="greedy", n_group=1,
            topk_group=1, routed_scaling_factor=1.0, norm_topk_prob=False, rope_theta=10000.0,
            rope_scaling={"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
                          "beta_fast": 32, "beta_slow": 1, "mscale": 0.707,
                          "mscale_all_dim": 0.707},
            max_position_embeddings=163840, rms_norm_eps=1e-6)


def fixtures_module():
    """test/fixtures/make_fixtures.py as a module (hf_config, weight_shapes, patch_transformers)."""
    import torch
    spec = importlib.util.spec_from_file_location(
        "make_fixtures", ROOT / "test" / "fixtures" / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # make_fixtures pins one thread and deterministic algorithms for bit-exact goldens; undo that.
    torch.use_deterministic_algorithms(False)
    return mod


def prompt_ids(batch, ctx, vocab=102400):
    """Sequence b, position i: ((b * ctx + i) * 7919 + 13) % vocab (same as the shell script)."""
    return [[((b * ctx + i) * 7919 + 13) % vocab for i in range(ctx)] for b in range(batch)]


def cmd_make_ckpt(a):
    import torch
    from safetensors.torch import save_file
    mf = fixtures_module()
    torch.set_num_threads(os.cpu_count() or 1)
    cfg = dict(LITE, num_hidden_layers=a.layers)
    dtype = {"bf16": "bfloat16", "fp32": "float32"}[a.dtype]
    spec = dict(cfg=cfg, dtype=dtype, seed=a.seed)
    d = Path(a.dir)
    d.mkdir(parents=True, exist_ok=True)
    conf = mf.hf_config(spec)
    conf["bos_token_id"], conf["eos_token_id"] = 100000, 100001  # DeepSeek-V2-Lite's
    g = torch.Generator().manual_seed(a.seed)
    W = {}
    t0 = time.time()
    for name, shape, kind in mf.weight_shapes(cfg):
        z = torch.randn(shape, generator=g, dtype=torch.float32)
        if kind == "norm":
            t = 1.0 + 0.1 * z
        elif kind == "embed":
            t = z
        elif kind == "gate":
            t = 0.3 * z
        elif kind == "lm_head":
            t = 0.35 * z * math.sqrt(64.0 / cfg["hidden_size"])
        else:
            t = z / math.sqrt(shape[1])
        W[name] = t.to(torch.bfloat16 if a.dtype == "bf16" else torch.float32).contiguous()
        del z, t
    n = sum(t.numel() for t in W.values())
    save_file(W, str(d / "model.safetensors"), metadata={"format": "pt"})
    (d / "config.json").write_text(json.dumps(conf, indent=2) + "\n")
    print(f"checkpoint {d}: {n} parameters ({n / 1e9:.3f} G), {a.dtype}, seed {a.seed}, "
          f"{time.time() - t0:.1f} s")


def cmd_torch(a):
    import torch
    mf = fixtures_module()
    torch.set_num_threads(a.threads)
    mf.patch_transformers()
    from transformers import DeepseekV2ForCausalLM
    import transformers.utils.logging as tl
    tl.set_verbosity_error()
    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[a.dtype]
    t0 = time.time()
    model = DeepseekV2ForCausalLM.from_pretrained(
        a.dir, dtype=dtype, attn_implementation="eager", experts_implementation="eager")
    model.eval()
    load_s = time.time() - t0
    ids = torch.tensor(prompt_ids(a.batch, a.ctx, model.config.vocab_size), dtype=torch.long)
    out = []
    with torch.no_grad():
        t0 = time.perf_counter()
        # logits_to_keep=1: what generate() asks for at prefill (logits of the last position only).
        r = model(input_ids=ids, use_cache=True, logits_to_keep=1)
        nxt = r.logits[:, -1, :].argmax(-1, keepdim=True)
        prefill_s = time.perf_counter() - t0
        past = r.past_key_values
        out.append(nxt)
        pos = a.ctx
        t0 = time.perf_counter()
        for _ in range(a.decode - 1):
            r = model(input_ids=nxt, past_key_values=past, use_cache=True,
                      cache_position=torch.tensor([pos]))
            past = r.past_key_values
            nxt = r.logits[:, -1, :].argmax(-1, keepdim=True)
            out.append(nxt)
            pos += 1
        decode_s = time.perf_counter() - t0
    steps = a.decode - 1
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"torch_prefill_tok_s={a.batch * a.ctx / prefill_s:.3f} prefill_s={prefill_s:.3f} "
          f"torch_decode_tok_s={(a.batch * steps / decode_s) if steps else 0:.3f} "
          f"decode_s={decode_s:.3f} decode_steps={steps} load_s={load_s:.1f} "
          f"peak_rss_mib={rss_kib / 1024:.0f}")
    gen = torch.cat(out, dim=1).tolist()
    for b, row in enumerate(gen):
        print(f"torch_ids[{b}]=" + ",".join(str(x) for x in row))


def decode_bytes(c, wbytes, kvbytes, ctx, batch):
    """Bytes one decode step of `batch` sequences at context `ctx` reads.

    Weights: embedding rows, every layer's attention (q_proj, kv_a, kv_b, o_proj, norms), the
    dense MLPs, each MoE layer's router + shared experts + the routed experts touched (batch 1:
    top_k of n_routed; batch B: the expected number of distinct experts under uniform routing,
    n * (1 - (1 - k/n)^B)), the final norm, lm_head. KV: ctx latent rows of (kv_lora_rank +
    qk_rope_head_dim) per layer per sequence."""
    H, N, L = c["hidden_size"], c["num_attention_heads"], c["num_hidden_layers"]
    P, R, V, C = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"], c["kv_lora_rank"]
    E, K, I, S = (c["n_routed_experts"], c["num_experts_per_tok"], c["moe_intermediate_size"],
                  c["n_shared_experts"])
    Q = c.get("q_lora_rank")
    attn = ((N * (P + R) * H) if not Q else (Q * H + Q + N * (P + R) * Q)) \
        + (C + R) * H + C + N * (P + V) * C + H * N * V + 2 * H
    k_eff = E * (1 - (1 - K / E) ** batch) if batch > 1 else K
    expert = 3 * H * I
    moe_layers = sum(1 for i in range(L) if i >= c["first_k_dense_replace"]
                     and i % c.get("moe_layer_freq", 1) == 0)
    dense_layers = L - moe_layers
    w = (batch * H + L * attn + dense_layers * 3 * H * c["intermediate_size"]
         + moe_layers * (E * H + S * expert + k_eff * expert) + H + c["vocab_size"] * H)
    kv = batch * ctx * L * (C + R) * kvbytes
    return w * wbytes, kv


def cmd_roofline(a):
    c = json.loads((Path(a.dir) / "config.json").read_text())
    w, kv = decode_bytes(c, a.wbytes, a.kvbytes, a.ctx, a.batch)
    print(f"weight_bytes={w:.0f} kv_bytes={kv:.0f} step_bytes={w + kv:.0f}")


def cmd_membw(a):
    import numpy as np
    x = np.ones(a.gib * (1 << 30) // 4, dtype=np.float32)
    best = 0.0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        x.sum()
        dt = time.perf_counter() - t0
        best = max(best, x.nbytes / dt / 1e9)
    print(f"membw_gbs={best:.2f} threads=1 method=numpy")


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    m = sp.add_parser("make-ckpt")
    m.add_argument("dir")
    m.add_argument("--layers", type=int, default=4)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--dtype", choices=["bf16", "fp32"], default="bf16")
    t = sp.add_parser("torch")
    t.add_argument("dir")
    t.add_argument("--dtype", choices=["bf16", "fp32"], required=True)
    t.add_argument("--batch", type=int, required=True)
    t.add_argument("--ctx", type=int, required=True)
    t.add_argument("--decode", type=int, required=True)
    t.add_argument("--threads", type=int, required=True)
    r = sp.add_parser("roofline")
    r.add_argument("dir")
    r.add_argument("--wbytes", type=int, required=True)
    r.add_argument("--kvbytes", type=int, required=True)
    r.add_argument("--ctx", type=int, required=True)
    r.add_argument("--batch", type=int, default=1)
    b = sp.add_parser("membw")
    b.add_argument("--gib", type=int, default=1)
    b.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    {"make-ckpt": cmd_make_ckpt, "torch": cmd_torch, "roofline": cmd_roofline,
     "membw": cmd_membw}[a.cmd](a)


if __name__ == "__main__":
    main()
