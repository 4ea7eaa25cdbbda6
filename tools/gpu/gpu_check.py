#!/usr/bin/env python3
"""The GPU check (see docs/gpu.md): runs on a GPU machine without LLVM/MLIR.

1. Every golden fixture's prebuilt GPU engine (ENGINES/<fixture>.dsv2, from
   tools/gpu/build-engines.sh) is checked by test/e2e/golden_check.py with
   ENGINES/dsv2-run: one prefill and decode-splits 1 and 7 per case, within
   1e-4 x max|golden| with the same argmax at every position, and 12 greedy
   ids equal to the fixture's continuation. The quantized engines
   (ENGINES/<fixture>-int8.dsv2, ENGINES/<fixture>-int4-experts.dsv2)
   against the reference on the same weights (ENGINES/<scheme>-goldens/
   <fixture>/, computed by build-engines.sh): 1e-4, or 3e-2 for a bf16
   engine. The engines carry a cubin (ptxas on
   the build machine), which the runtime loads; an engine with one is also
   checked with its PTX JIT-compiled by the driver (DSV2_CUDA_CUBIN=0,
   decode-split 1), the fallback on devices the cubin does not fit.
2. Each engine's prefill and decode tokens/s (dsv2-run's summary: a prompt,
   then one-token decode steps, one sequence), decode again with every kernel
   launched on the stream (DSV2_CUDA_GRAPHS=0) for the CUDA graph's ratio,
   eight sequences of the prompt decoded together (decodeBatch steps),
   and a per-kernel profile
   (DSV2_PROFILE_LAUNCHES=1: every launch synchronized and timed).
3. Our kernels at DeepSeek-V2-Lite shapes (tools/gpu/kernel_bench.py, on
   ENGINES/bench/lite2.dsv2 and its twins, int4-experts lite2-int4.dsv2 and
   f32-cache lite2-f32cache.dsv2: decode tokens/s side by side): latent-attention decode and GEMV GB/s, GEMM
   and grouped-GEMM TFLOP/s next to torch.matmul at the same shapes.
4. PyTorch on the same GPU: device-to-device copy bandwidth (1 GiB) and bf16
   matmul TFLOP/s at DeepSeek-V2-like shapes (the roofline our kernels are
   measured against).

Writes OUT/gpu-check.json and OUT/gpu-check.txt and prints the text. Exit 1
if any golden check failed or an engine is missing.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import kernel_bench
from rates import rate, rate_lines


def run(cmd, timeout, env=None):
    start = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=max(timeout, 1),
                           env=None if env is None else {**os.environ, **env})
        return p.returncode, p.stdout, p.stderr, time.time() - start
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out, f"timed out after {timeout:.0f} s", time.time() - start
    except OSError as e:
        return 127, "", str(e), time.time() - start


def environment():
    env = {"python": sys.version.split()[0]}
    rc, out, _, _ = run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                         "--format=csv,noheader"], 30)
    env["nvidia-smi"] = out.strip() if rc == 0 else f"unavailable (exit {rc})"
    return env


# The --quantize schemes whose engines build-engines.sh writes.
QUANTIZE_SCHEMES = ["int8", "int4-experts"]


def check_engine(args, fixture, deadline, scheme=None):
    """scheme: None for the plain engine, else its --quantize value."""
    result = {"fixture": fixture + (f" (--quantize {scheme})" if scheme else "")}
    engine = os.path.join(args.engines, fixture + (f"-{scheme}" if scheme else "") + ".dsv2")
    dsv2_run = os.path.join(args.engines, "dsv2-run")
    if not os.path.exists(engine):
        result["status"] = "MISSING"
        return result
    rc, out, err, _ = run([dsv2_run, engine, "--info"], 30)
    result["info"] = out.splitlines()[:12] if rc == 0 else err.strip()
    positions = re.search(r"(\d+) positions x", out)
    golden = os.path.join(args.root, "test", "e2e", "golden_check.py")
    fixture_dir = os.path.join(args.root, "test", "fixtures", fixture)
    if scheme:
        # Against the reference on the same quantized weights (logits
        # computed by build-engines.sh); bf16 engines at the bf16 criterion.
        bf16 = re.search(r"^weights:\s+\S+\+bf16", out, re.M) is not None
        checks = ["--golden-dir", os.path.join(args.engines, f"{scheme}-goldens", fixture),
                  "--tolerance", "3e-2" if bf16 else "1e-4"]
    else:
        checks = ["--greedy-new-tokens", "12"]
    rc, out, err, seconds = run(
        [sys.executable, golden, "--fixture", fixture_dir, "--engine", engine,
         "--dsv2-run", dsv2_run, "--decode-splits", "1,7"] + checks,
        min(args.per_engine, deadline - time.time()))
    lines = [l for l in out.splitlines() if l.startswith(("PASS", "FAIL"))]
    result["golden"] = lines
    result["golden_seconds"] = round(seconds, 2)
    failed = rc != 0 or not lines or any(l.startswith("FAIL") for l in lines)
    result["status"] = "FAIL" if failed else "PASS"
    if rc not in (0, 1):
        result["error"] = err.strip()[-2000:]
    # An engine with a cubin ran it above; its PTX, JIT-compiled by the
    # driver, must match the goldens too (the fallback on other devices).
    if any("ptx + cubin" in l for l in result["info"]) and deadline - time.time() > 30:
        rc, out, err, _ = run(
            [sys.executable, golden, "--fixture", fixture_dir, "--engine", engine,
             "--dsv2-run", dsv2_run, "--decode-splits", "1"] + checks,
            min(args.per_engine, deadline - time.time()), {"DSV2_CUDA_CUBIN": "0"})
        jit = [l for l in out.splitlines() if l.startswith(("PASS", "FAIL"))]
        result["golden_ptx_jit"] = jit
        if rc != 0 or not jit or any(l.startswith("FAIL") for l in jit):
            result["status"] = "FAIL"

    # Speed: the longest case's prompt, then decode steps up to the context.
    with open(os.path.join(fixture_dir, "golden", "cases.json")) as f:
        case = max(json.load(f)["cases"], key=lambda c: c["prompt_len"])
    prompt = case["tokens"][:case["prompt_len"]]
    limit = int(positions.group(1)) if positions else len(prompt) + 16
    new = max(0, min(args.decode_tokens, limit - len(prompt) + 1))
    rc, out, err, _ = run([dsv2_run, engine, "--tokens", ",".join(map(str, prompt)),
                           "--max-new-tokens", str(new), "--ignore-eos"],
                          min(60, deadline - time.time()))
    result["speed"] = {"prefill": rate(err, "prefill"), "decode": rate(err, "decode")}
    launches = re.search(r"launches: (.*)", err)
    result["speed"]["decode_launches"] = launches.group(1) if launches else None
    kernels = re.search(r"kernels:  (.*)", err)
    result["speed"]["kernels"] = kernels.group(1) if kernels else None
    if rc != 0:
        result["speed"]["error"] = err.strip()[-500:]
    # The same decode with every kernel launched on the stream: what the
    # CUDA graph saves, side by side in this run.
    rc, out, err, _ = run([dsv2_run, engine, "--tokens", ",".join(map(str, prompt)),
                           "--max-new-tokens", str(new), "--ignore-eos"],
                          min(60, deadline - time.time()), {"DSV2_CUDA_GRAPHS": "0"})
    result["speed"]["decode_stream_launches"] = rate(err, "decode")
    # Eight sequences of that prompt: one decodeBatch step per round.
    batch_file = os.path.join(args.out, fixture + ".batch8.txt")
    with open(batch_file, "w") as f:
        f.write((",".join(map(str, prompt)) + "\n") * 8)
    rc, out, err, _ = run([dsv2_run, engine, "--tokens-file", batch_file,
                           "--max-new-tokens", str(new), "--ignore-eos"],
                          min(60, deadline - time.time()))
    result["speed"]["batch8"] = {"prefill": rate(err, "prefill"), "decode": rate(err, "decode")}
    # Per-kernel wall time (each launch synchronized), for kernel work.
    rc, out, err, _ = run([dsv2_run, engine, "--tokens", ",".join(map(str, prompt)),
                           "--max-new-tokens", str(min(new, 16)), "--ignore-eos", "--quiet"],
                          min(60, deadline - time.time()), {"DSV2_PROFILE_LAUNCHES": "1"})
    profile = err[err.find("launch profile"):] if "launch profile" in err else err[-500:]
    result["launch_profile"] = profile.strip().splitlines()
    return result


def torch_bench(args):
    import torch
    bench = {"torch": torch.__version__, "cuda": torch.version.cuda}
    if not torch.cuda.is_available():
        bench["error"] = "torch.cuda.is_available() is False"
        return bench
    dev = torch.device("cuda")
    bench["device"] = torch.cuda.get_device_name(0)

    def timed(fn, iters):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        stop.record()
        torch.cuda.synchronize()
        return start.elapsed_time(stop) / 1e3 / iters

    gib = 1 << 30
    a = torch.empty(gib, dtype=torch.uint8, device=dev)
    b = torch.empty_like(a)
    s = timed(lambda: b.copy_(a), 20)
    # A copy reads and writes every byte: 2 GiB of traffic per copy.
    bench["copy_1GiB"] = {"seconds": s, "GBps_read_plus_write": 2 * gib / s / 1e9}
    del a, b

    shapes = [
        ("dense 4096x5120x5120 (prefill projection)", 1, 4096, 5120, 5120),
        ("dense 8192x8192x8192 (peak)", 1, 8192, 8192, 8192),
        ("decode 64x5120x12288", 1, 64, 12288, 5120),
        ("grouped-like bmm 64x(128x1536x5120) (routed experts)", 64, 128, 1536, 5120),
    ]
    gemms = []
    for name, batch, m, n, k in shapes:
        if batch == 1:
            x = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
            w = torch.randn(k, n, device=dev, dtype=torch.bfloat16)
            fn = lambda: torch.matmul(x, w)
        else:
            x = torch.randn(batch, m, k, device=dev, dtype=torch.bfloat16)
            w = torch.randn(batch, k, n, device=dev, dtype=torch.bfloat16)
            fn = lambda: torch.bmm(x, w)
        s = timed(fn, 20)
        flops = 2.0 * batch * m * n * k
        bytes_moved = 2.0 * batch * (m * k + k * n + m * n)
        gemms.append({"shape": name, "batch": batch, "m": m, "n": n, "k": k,
                      "seconds": s, "TFLOPs": flops / s / 1e12,
                      "GBps": bytes_moved / s / 1e9})
        del x, w
    bench["bf16_matmul"] = gemms
    return bench


def text_report(report):
    lines = [f"GPU check ({report['seconds']:.0f} s)", f"  nvidia-smi: {report['environment']['nvidia-smi']}"]
    if "executor_test" in report:
        e = report["executor_test"]
        lines.append(f"CudaExecutor on this GPU (dsv2-cuda-unit-tests, hand-written PTX): {e['status']}")
        if e["status"] != "PASS":
            lines.extend("    " + l for l in e["output"])
    lines.append("engines vs golden logits (1e-4 x max|golden|, same argmax; 12 greedy ids):")
    for r in report["engines"]:
        lines.append(f"  {r['status']:7s} {r['fixture']}")
        for l in r.get("golden", []):
            lines.append(f"      {l}")
        for l in r.get("golden_ptx_jit", []):
            lines.append(f"      PTX JIT (DSV2_CUDA_CUBIN=0): {l}")
        if "error" in r:
            lines.append(f"      error: {r['error']}")
        sp = r.get("speed") or {}
        lines.extend(rate_lines(sp, "      "))
        if sp.get("kernels"):
            lines.append(f"      kernels: {sp['kernels']}")
        if sp.get("decode_launches"):
            lines.append(f"      launches: {sp['decode_launches']}")
        graph, plain = sp.get("decode"), sp.get("decode_stream_launches")
        if graph and plain and plain["tokens_per_s"] > 0:
            lines.append(f"      decode with stream launches (DSV2_CUDA_GRAPHS=0): "
                         f"{plain['tokens_per_s']:.1f} tokens/s; graph / stream = "
                         f"{graph['tokens_per_s'] / plain['tokens_per_s']:.2f}x")
        b8 = (sp.get("batch8") or {}).get("decode")
        if b8:
            lines.append(f"      decode, 8 sequences (decodeBatch): {b8['tokens']} tokens in "
                         f"{b8['seconds']:.4f} s = {b8['tokens_per_s']:.1f} tokens/s")
        if sp.get("error"):
            lines.append(f"      speed run failed: {sp['error']}")
        profile = r.get("launch_profile", [])
        if profile:
            rows = profile[1:]
            decode = [l for l in rows if l.strip().startswith("decode")][:8]
            prefill = [l for l in rows if l.strip().startswith("prefill")][:4]
            lines.append(f"      {profile[0]} (top 8 decode, top 4 prefill)")
            lines.extend("      " + l for l in decode + prefill)
    t = report.get("torch")
    if "kernel_bench" in report:
        copy = ((t or {}).get("copy_1GiB") or {}).get("GBps_read_plus_write")
        lines.extend(kernel_bench.text_lines(report["kernel_bench"], copy))
    if t:
        lines.append(f"PyTorch {t.get('torch')} (CUDA {t.get('cuda')}) on {t.get('device', '?')}:")
        if "error" in t:
            lines.append(f"  error: {t['error']}")
        if "copy_1GiB" in t:
            c = t["copy_1GiB"]
            lines.append(f"  copy 1 GiB device-to-device: {c['seconds'] * 1e3:.2f} ms = "
                         f"{c['GBps_read_plus_write']:.0f} GB/s (read + write)")
        for g in t.get("bf16_matmul", []):
            lines.append(f"  bf16 {g['shape']}: {g['seconds'] * 1e3:.3f} ms = {g['TFLOPs']:.1f} TFLOP/s"
                         f" ({g['GBps']:.0f} GB/s of operands)")
    lines.append(f"overall: {report['overall']}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help="the repository (fixtures, golden_check.py)")
    parser.add_argument("--engines", required=True, help="folder of <fixture>.dsv2 and dsv2-run")
    parser.add_argument("--out", required=True)
    parser.add_argument("--budget", type=float, default=345, help="seconds for everything")
    parser.add_argument("--per-engine", type=float, default=90, help="seconds per golden check")
    parser.add_argument("--decode-tokens", type=int, default=48)
    parser.add_argument("--skip-torch", action="store_true")
    args = parser.parse_args()

    start = time.time()
    # Keep a minute for PyTorch, which is quick but must not be starved, and
    # 90 s for the Lite-shaped kernel benchmarks (+30 s per twin engine).
    bench = os.path.isdir(os.path.join(args.engines, "bench"))
    bench_spec = kernel_bench.read_spec(args.engines) or {}
    twins = sum(1 for key, _ in kernel_bench.TWINS if bench_spec.get(key))
    bench_seconds = 90 + 30 * twins if bench else 0
    bench_deadline = start + args.budget - (0 if args.skip_torch else 60)
    engine_deadline = bench_deadline - bench_seconds
    report = {"environment": environment(), "engines": []}
    fixtures_dir = os.path.join(args.root, "test", "fixtures")
    fixtures = sorted(f for f in os.listdir(fixtures_dir)
                      if os.path.exists(os.path.join(fixtures_dir, f, "golden", "cases.json")))
    # The executor on this GPU with hand-written PTX (independent of codegen).
    unit = os.path.join(args.engines, "dsv2-cuda-unit-tests")
    if os.path.exists(unit):
        rc, out, err, _ = run([unit, "--gtest_filter=CudaExecutorRealGpu.*"], 60)
        skipped = "[  SKIPPED ]" in out
        report["executor_test"] = {
            "status": "PASS" if rc == 0 and not skipped else ("SKIPPED" if rc == 0 else "FAIL"),
            "output": (out + err).strip().splitlines()[-12:]}
    quantized = [(f[:-len(f"-{scheme}.dsv2")], scheme)
                 for scheme in QUANTIZE_SCHEMES
                 for f in sorted(os.listdir(args.engines)) if f.endswith(f"-{scheme}.dsv2")]
    for fixture, scheme in [(f, None) for f in fixtures] + quantized:
        if time.time() > engine_deadline:
            report["engines"].append({"fixture": fixture, "status": "SKIPPED (time budget)"})
            continue
        report["engines"].append(check_engine(args, fixture, engine_deadline, scheme))
        print(f"{report['engines'][-1]['status']} {report['engines'][-1]['fixture']}",
              file=sys.stderr, flush=True)
    if bench:
        report["kernel_bench"] = kernel_bench.run_bench(args, run, bench_deadline,
                                                        not args.skip_torch)
        print(f"kernel benchmarks: {report['kernel_bench'].get('error', 'done')}",
              file=sys.stderr, flush=True)
    if not args.skip_torch:
        try:
            report["torch"] = torch_bench(args)
        except Exception as e:  # no torch, out of memory: report, do not lose the rest
            report["torch"] = {"error": f"{type(e).__name__}: {e}"}
    report["seconds"] = time.time() - start
    ok = all(r["status"] == "PASS" for r in report["engines"]) and report["engines"] and \
        report.get("executor_test", {}).get("status", "PASS") == "PASS" and \
        "error" not in report.get("kernel_bench", {})
    report["overall"] = "PASS" if ok else "FAIL"
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gpu-check.json"), "w") as f:
        json.dump(report, f, indent=2)
    text = text_report(report)
    with open(os.path.join(args.out, "gpu-check.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
