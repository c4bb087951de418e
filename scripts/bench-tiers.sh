#!/usr/bin/env bash
# Latency of a page request served from each tier against the raw call to
# the server behind that tier, measured in the same run on real servers
# (redis-server, tursodb): BenchmarkTiers in functions/server. Prints the
# overhead ratios; the target is <= 1.2. A benchmark, so it exits 0 on a
# miss and non-zero only when something broke.
#
# Env: COUNT=5 runs of each, BENCHTIME=2s per run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-2s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench '^BenchmarkTiers$' -benchtime "$BENCHTIME" -count "$COUNT" ./functions/server | grep '^BenchmarkTiers/' | tee "$out"
awk '
  { name = $1; sub(/^BenchmarkTiers\//, "", name); sub(/-[0-9]+$/, "", name)
    v[name] = v[name] " " $3 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    l2 = median(v["l2-hit"]); rg = median(v["raw-redis-get"])
    l3 = median(v["l3-fill"]); tq = median(v["raw-turso-query"])
    printf "\nmedian of %d runs      µs/op\n", '"$COUNT"'
    printf "l2-hit request     %10.1f\nraw Redis GET      %10.1f   ratio %.2f  (target <= 1.2)\n", l2 / 1000, rg / 1000, l2 / rg
    printf "l3-fill request    %10.1f\nraw Turso query    %10.1f   ratio %.2f  (target <= 1.2)\n", l3 / 1000, tq / 1000, l3 / tq
  }' "$out"
cat <<'TXT'

Round trips per path (asserted by TestRoundTripsPerTier in functions/server):
  L1 hit   0 Redis, 0 Turso
  L2 hit   1 Redis (MGET), 0 Turso
  L3 fill  1 Turso + 2 Redis: the MGET that missed, then one pipelined write (2 SETs)
TXT
