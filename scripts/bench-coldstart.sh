#!/usr/bin/env bash
# bench-coldstart.sh: exec to first response of the Lambda bootstraps (edge,
# flush) against a minimal aws-lambda-go bootstrap built with the same flags
# (-tags lambda.norpc -trimpath -ldflags "-s -w", CGO_ENABLED=0), all driven
# by the tests' Runtime API harness in interleaved rounds, and the
# standalone server's exec to first 200. Prints the medians, the ratios and
# the binaries' sizes.
#
# Usage: scripts/bench-coldstart.sh [ROUNDS]   (default 21)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-21}
cd "$ROOT"
go test -run '^$' -bench '^BenchmarkColdStart$' -benchtime "${ROUNDS}x" -count 1 -v ./functions/lambda/ |
	grep -E 'BenchmarkColdStart|MB$|^ok|FAIL'
