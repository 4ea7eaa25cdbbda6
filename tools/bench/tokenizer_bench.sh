#!/usr/bin/env bash
# Tokenizer encode throughput: dsv2c tokenize vs Hugging Face `tokenizers`.
#
# A benchmark, not a test (./test.sh does not run it). It builds nothing: it
# runs dsv2c from $DSV2_BUILD_DIR/bin (default: build/bin). Both sides encode
# the same texts (the {"text"/"text_base64"} lines of a JSONL corpus) with the
# same tokenizer.json, one thread each (HF: encode_batch with
# RAYON_NUM_THREADS=1), without special tokens, repeatedly
# for about a second; both keep their word caches warm across rounds.
# HF `tokenizers` is pip-installed (user site) when python3 lacks it.
#
# Usage: tools/bench/tokenizer_bench.sh
# Environment: DSV2_BUILD_DIR; BENCH_TOKENIZERS (tokenizer.json files,
#   space-separated; default: the two fixtures of test/fixtures/tokenizer);
#   BENCH_CORPUS (default: test/fixtures/tokenizer/corpus.jsonl).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${DSV2_BUILD_DIR:-$root/build}
dsv2c=$build_dir/bin/dsv2c
fixtures=$root/test/fixtures/tokenizer
if [[ ! -x $dsv2c ]]; then
  echo "tokenizer_bench: $dsv2c not found; build dsv2c first" \
       "(or set DSV2_BUILD_DIR)" >&2
  exit 1
fi
corpus=${BENCH_CORPUS:-$fixtures/corpus.jsonl}
tokenizers=${BENCH_TOKENIZERS:-"$fixtures/deepseek-v2/tokenizer.json $fixtures/deepseek-v3/tokenizer.json"}

if ! python3 -c "import tokenizers" 2>/dev/null; then
  echo "+ python3 -m pip install --user tokenizers"
  python3 -m pip install --user --quiet tokenizers
fi

# HF side: the same loop as dsv2c tokenize --bench, in Python.
hf_bench() {
  RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python3 - "$1" "$2" <<'PY'
import base64, json, sys, time
import tokenizers
tok = tokenizers.Tokenizer.from_file(sys.argv[1])
texts = []
for line in open(sys.argv[2], encoding="utf-8"):
    if not line.strip():
        continue
    case = json.loads(line)
    if "text" in case:
        texts.append(case["text"])
    else:
        texts.append(base64.b64decode(case["text_base64"]).decode("utf-8", "replace"))
size = sum(len(t.encode("utf-8")) for t in texts)
# encode_batch: one call per round, so Python's per-call overhead does not
# count against HF (RAYON_NUM_THREADS=1 keeps it on one thread).
rounds, tokens, start = 0, 0, time.perf_counter()
while True:
    for e in tok.encode_batch(texts, add_special_tokens=False):
        tokens += len(e.ids)
    rounds += 1
    seconds = time.perf_counter() - start
    if seconds >= 1.0 and rounds >= 3:
        break
print("hf tokenizers %s: %d texts, %d bytes, %d rounds in %.3f s: %.2f MB/s, %.0f tokens/s (1 thread)"
      % (tokenizers.__version__, len(texts), size, rounds, seconds,
         size * rounds / 1e6 / seconds, tokens / seconds))
PY
}

echo "== machine"
echo "nproc: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "corpus: $corpus ($(wc -l < "$corpus") lines, $(wc -c < "$corpus") bytes of JSONL)"
for tokenizer in $tokenizers; do
  echo
  echo "== $tokenizer"
  echo "+ $dsv2c tokenize --tokenizer $tokenizer --input $corpus --bench"
  ours=$("$dsv2c" tokenize --tokenizer "$tokenizer" --input "$corpus" --bench 2>&1)
  echo "$ours"
  echo "+ RAYON_NUM_THREADS=1 python3 (tokenizers.Tokenizer.from_file(...).encode_batch(texts))"
  theirs=$(hf_bench "$tokenizer" "$corpus")
  echo "$theirs"
  ours_mbs=$(sed -n 's/.*: \([0-9.]*\) MB\/s.*/\1/p' <<< "$ours")
  theirs_mbs=$(sed -n 's/.*: \([0-9.]*\) MB\/s.*/\1/p' <<< "$theirs")
  awk -v a="$ours_mbs" -v b="$theirs_mbs" \
    'BEGIN { printf "ratio dsv2c / HF: %.2fx (%s vs %s MB/s)\n", a / b, a, b }'
done
