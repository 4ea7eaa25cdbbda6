"""dsv2-run's tokens/s summary lines: read (rate) and written back
(rate_lines), for the GPU check's reports."""

import re


def rate(text, what):
    """{tokens, seconds, tokens_per_s} of dsv2-run's `what:` line
    ("prefill" or "decode"), or None."""
    m = re.search(rf"{what}:\s+(\d+) tokens in ([0-9.]+) s = ([0-9.]+) tokens/s", text)
    return {"tokens": int(m.group(1)), "seconds": float(m.group(2)),
            "tokens_per_s": float(m.group(3))} if m else None


def rate_lines(speed, indent):
    """The prefill and decode rates of `speed` as report lines."""
    lines = []
    for what in ("prefill", "decode"):
        if speed.get(what):
            v = speed[what]
            lines.append(f"{indent}{what}: {v['tokens']} tokens in {v['seconds']:.4f} s = "
                         f"{v['tokens_per_s']:.1f} tokens/s")
    return lines
