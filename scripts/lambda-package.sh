#!/usr/bin/env bash
# lambda-package.sh: builds the Lambda functions as `bootstrap` for
# provided.al2023 and zips each with bootstrap at the zip root, the layout
# serverless.yml deploys (bin/lambda/<function>-<arch>.zip).
#
# Usage: scripts/lambda-package.sh [OUTDIR]     (default bin/lambda)
# Env:   LAMBDA_ARCHS="arm64 x86_64"   VERSION=<build version>
#        LAMBDA_TAGS=lambda.norpc (add ,sqlite for local mode, ,redis for a
#        redis:// cache: both are left out by default)
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/bin/lambda}
ARCHS=${LAMBDA_ARCHS:-arm64 x86_64}
TAGS=${LAMBDA_TAGS:-lambda.norpc}
VERSION=${VERSION:-$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo dev)}
command -v zip >/dev/null 2>&1 || { echo "lambda-package: zip is required (apt-get install zip)" >&2; exit 1; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for arch in $ARCHS; do
	case $arch in
	arm64) goarch=arm64 ;;
	x86_64 | amd64) arch=x86_64 goarch=amd64 ;;
	*) echo "lambda-package: unknown architecture $arch (arm64, x86_64)" >&2; exit 2 ;;
	esac
	for fn in edge flush; do
		work=$(mktemp -d)
		(cd "$ROOT" && CGO_ENABLED=0 GOOS=linux GOARCH=$goarch go build -tags "$TAGS" -trimpath \
			-ldflags "-s -w -X github.com/frontbase/edge/functions/internal/engine.Version=$VERSION" \
			-o "$work/bootstrap" "./functions/lambda/$fn")
		chmod 0755 "$work/bootstrap"
		rm -f "$OUT/$fn-$arch.zip"
		(cd "$work" && zip -q -X "$OUT/$fn-$arch.zip" bootstrap)
		rm -rf "$work"
		printf '%s/%s-%s.zip\n' "$OUT" "$fn" "$arch"
	done
done
