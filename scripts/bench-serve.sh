#!/usr/bin/env bash
# bench-serve.sh: how fast the engine serves a published page, against a
# plain net/http server writing the same bytes from memory.
#
# It builds the engine (server + CLI) and two helpers under scripts/bench/,
# starts the engine on a temp database, publishes the demo landing page,
# serves the exact same HTML from the baseline, and then, with wrk on
# loopback only:
#   - alternates engine (L1 hit), baseline, engine with gzip, baseline
#     for ROUNDS rounds of DURATION seconds each, after a warm-up of each;
#   - samples the engine's RSS while it is under load;
#   - measures exec-to-first-200 of a fresh engine on a copy of the DB;
#   - runs the Go micro-benchmarks of core/render, core/site, functions/...
# and prints PASS/MISS against the targets. It is a benchmark, not a test:
# a MISS still exits 0; only something broken exits non-zero.
#
# Usage: scripts/bench-serve.sh          (from any directory)
# Env:   DURATION=10  seconds per measured wrk run
#        ROUNDS=2     rounds of engine/baseline/engine-gzip/baseline
#        WARMUP=2     seconds of the warm-up run before each target's first run
#        STARTUP_N=10 fresh processes for the startup measurement
#        ENGINE_L1_TTL=60s the engine's FRONTBASE_L1_TTL (its default): past it an
#                     entry is served stale from L1 while one reload runs
#        ENGINE_LOG_LEVEL=info  the engine's log level; info writes one access
#                     log line per request (to a file here), as in production
#        GO_BENCH=1   0 skips the go test -bench step
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-2}
STARTUP_N=${STARTUP_N:-10}
ENGINE_L1_TTL=${ENGINE_L1_TTL:-60s}
ENGINE_LOG_LEVEL=${ENGINE_LOG_LEVEL:-info}
GO_BENCH=${GO_BENCH:-1}
THREADS=2
CONNS=50
RSS_SAMPLE_EVERY=0.5 # seconds between RSS samples while the engine is loaded

# Targets.
T_L1_RATIO=0.85
T_GZIP_RATIO=1.0
T_RSS_MB=40
T_START_MS=50

BENCH_NAME=bench-serve
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"

for v in DURATION ROUNDS WARMUP STARTUP_N; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done

# ---------------------------------------------------------------- tools
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required"; }
for t in go curl cmp gunzip ps timeout awk od; do need "$t"; done

