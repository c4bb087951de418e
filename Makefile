# Frontbase Edge. `make run` serves the demo site locally; `make test` runs
# everything CI runs.
GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/frontbase/edge/functions/internal/engine.Version=$(VERSION)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
FUZZTIME ?= 60s

.PHONY: run test check build lint bench bench-tiers fuzz clean

run: build
	./scripts/run-local.sh

test:
	./scripts/test.sh

# The fast inner loop: lint and every test that needs no outside server
# (-short skips those that start redis-server, tursodb or Chromium, and
# those that build and run a deploy artifact).
check: lint
	$(GO) test -short -count=1 ./...

build:
	$(BUILD) -o bin/frontbase-server ./functions/server
	$(BUILD) -o bin/frontbase ./functions/cli

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) tool staticcheck ./...

bench:
	./scripts/bench-serve.sh

bench-tiers:
	./scripts/bench-tiers.sh

# Fuzzing runs for a bounded time on demand, not in CI.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzImportAndRender -fuzztime $(FUZZTIME) ./core/site/
	$(GO) test -run '^$$' -fuzz FuzzRenderPage -fuzztime $(FUZZTIME) ./core/render/

clean:
	rm -rf bin data

# ---- platforms (see README "Deploying")
# `sam build` (BuildMethod: makefile) runs build-<LogicalId> with
# ARTIFACTS_DIR set; the binary must be called bootstrap (provided.al2023).
# The Lambda functions run in cloud mode (Turso, Upstash REST) and leave out
# SQLite and the Redis TCP client; add the sqlite tag for local mode, redis
# for a redis:// cache: LAMBDA_TAGS=lambda.norpc,sqlite,redis.
LAMBDA_ARCH  ?= arm64
LAMBDA_TAGS  ?= lambda.norpc
LAMBDA_BUILD  = CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) $(GO) build -tags $(LAMBDA_TAGS) -trimpath -ldflags "$(LDFLAGS)"
ARTIFACTS_DIR ?= bin/lambda/$(LAMBDA_ARCH)

.PHONY: build-EdgeFunction build-FlushFunction lambda-zip gcf-stage docker

build-EdgeFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/lambda/edge

build-FlushFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/lambda/flush

# Zips for serverless.yml: bin/lambda/{edge,flush}-{arm64,x86_64}.zip.
lambda-zip:
	VERSION=$(VERSION) ./scripts/lambda-package.sh bin/lambda

# The Cloud Functions source as gcloud uploads it (scripts/gcf-deploy.sh deploys).
gcf-stage:
	./scripts/gcf-deploy.sh --stage bin/gcf-source

docker:
	docker build -f infra/Dockerfile --build-arg VERSION=$(VERSION) -t frontbase/edge:$(VERSION) .
