#!/usr/bin/env bash
# bench-analytics.sh: what counting page views costs a page request.
#
# For each MODE it starts two standalone engines that differ only in
# FRONTBASE_ANALYTICS (on / off), publishes the demo landing page to both,
# and drives GET / (an L1 hit) with wrk on loopback, as a browser (so every
# view is counted in full: the visitor hash with the day's salt, the
# counters and the unique-visitor sketch). Runs alternate on, off, off, on
# for ROUNDS rounds so that drift of the shared machine hits both alike;
# the ratio on/off is of the means. Modes:
#   local        SQLite, no Redis: views aggregate in process
#   redis        SQLite + redis-server: one pipelined Redis call per view
#   cloud-redis  tursodb (--sync-server) + redis-server, as in cloud mode
#                (skipped when tursodb is not installed)
# It is a benchmark, not a test: a MISS is reported, exit 0; only
# something broken exits non-zero.
#
# Usage: scripts/bench-analytics.sh
# Env:   MODES="local redis cloud-redis"   DURATION=10 (s per run)
#        ROUNDS=2 (of on/off/off/on)       WARMUP=2 (s per engine)
#        CONNS=50 THREADS=2
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
MODES=${MODES:-local redis cloud-redis}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
THREADS=${THREADS:-2}
T_RATIO=0.9
UA='Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0'

BENCH_NAME=bench-analytics
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"

for v in DURATION ROUNDS WARMUP CONNS THREADS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
for t in go curl wrk awk redis-server; do command -v "$t" >/dev/null 2>&1 || die "$t is required"; done
TURSODB=${TURSODB:-$ROOT/.deps/node_modules/@tursodatabase/cli-linux-x64-gnu/tursodb}
[[ -x $TURSODB ]] || TURSODB=$(command -v tursodb || true)

log "building the engine server and CLI"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$BIN/frontbase-server" ./functions/server &&
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$BIN/frontbase" ./functions/cli)
KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$WORK/pages"
cp "$ROOT/scripts/demo/pages/landing.json" "$WORK/pages/"

# start_engine NAME ANALYTICS ENV...: starts an engine, publishes the
# landing page, sets EURL and EPID.
start_engine() {
	local name=$1 analytics=$2 try
	shift 2
	for try in 1 2 3; do # another process may take the port first
		free_port
		EURL=http://127.0.0.1:$FREE_PORT
		env FRONTBASE_SYSTEM_KEY="$KEY" FRONTBASE_BIND_ADDR=127.0.0.1 PORT="$FREE_PORT" FRONTBASE_LOG_LEVEL=warn \
			FRONTBASE_ANALYTICS="$analytics" "$@" "$BIN/frontbase-server" >"$WORK/$name.log" 2>&1 &
		EPID=$!
		track "$EPID"
		sleep 0.2
		if ! alive "$EPID" && grep -q 'address already in use' "$WORK/$name.log"; then
			stop "$EPID"
			((try < 3)) && continue
		fi
		break
	done
	wait_http "$EPID" "$EURL/api/health" "$name"
	FRONTBASE_SYSTEM_KEY=$KEY "$BIN/frontbase" publish --url "$EURL" --settings "$ROOT/scripts/demo/settings.json" "$WORK/pages" >/dev/null ||
		die "publishing to $name failed"
	curl -fsS --max-time 5 -o /dev/null -A "$UA" "$EURL/" || die "GET / on $name failed"
}

RESULTS=$WORK/results.txt
: >"$RESULTS"
SEQ=0
run_wrk() { # MODE NAME URL SECONDS MEASURED
	local out parsed rps p50 p99 non2xx
	SEQ=$((SEQ + 1))
	out=$WORK/wrk-$SEQ.txt
	timeout --kill-after=5 $(($4 + 30)) wrk -t"$THREADS" -c"$CONNS" -d"$4s" --timeout 2s --latency -H "User-Agent: $UA" \
		-H "Referer: https://news.example/story" "$3/" >"$out" 2>&1 || die "wrk $1/$2 failed: $(tail -3 "$out")"
	awk '/requests in/ { print $1 }' "$out" >>"$WORK/reqs-$1-$2.txt"
	[[ $5 == 1 ]] || return 0
	parsed=$(parse_wrk "$out") || die "cannot parse wrk output: $(cat "$out")"
	read -r rps p50 p99 non2xx _ <<<"$parsed"
	((non2xx == 0)) || die "$1/$2: $non2xx non-2xx responses"
	printf '    %-12s %-4s %10.1f req/s  p50 %6.3f ms  p99 %6.3f ms\n' "$1" "$2" "$rps" "$p50" "$p99"
	echo "$1 $2 $rps $p50 $p99" >>"$RESULTS"
}

