#!/usr/bin/env bash
# measure-platforms.sh: the platform numbers in README "Deploying":
#   - binary sizes of every entrypoint (Lambda bootstrap for arm64 and
#     x86_64, the standalone server, the CLI, the healthcheck, the Cloud
#     Functions build of the staged source);
#   - Lambda init: exec of bootstrap to its first response through the
#     Runtime API harness of functions/lambda (median of 20), for
#     GET /api/health and for a page from Turso (a tursodb on loopback:
#     the Lambda build links no SQLite);
#   - the standalone server: exec to first 200 polled every 1 ms (median
#     of 20), for the same two requests on the same database.
# (functions/lambda TestMeasureInit, run with FRONTBASE_MEASURE=1.)
# A measurement, not a test: it exits non-zero only if something is broken.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/frontbase-measure.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

size() { printf '%-42s %6.1f MB\n' "$1" "$(awk -v b="$(stat -c %s "$2")" 'BEGIN{print b/1e6}')"; }
flags=(-trimpath -ldflags "-s -w")
echo "== binary sizes (CGO_ENABLED=0 -trimpath -s -w)"
for arch in arm64 amd64; do
	for fn in edge flush; do
		CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -tags lambda.norpc "${flags[@]}" -o "$WORK/$fn-$arch" "./functions/lambda/$fn"
		size "lambda $fn bootstrap (linux/$arch)" "$WORK/$fn-$arch"
	done
done
for p in server cli healthcheck; do
	CGO_ENABLED=0 go build "${flags[@]}" -o "$WORK/$p" "./functions/$p"
	size "$p ($(go env GOOS)/$(go env GOARCH))" "$WORK/$p"
done
./scripts/gcf-deploy.sh --stage "$WORK/gcf" >/dev/null
mkdir -p "$WORK/gcf/cmd/main"
printf 'package main\n\nimport (\n\t_ "github.com/frontbase/edge"\n\t"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"\n)\n\nfunc main() { funcframework.Start("8080") }\n' >"$WORK/gcf/cmd/main/main.go"
(cd "$WORK/gcf" && CGO_ENABLED=0 go build "${flags[@]}" -o "$WORK/gcf-fn" ./cmd/main)
size "cloud functions (staged, framework main)" "$WORK/gcf-fn"

echo
echo "== exec to first response, median of 20: Lambda bootstrap through the Runtime API harness, and the standalone server"
FRONTBASE_MEASURE=1 go test -count=1 -run 'TestMeasureInit$' -v ./functions/lambda/ | grep -E 'first' | sed 's/^ *lambda_test.go:[0-9]*: /    /'
