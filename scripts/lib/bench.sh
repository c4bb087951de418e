# shellcheck shell=bash
# Helpers the benchmark scripts share: logging, the processes they start
# (stopped and reaped on any exit), free loopback ports, waiting for a
# server, and reading wrk's output. Source it after setting BENCH_NAME;
# it creates WORK (a temporary directory removed on exit) and BIN in it.

log() { printf '==> %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$BENCH_NAME" "$*" >&2; }
die() {
	printf '%s: %s\n' "$BENCH_NAME" "$*" >&2
	exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")
# shellcheck disable=SC2034 # BIN and FREE_PORT are read by the scripts that source this
BIN=$WORK/bin
PIDS=() # every background process the script started and has not reaped

track() { PIDS+=("$1"); }
untrack() {
	local keep=() p
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
# alive PID: true while PID runs (a zombie child waiting to be reaped is not).
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}
# stop PID: SIGTERM, up to 12 s for a graceful exit, then SIGKILL; reaps it.
stop() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 120; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	untrack "$pid"
}
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do stop "$p"; done
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

USED_PORTS=" "
# free_port: sets FREE_PORT to a loopback port nothing listens on.
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 40000))
		[[ $USED_PORTS == *" $p "* ]] && continue
		if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Htln "sport = :$p" 2>/dev/null) ]]; then continue; fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
		USED_PORTS+="$p "
		# shellcheck disable=SC2034
		FREE_PORT=$p
		return 0
	done
	die "found no free loopback port"
}

# wait_http PID URL NAME: waits until URL answers 2xx, fails if PID exits
# (its log is $WORK/NAME.log).
wait_http() {
	local i
	for ((i = 0; i < 200; i++)); do
		curl -fsS --max-time 1 -o /dev/null "$2" 2>/dev/null && return 0
		alive "$1" || die "$3 exited while starting: $(tail -5 "$WORK/$3.log")"
		sleep 0.05
	done
	die "$3 did not answer $2 within 10 s: $(tail -5 "$WORK/$3.log")"
}

# wait_port PID PORT NAME: waits until something listens on PORT.
wait_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		alive "$1" || die "$3 exited while starting: $(tail -5 "$WORK/$3.log")"
		sleep 0.05
	done
	die "$3 did not listen on $2 within 10 s"
}

# parse_wrk FILE: prints "req/s p50_ms p99_ms non2xx requests".
parse_wrk() {
	awk '
		function ms(v,  n) {
			n = v + 0
			if (v ~ /us$/) return n / 1000
			if (v ~ /ms$/) return n
			if (v ~ /m$/)  return n * 60000
			if (v ~ /s$/)  return n * 1000
			return n
		}
		/^Requests\/sec:/ { rps = $2 }
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		/requests in/ { reqs = $1 }
		/Non-2xx or 3xx responses:/ { non2xx = $NF }
		END {
			if (rps == "" || p50 == "" || p99 == "") exit 1
			printf "%s %.3f %.3f %d %d\n", rps, p50, p99, non2xx + 0, reqs + 0
		}' "$1"
}