if ! command -v wrk >/dev/null 2>&1; then
	log "installing wrk (Debian package)"
	SUDO=()
	[[ $EUID -eq 0 ]] || SUDO=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	if ! "${SUDO[@]}" apt-get install -y -q wrk >"$WORK/apt.log" 2>&1; then
		{ "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q wrk; } >>"$WORK/apt.log" 2>&1 ||
			{
				tail -20 "$WORK/apt.log" >&2
				die "could not install wrk"
			}
	fi
fi

# ---------------------------------------------------------------- build
log "building engine server, CLI and bench helpers"
build() { (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$BIN/$1" "$2"); }
build frontbase-server ./functions/server
build frontbase ./functions/cli
build baseline ./scripts/bench/baseline
build startup ./scripts/bench/startup

# ---------------------------------------------------------------- helpers
rss_kb() {
	local kb
	kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null) || true
	[[ -n $kb ]] || kb=$(ps -o rss= -p "$1" 2>/dev/null | tr -d ' ') || true
	echo "${kb:-0}"
}

MAX_RSS_KB=0
RSS_SAMPLES=0
WRK_SEQ=0
# wrk_run LABEL SECONDS URL [WRK ARGS...]: one wrk run, bounded by -d and
# by timeout; its output file is left in WRK_OUT. Samples the engine's RSS
# while it runs if LABEL starts with "engine".
wrk_run() {
	local label=$1 secs=$2 url=$3 out wpid rc=0 kb
	shift 3
	WRK_SEQ=$((WRK_SEQ + 1))
	out=$(printf '%s/wrk-%02d-%s.txt' "$WORK" "$WRK_SEQ" "$label")
	WRK_OUT=$out
	timeout --kill-after=5 $((secs + 30)) \
		wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 2s --latency "$@" "$url" >"$out" 2>&1 &
	wpid=$!
	track "$wpid"
	if [[ $label == engine* ]]; then
		sleep 0.3
		while alive "$wpid"; do
			kb=$(rss_kb "$EPID")
			RSS_SAMPLES=$((RSS_SAMPLES + 1))
			((kb > MAX_RSS_KB)) && MAX_RSS_KB=$kb
			sleep "$RSS_SAMPLE_EVERY"
		done
	fi
	wait "$wpid" || rc=$?
	untrack "$wpid"
	((rc == 0)) || die "wrk $label failed (exit $rc): $(tail -5 "$out")"
	alive "$EPID" || die "the engine died during $label: $(tail -5 "$WORK/engine.log")"
	alive "$BPID" || die "the baseline died during $label: $(tail -5 "$WORK/baseline.log")"
}

RESULTS=$WORK/results.txt
: >"$RESULTS"
# measure NAME ROUND URL [WRK ARGS...]: a measured run, recorded in RESULTS.
measure() {
	local name=$1 round=$2 url=$3 out parsed rps p50 p99 non2xx reqs
	shift 3
	wrk_run "$name" "$DURATION" "$url" "$@"
	out=$WRK_OUT
	parsed=$(parse_wrk "$out") || die "cannot parse wrk output for $name: $(cat "$out")"
	read -r rps p50 p99 non2xx reqs <<<"$parsed"
	((reqs > 0)) || die "$name: wrk made no requests"
	((non2xx == 0)) || die "$name: $non2xx non-2xx responses"
	if grep -q 'Socket errors' "$out"; then warn "$name round $round: $(grep 'Socket errors' "$out")"; fi
	printf '    round %d  %-22s %10.1f req/s  p50 %7.3f ms  p99 %7.3f ms\n' "$round" "$name" "$rps" "$p50" "$p99"
	echo "$name $rps $p50 $p99" >>"$RESULTS"
}

# ---------------------------------------------------------------- engine
KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$WORK/db" "$WORK/pages"
free_port
EPORT=$FREE_PORT
EURL=http://127.0.0.1:$EPORT
log "starting the engine on $EURL (temp DB, L1 TTL $ENGINE_L1_TTL, log level $ENGINE_LOG_LEVEL)"
FRONTBASE_ENV=local FRONTBASE_LOCAL_DB_PATH="$WORK/db/pages.db" FRONTBASE_SYSTEM_KEY="$KEY" \
	FRONTBASE_BIND_ADDR=127.0.0.1 PORT="$EPORT" FRONTBASE_LOG_LEVEL="$ENGINE_LOG_LEVEL" FRONTBASE_L1_TTL="$ENGINE_L1_TTL" \
	"$BIN/frontbase-server" >"$WORK/engine.log" 2>&1 &
EPID=$!
track "$EPID"
BPID=$EPID # until the baseline runs, so wrk_run's checks hold
wait_http "$EPID" "$EURL/api/health" engine

log "publishing landing.json with the CLI"
cp "$ROOT/scripts/demo/pages/landing.json" "$WORK/pages/"
FRONTBASE_SYSTEM_KEY=$KEY "$BIN/frontbase" publish --url "$EURL" \
	--settings "$ROOT/scripts/demo/settings.json" "$WORK/pages" | sed 's/^/    /'

PAGE=$WORK/landing.html
curl -fsS --max-time 5 -o "$PAGE" "$EURL/" || die "GET / failed after publishing"
curl -fsS --max-time 5 -D "$WORK/l1.hdr" -o "$WORK/landing-2.html" "$EURL/"
grep -qi '^x-frontbase-cache: *l1-hit' "$WORK/l1.hdr" || die "second GET / was not an L1 hit: $(cat "$WORK/l1.hdr")"
cmp -s "$PAGE" "$WORK/landing-2.html" || die "GET / changed between two requests"
curl -fsS --max-time 5 -H 'Accept-Encoding: gzip' -D "$WORK/gz.hdr" -o "$WORK/landing.html.gz" "$EURL/"
grep -qi '^content-encoding: *gzip' "$WORK/gz.hdr" || die "GET / with Accept-Encoding: gzip was not gzip"
gunzip -c "$WORK/landing.html.gz" | cmp -s - "$PAGE" || die "the gzip body does not decompress to the page"
PAGE_BYTES=$(wc -c <"$PAGE" | tr -d ' ')
GZ_BYTES=$(wc -c <"$WORK/landing.html.gz" | tr -d ' ')
log "GET / is $PAGE_BYTES bytes ($GZ_BYTES gzip), L1 hit"

# ---------------------------------------------------------------- baseline
free_port
BPORT=$FREE_PORT
BURL=http://127.0.0.1:$BPORT
log "starting the baseline on $BURL"
"$BIN/baseline" -port "$BPORT" -file "$PAGE" >"$WORK/baseline.log" 2>&1 &
BPID=$!
track "$BPID"
wait_http "$BPID" "$BURL/" baseline
curl -fsS --max-time 5 -o "$WORK/baseline.html" "$BURL/"
cmp "$PAGE" "$WORK/baseline.html" || die "the baseline does not serve the engine's bytes"
log "baseline serves the identical $PAGE_BYTES bytes (cmp ok)"

# ---------------------------------------------------------------- load
log "wrk -t$THREADS -c$CONNS: warm-up ${WARMUP}s each, then $ROUNDS round(s) of ${DURATION}s runs"
wrk_run warmup-engine "$WARMUP" "$EURL/"
wrk_run warmup-baseline "$WARMUP" "$BURL/"
wrk_run warmup-engine-gzip "$WARMUP" "$EURL/" -H 'Accept-Encoding: gzip'
IDLE_RSS_KB=$(rss_kb "$EPID")
MAX_RSS_KB=0
RSS_SAMPLES=0
for ((r = 1; r <= ROUNDS; r++)); do
	measure engine "$r" "$EURL/"
	measure baseline "$r" "$BURL/"
	measure engine-gzip "$r" "$EURL/" -H 'Accept-Encoding: gzip'
	measure baseline "$r" "$BURL/"
done
curl -fsS --max-time 5 -D "$WORK/l1-after.hdr" -o /dev/null "$EURL/"
grep -Eqi '^x-frontbase-cache: *l1-(hit|stale)' "$WORK/l1-after.hdr" || warn "GET / is no longer served from L1 after the runs"
HWM_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$EPID/status" 2>/dev/null || echo 0)
stop "$BPID"
stop "$EPID"
problems=$(grep -cE '"level":"(WARN|ERROR)"' "$WORK/engine.log" || true)
if [[ $problems -gt 0 ]]; then
	warn "the engine logged $problems line(s) at warn or above; last ones:"
	grep -E '"level":"(WARN|ERROR)"' "$WORK/engine.log" | tail -n 5 >&2
fi

# ---------------------------------------------------------------- startup
log "startup: $STARTUP_N fresh engines on copies of the published DB, polling GET / every 1 ms"
timeout --foreground 300 "$BIN/startup" -bin "$BIN/frontbase-server" -n "$STARTUP_N" -db-src "$WORK/db/pages.db" \
	FRONTBASE_ENV=local FRONTBASE_BIND_ADDR=127.0.0.1 FRONTBASE_LOG_LEVEL=warn |
	tee "$WORK/startup.txt" | sed 's/^/    /'
START_MIN='' START_MED='' START_MAX=''
read -r START_MIN START_MED START_MAX < <(awk '/^startup:/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	print v["min_ms"], v["median_ms"], v["max_ms"] }' "$WORK/startup.txt") || true
[[ -n $START_MED ]] || die "startup printed no summary"

# ---------------------------------------------------------------- report
echo
echo "== serve: wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS round(s), GET / ($PAGE_BYTES B, $GZ_BYTES B gzip), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
awk -v order="engine engine-gzip baseline" '
	{ n[$1]++; rps[$1] += $2; p50[$1] += $3; p99[$1] += $4 }
	END {
		names["engine"] = "engine (L1 hit)"
		names["engine-gzip"] = "engine (L1 hit, gzip)"
		names["baseline"] = "baseline (net/http)"
		base = rps["baseline"] / n["baseline"]
		printf "%-24s %4s %11s %9s %9s %12s\n", "name", "runs", "req/s", "p50 ms", "p99 ms", "vs baseline"
		split(order, o, " ")
		for (i = 1; i <= 3; i++) {
			k = o[i]
			m = rps[k] / n[k]
			printf "%-24s %4d %11.1f %9.3f %9.3f %11.2fx\n", names[k], n[k], m, p50[k] / n[k], p99[k] / n[k], m / base
		}
	}' "$RESULTS"
read -r R_ENGINE R_GZIP < <(awk '{ n[$1]++; s[$1] += $2 } END {
	b = s["baseline"] / n["baseline"]
	printf "%.4f %.4f\n", s["engine"] / n["engine"] / b, s["engine-gzip"] / n["engine-gzip"] / b }' "$RESULTS")
MAX_RSS_MB=$(awk -v k="$MAX_RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')
printf '%s\n' "(req/s, p50 and p99 are means over the runs; p50/p99 from wrk --latency)"
printf 'ratio engine/baseline       %.2f\n' "$R_ENGINE"
printf 'ratio engine-gzip/baseline  %.2f\n' "$R_GZIP"
printf 'engine RSS under load       max %s MB over %d samples (idle after warm-up %.1f MB, VmHWM %.1f MB)\n' \
	"$MAX_RSS_MB" "$RSS_SAMPLES" "$(awk -v k="$IDLE_RSS_KB" 'BEGIN{print k/1024}')" "$(awk -v k="${HWM_KB:-0}" 'BEGIN{print k/1024}')"
printf 'start to first 200          min %s ms, median %s ms, max %s ms (n=%d)\n' "$START_MIN" "$START_MED" "$START_MAX" "$STARTUP_N"

# ---------------------------------------------------------------- go bench
if [[ $GO_BENCH != 0 ]]; then
	echo
	if grep -rqs --include='*_test.go' '^func Benchmark' "$ROOT/core/render" "$ROOT/core/site" "$ROOT/functions"; then
		echo "== go test -bench (core/render, core/site, functions/...)"
		(cd "$ROOT" && timeout --foreground 900 go test -run '^$' -bench . -benchmem ./core/render/ ./core/site/ ./functions/... 2>/dev/null) |
			grep -v 'no test files' || warn "go test -bench failed or found nothing"
	else
		echo "== go test -bench: no benchmarks in core/render, core/site, functions/..."
	fi
fi

# ---------------------------------------------------------------- targets
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "PASS" : "MISS" }'; }
echo
echo "== targets (a benchmark: MISS is reported, not failed)"
printf '%-44s %-10s %s\n' "L1-hit req/s >= ${T_L1_RATIO}x baseline" "$(printf '%.2fx' "$R_ENGINE")" "$(verdict "$R_ENGINE" "$T_L1_RATIO" '>=')"
printf '%-44s %-10s %s\n' "gzip req/s >= ${T_GZIP_RATIO}x uncompressed baseline" "$(printf '%.2fx' "$R_GZIP")" "$(verdict "$R_GZIP" "$T_GZIP_RATIO" '>=')"
printf '%-44s %-10s %s\n' "RSS under load <= ${T_RSS_MB} MB" "$MAX_RSS_MB MB" "$(verdict "$MAX_RSS_MB" "$T_RSS_MB" '<=')"
printf '%-44s %-10s %s\n' "start to first 200 <= ${T_START_MS} ms (median)" "$START_MED ms" "$(verdict "$START_MED" "$T_START_MS" '<=')"
exit 0
