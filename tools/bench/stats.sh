# Sourced by the tools/bench A/B scripts.
# stats COLUMN FILE max|min -> "best median" of that column of FILE (best:
# the largest for rates, the smallest for seconds).
stats() {
  sort -g -k"$1","$1" "$2" | awk -v c="$1" -v best="$3" '
    { v[NR] = $c } END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%s %s", (best == "max" ? v[NR] : v[1]), m }'
}
