#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, by package name from
# Debian and npm, only when it is missing. scripts/test.sh runs it first,
# so `make test` works on a fresh machine and in CI.
#
# Add a dependency with one `need_apt`/`need_npm` line and say which tests
# use it.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=""
need_apt() { # need_apt COMMAND PACKAGE...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "deps: installing $* (for $cmd)"
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# npm packages go to .deps/node_modules (ignored by git), pinned here.
need_npm() { # need_npm PACKAGE@VERSION
  local pkg=$1
  local name=${pkg%@*}
  [ -e ".deps/node_modules/$name/package.json" ] && return 0
  echo "deps: installing $pkg from npm"
  mkdir -p .deps
  npm install --prefix .deps --no-audit --no-fund --silent "$pkg" >/dev/null
}

# Cloud-mode tests (adapters/turso, adapters/redis, adapters/upstash, the
# cloud runs of functions/server): real servers on loopback ports.
need_apt redis-server redis-server
need_npm turso@0.6.0          # the tursodb server (Hrana over HTTP)
need_npm @upstash/redis@1.39.0 # Upstash's own client, for the REST shim's conformance test

# Platform tests (infra/): scripts/lambda-package.sh zips bootstrap for
# serverless.yml, and `serverless package` (v3 packages offline) turns
# serverless.yml into the CloudFormation the test inspects.
need_apt zip zip
need_npm serverless@3.40.0

# Browser test (functions/server TestBrowser): headless Chromium driven
# over the DevTools protocol by chromedp. In CI the test fails without it.
need_apt chromium chromium
