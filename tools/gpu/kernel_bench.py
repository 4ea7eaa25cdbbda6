"""Kernel benchmarks at DeepSeek-V2-Lite shapes, part of the GPU check
(tools/gpu/gpu_check.py, docs/gpu.md).

ENGINES/bench/lite2.dsv2 is a two-layer (one dense, one MoE) engine of
DeepSeek-V2-Lite's shapes whose weights are all one value (`dsv2c compile
--fill-weights`: its outputs mean nothing, its shapes and so its timings are
the model's; every router logit ties, so each token takes the first top-k
experts). Its weight file travels gzipped (a few MiB instead of 2 GiB) and
is unpacked here. One run as dsv2-run does it (decode steps as CUDA graphs)
gives tokens/s; one with DSV2_PROFILE_LAUNCHES=kernels times every kernel
between CUDA events, and each kernel instance's name carries its shape
parameters (in the order of their sorted names), from which:

- latent attention (decode): GB/s of the latent cache it reads (context x
  (C + R) x bytes per value per launch; the heads of a launch read the same
  rows, so this is the cache's bytes, not the requests; one head or a head
  group per program), and of the shares' records latent_attention_combine
  merges;
- GEMVs (gemv, expert_gemv_*; decode): GB/s of the weights they read;
- GEMMs (linear) and grouped GEMMs (grouped_*; prefill): TFLOP/s, next to
  torch.matmul / torch.bmm at the same shapes in the same run.

Twins of the same model, when the spec names them (TWINS), run the same two
ways: their tokens/s as a ratio to lite2's and their kernels' rates.
ENGINES/bench/lite2-int4.dsv2 ("int4_experts") has its routed experts in
int4 (`--quantize int4-experts`; the int4 expert kernels' GB/s count half a
byte per weight plus its group's f32 scale); ENGINES/bench/lite2-f32cache.dsv2
("f32_cache") keeps an f32 latent cache (`--kv-cache-dtype f32`), whose
decode attention runs on FMAs in groups of 8 heads where lite2's bf16 cache
runs on tensor cores in groups of 16: their decode ratio is the tensor
cores' gain at a 2K context.
"""

import gzip
import json
import os
import re
import shutil
import time

from rates import rate, rate_lines

BYTES = {"f32": 4, "bf16": 2, "i8": 1}
# The spec's twin engines of lite2.dsv2: key, and what differs.
TWINS = [("int4_experts", "--quantize int4-experts"),
         ("f32_cache", "--kv-cache-dtype f32 (decode attention on FMAs)")]
# Template parameters in the order they appear in instance names (sorted).
PARAMS = {
    "gemv": ["BATCH", "BK", "BN", "K", "N", "W"],
    "expert_gemv_gate_up": ["BK", "BN", "E", "H", "I", "K", "W"],
    "expert_gemv_down": ["BK", "BN", "E", "H", "HAS_SHARED", "I", "K", "W"],
    "latent_attention": ["BL", "C", "CB", "CT", "HEADS", "R", "RB", "SCALE", "SPLITS"],
    "latent_attention_grouped": ["BL", "C", "CB", "CT", "DOT", "GROUPS", "HEADS", "HG", "R",
                                 "RB", "SCALE", "SPLITS"],
    "latent_attention_combine": ["C", "CB", "HEADS", "SPLITS"],
    "linear": ["BK", "BM", "BN", "K", "N", "W"],
    "grouped_gate_up": ["BK", "BM", "BN", "E", "H", "I", "W"],
    "grouped_down": ["BK", "BM", "BN", "E", "H", "I", "W"],
    "expert_gemv_gate_up_i4": ["BK", "BN", "E", "G", "H", "I", "K"],
    "expert_gemv_down_i4": ["BK", "BN", "E", "G", "H", "HAS_SHARED", "I", "K"],
    "grouped_gate_up_i4": ["BK", "BM", "BN", "E", "G", "H", "I"],
    "grouped_down_i4": ["BK", "BM", "BN", "E", "G", "H", "I"],
}
ROW = re.compile(r"^\s*(prefill|decode)\s+(\S+) <- (\S+)\s+([0-9.]+) s\s+(\d+) launches")


def instance(name):
    """(kind, {param: value}) of a kernel instance name, or None."""
    parts = name.split("__")
    keys = PARAMS.get(parts[0])
    if not keys or len(parts) != len(keys) + 1:
        return None
    params = {}
    for key, text in zip(keys, parts[1:]):
        params[key] = int(text) if text.isdigit() else text
    return parts[0], params


def parse_profile(text):
    header = re.search(r"launch profile \((\d+) prefill, (\d+) decode steps", text)
    rows = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rows.append({"program": m.group(1), "kernel": m.group(2), "origin": m.group(3),
                         "seconds": float(m.group(4)), "launches": int(m.group(5))})
    return (int(header.group(2)) if header else 0), rows


