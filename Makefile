# Frontbase Edge. `make run` serves the demo site locally; `make test` runs
# everything CI runs.
GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/frontbase/edge/functions/internal/engine.Version=$(VERSION)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
FUZZTIME ?= 60s

.PHONY: run test build lint bench fuzz clean

run: build
	./scripts/run-local.sh

test:
	./scripts/test.sh

build:
	$(BUILD) -o bin/frontbase-server ./functions/server
	$(BUILD) -o bin/frontbase ./functions/cli

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench:
	./scripts/bench-serve.sh

# Fuzzing runs for a bounded time on demand, not in CI.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzImportAndRender -fuzztime $(FUZZTIME) ./core/site/
	$(GO) test -run '^$$' -fuzz FuzzRenderPage -fuzztime $(FUZZTIME) ./core/render/

clean:
	rm -rf bin data
