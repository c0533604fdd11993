# nym-vpn — every target installs what it needs first (apt packages, npm ci, the build).
.PHONY: all deps build test demo bench package clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@rm -rf dist  # no output of a moved or deleted source may linger and pass a test
	@npx tsc -p tsconfig.json

test: build
	@node scripts/test-report.mjs

demo: build
	@node dist/tools/lab/demo.js $(ARGS)

bench: build
	@node scripts/bench.mjs

package: build
	@bash scripts/package.sh

clean:
	rm -rf dist build