def measure(rows, prompt, decode_steps, top_k):
    """Per kernel row: what it moved or computed, and the rate."""
    results = []
    for row in rows:
        parsed = instance(row["kernel"])
        if not parsed or row["seconds"] <= 0:
            continue
        kind, p = parsed
        # Int4 kernels (no W): half a byte per weight and 4 bytes per G.
        weight_bytes = (BYTES[p["W"]] if "W" in p
                        else 0.5 + 4.0 / p["G"] if "G" in p else None)
        kind = kind.removesuffix("_i4")
        n = row["launches"]
        entry = {"kernel": row["kernel"], "program": row["program"], "launches": n,
                 "seconds": row["seconds"]}
        if (row["program"] == "decode" and decode_steps
                and kind in ("latent_attention", "latent_attention_grouped")):
            layers = n / decode_steps
            # Step i attends to prompt + i + 1 positions.
            positions = sum(prompt + i + 1 for i in range(decode_steps)) * layers
            entry["bytes"] = positions * (p["C"] + p["R"]) * BYTES.get(p["CT"], 4)
        elif row["program"] == "decode" and kind == "latent_attention_combine":
            # The shares' records it merges (one token per decode step).
            entry["bytes"] = n * p["HEADS"] * p["SPLITS"] * (p["C"] + 2) * 4
        elif row["program"] == "decode" and kind == "gemv":
            entry["bytes"] = n * p["BATCH"] * p["N"] * p["K"] * BYTES[p["W"]]
        elif row["program"] == "decode" and kind == "expert_gemv_gate_up":
            entry["bytes"] = n * p["K"] * 2 * p["I"] * p["H"] * weight_bytes
        elif row["program"] == "decode" and kind == "expert_gemv_down":
            entry["bytes"] = n * p["K"] * p["H"] * p["I"] * weight_bytes
        elif row["program"] == "prefill" and kind == "linear":
            entry["shape"] = [1, prompt, p["N"], p["K"]]
            entry["flops"] = n * 2.0 * prompt * p["N"] * p["K"]
        elif row["program"] == "prefill" and kind in ("grouped_gate_up", "grouped_down"):
            out = 2 * p["I"] if kind == "grouped_gate_up" else p["H"]
            inner = p["H"] if kind == "grouped_gate_up" else p["I"]
            # Every token's top-k rows (the tied router sends each token to
            # the first k experts: k groups of `prompt` rows).
            entry["shape"] = [top_k, prompt, out, inner]
            entry["flops"] = n * 2.0 * top_k * prompt * out * inner
        else:
            continue
        if "bytes" in entry:
            entry["GBps"] = entry["bytes"] / row["seconds"] / 1e9
        if "flops" in entry:
            entry["TFLOPs"] = entry["flops"] / row["seconds"] / 1e12
        results.append(entry)
    return results


def torch_rates(shapes):
    """torch.matmul / torch.bmm TFLOP/s (bf16) at [batch, m, n, k] shapes."""
    import torch
    dev = torch.device("cuda")
    rates = {}
    for batch, m, n, k in shapes:
        x = torch.randn(batch, m, k, device=dev, dtype=torch.bfloat16)
        w = torch.randn(batch, k, n, device=dev, dtype=torch.bfloat16)
        fn = (lambda: torch.matmul(x[0], w[0])) if batch == 1 else (lambda: torch.bmm(x, w))
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(20):
            fn()
        stop.record()
        torch.cuda.synchronize()
        seconds = start.elapsed_time(stop) / 1e3 / 20
        rates[(batch, m, n, k)] = 2.0 * batch * m * n * k / seconds / 1e12
        del x, w
    return rates


def read_spec(engines):
    """ENGINES/bench/lite2.json, or None."""
    spec_path = os.path.join(engines, "bench", "lite2.json")
    if not os.path.exists(spec_path):
        return None
    with open(spec_path) as f:
        return json.load(f)


def unpack(engines, out, name):
    """Benchmark engine `name` beside its unpacked weight file, under OUT."""
    folder = os.path.join(engines, "bench")
    work = os.path.join(out, "bench")
    os.makedirs(work, exist_ok=True)
    engine = os.path.join(work, name)
    shutil.copyfile(os.path.join(folder, name), engine)
    with gzip.open(os.path.join(folder, name + ".rank0.weights.gz"), "rb") as src, \
            open(engine + ".rank0.weights", "wb") as dst:
        shutil.copyfileobj(src, dst, 16 << 20)
    return engine