for mode in $MODES; do
	extra=()
	case $mode in
	local) ;;
	redis | cloud-redis)
		free_port
		RPORT=$FREE_PORT
		redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis-$mode.log" 2>&1 &
		RPID=$!
		track "$RPID"
		wait_port "$RPID" "$RPORT" "redis-$mode"
		extra+=(FRONTBASE_REDIS_URL="redis://127.0.0.1:$RPORT")
		;;
	*) die "unknown mode $mode (local, redis, cloud-redis)" ;;
	esac
	if [[ $mode == cloud-redis ]]; then
		if [[ -z $TURSODB ]]; then
			log "cloud-redis: skipped (no tursodb; scripts/deps.sh installs it)"
			stop "$RPID"
			continue
		fi
		free_port
		TPORT=$FREE_PORT
		mkdir -p "$WORK/turso"
		"$TURSODB" "$WORK/turso/state.db" --sync-server "127.0.0.1:$TPORT" >"$WORK/tursodb.log" 2>&1 &
		TPID=$!
		track "$TPID"
		wait_port "$TPID" "$TPORT" tursodb
		extra+=(FRONTBASE_ENV=cloud FRONTBASE_STATE_DB_URL="http://127.0.0.1:$TPORT")
		env "${extra[@]}" "$BIN/frontbase" migrate >"$WORK/migrate.log" 2>&1 || die "migrate failed: $(tail -3 "$WORK/migrate.log")"
	fi
	log "$mode: starting engines with analytics on and off"
	mkdir -p "$WORK/$mode"
	start_engine "$mode-on" on FRONTBASE_LOCAL_DB_PATH="$WORK/$mode/on.db" "${extra[@]}"
	ON_URL=$EURL ON_PID=$EPID
	start_engine "$mode-off" off FRONTBASE_LOCAL_DB_PATH="$WORK/$mode/off.db" "${extra[@]}"
	OFF_URL=$EURL OFF_PID=$EPID
	run_wrk "$mode" on "$ON_URL" "$WARMUP" 0
	run_wrk "$mode" off "$OFF_URL" "$WARMUP" 0
	for ((r = 1; r <= ROUNDS; r++)); do
		run_wrk "$mode" on "$ON_URL" "$DURATION" 1
		run_wrk "$mode" off "$OFF_URL" "$DURATION" 1
		run_wrk "$mode" off "$OFF_URL" "$DURATION" 1
		run_wrk "$mode" on "$ON_URL" "$DURATION" 1
	done
	# Every view served must be counted: stop the engine (its last flush
	# sends what it holds), flush Redis with the CLI, and read the report
	# through a fresh engine on the same state.
	stop "$ON_PID"
	stop "$OFF_PID"
	if grep -q 'were not counted' "$WORK/$mode-on.log"; then
		log "$mode: the engine dropped views: $(grep 'were not counted' "$WORK/$mode-on.log" | tail -1 | cut -c1-300)"
	fi
	if [[ $mode != local ]]; then
		env FRONTBASE_LOCAL_DB_PATH="$WORK/$mode/on.db" "${extra[@]}" "$BIN/frontbase" flush >"$WORK/flush-$mode.log" 2>&1 ||
			die "flush failed: $(tail -3 "$WORK/flush-$mode.log")"
	fi
	start_engine "$mode-check" off FRONTBASE_LOCAL_DB_PATH="$WORK/$mode/on.db" "${extra[@]}"
	counted=$(curl -fsS --max-time 10 -H "x-system-key: $KEY" "$EURL/api/analytics" | grep -o '"views":[0-9]*' | head -1 | cut -d: -f2)
	served=$(awk '{ n += $1 } END { print n + 1 }' "$WORK/reqs-$mode-on.txt") # + the check GET before the runs
	log "$mode: views counted $counted; requests wrk completed against the counting engine $served"
	echo "$mode $counted $served" >>"$WORK/counts.txt"
	for p in "$EPID" ${TPID:+"$TPID"} ${RPID:+"$RPID"}; do stop "$p"; done
	unset TPID RPID
done

echo
echo "== analytics on vs off: wrk -t$THREADS -c$CONNS -d${DURATION}s, GET / (L1 hit) as a browser, $ROUNDS round(s) of on/off/off/on, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %11s %11s %7s %13s %13s  %s\n' mode "on req/s" "off req/s" ratio "on p99 ms" "off p99 ms" "target >= $T_RATIO"
awk -v t="$T_RATIO" '
	{ k = $1 SUBSEP $2; n[k]++; rps[k] += $3; p99[k] += $5; if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
	END {
		for (i = 1; i <= m; i++) {
			mo = order[i]; on = mo SUBSEP "on"; off = mo SUBSEP "off"
			a = rps[on] / n[on]; b = rps[off] / n[off]; r = a / b
			printf "%-12s %11.1f %11.1f %7.3f %13.3f %13.3f  %s\n", mo, a, b, r, p99[on] / n[on], p99[off] / n[off], (r >= t) ? "PASS" : "MISS"
		}
	}' "$RESULTS"
echo
awk '{ printf "%-12s views counted %d, requests completed %d%s\n", $1, $2, $3, ($2 >= $3) ? " (none lost)" : "  LOST " $3 - $2 }' "$WORK/counts.txt"
exit 0
