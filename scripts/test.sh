#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== dependencies"
./scripts/deps.sh

echo "== lint (vet, gofmt, go mod tidy -diff, staticcheck)"
make --no-print-directory lint

echo "== tests (race detector on)"
go test -race -count=1 ./...
