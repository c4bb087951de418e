#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== dependencies"
./scripts/deps.sh

echo "== lint"
go vet ./...
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== tests (race detector on)"
go test -race -count=1 ./...