def bench_engine(run, dsv2_run, engine, cmd_tail, spec, steps_deadline):
    """One engine's tokens/s run, then its per-kernel profile run."""
    result = {}
    cmd = [dsv2_run, engine] + cmd_tail
    rc, out, err, _ = run(cmd, min(120, steps_deadline - time.time()))
    result["speed"] = {"prefill": rate(err, "prefill"), "decode": rate(err, "decode")}
    if rc != 0:
        result["error"] = err.strip()[-500:]
        return result
    rc, out, err, _ = run(cmd + ["--quiet"], min(120, steps_deadline - time.time()),
                          {"DSV2_PROFILE_LAUNCHES": "kernels"})
    steps, rows = parse_profile(err)
    result["profile_note"] = (re.search(r"launch profile \((.*)\):", err) or [None, ""])[1]
    result["kernels"] = measure(rows, spec["prompt"], steps, spec["top_k"])
    return result


def run_bench(args, run, deadline, with_torch):
    spec = read_spec(args.engines)
    if not spec:
        return {"error": "no ENGINES/bench/lite2.json (tools/gpu/build-engines.sh builds it)"}
    try:
        engine = unpack(args.engines, args.out, "lite2.dsv2")
    except OSError as e:
        return {"error": f"unpacking the benchmark engine: {e}"}
    dsv2_run = os.path.join(args.engines, "dsv2-run")
    prompt, decode = spec["prompt"], spec["decode"]
    tokens = ",".join(str((i * 7919 + 13) % spec["vocab"]) for i in range(prompt))
    cmd_tail = ["--tokens", tokens, "--max-new-tokens", str(decode + 1), "--ignore-eos"]
    result = {"model": spec["model"], "prompt": prompt, "decode_steps": decode}
    # Each engine's two runs get an equal share of what is left.
    twins = [(key, spec[key]) for key, _ in TWINS if spec.get(key)]
    share = lambda left: (deadline - time.time()) / (left + 1)
    result.update(bench_engine(run, dsv2_run, engine, cmd_tail, spec,
                               time.time() + share(len(twins))))
    os.remove(engine + ".rank0.weights")  # 2 GiB, not a result
    if "error" in result:
        return result
    for i, (key, name) in enumerate(twins):
        if deadline - time.time() <= 20:
            break
        try:
            twin = unpack(args.engines, args.out, name)
            result[key] = bench_engine(run, dsv2_run, twin, cmd_tail, spec,
                                       time.time() + share(len(twins) - i - 1))
            os.remove(twin + ".rank0.weights")
        except OSError as e:
            result[key] = {"error": f"unpacking {name}: {e}"}
    if with_torch:
        shapes = sorted({tuple(k["shape"]) for k in result["kernels"] if "shape" in k})
        try:
            rates = torch_rates(shapes)
            for k in result["kernels"]:
                if "shape" in k:
                    k["torch_TFLOPs"] = rates[tuple(k["shape"])]
        except Exception as e:  # no torch: keep our figures
            result["torch_error"] = f"{type(e).__name__}: {e}"
    return result


def decode_ratio(bench, twin="int4_experts"):
    """The twin's decode tokens/s over lite2's, or None."""
    try:
        return (bench[twin]["speed"]["decode"]["tokens_per_s"]
                / bench["speed"]["decode"]["tokens_per_s"])
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def text_lines(bench, copy_gbps):
    lines = [f"kernels at {bench.get('model', '?')} shapes (tools/gpu/kernel_bench.py):"]
    lines.extend(engine_lines(bench, copy_gbps, "  "))
    for key, differs in TWINS:
        if key not in bench:
            continue
        ratio = decode_ratio(bench, key)
        lines.append(f"  the same with {differs}" +
                     (f" (decode {ratio:.2f}x the bf16 engine's tokens/s):"
                      if ratio else ":"))
        lines.extend(engine_lines(bench[key], copy_gbps, "    "))
    if bench.get("torch_error"):
        lines.append(f"  torch comparison: {bench['torch_error']}")
    return lines


def engine_lines(bench, copy_gbps, indent):
    lines = []
    if "error" in bench:
        lines.append(f"{indent}error: {bench['error']}")
    lines.extend(rate_lines(bench.get("speed") or {}, indent))
    if bench.get("profile_note"):
        lines.append(f"{indent}per kernel ({bench['profile_note']}):")
    for k in sorted(bench.get("kernels", []), key=lambda k: (k["program"], -k["seconds"])):
        per = k["seconds"] / k["launches"] * 1e6
        text = f"{indent}  {k['program']:7s} {k['kernel']}: {k['launches']} x {per:.1f} us"
        if "GBps" in k:
            text += f", {k['GBps']:.0f} GB/s"
            if copy_gbps:
                text += f" ({k['GBps'] / copy_gbps:.2f}x the copy's read + write)"
        if "TFLOPs" in k:
            text += f", {k['TFLOPs']:.1f} TFLOP/s"
            if k.get("torch_TFLOPs"):
                text += (f"; torch {k['torch_TFLOPs']:.1f} at {k['shape']}: "
                         f"{k['TFLOPs'] / k['torch_TFLOPs']:.2f}x")
        lines.append(text)
    return lines
