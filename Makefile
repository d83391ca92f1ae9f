# StyleGANKit: the two commands a fresh clone needs are `make demo` and `make test`.
# Both install what they need first (`make setup`: Debian packages and the pinned torch wheel in .deps/).

SWIFT ?= swift
RELEASE_BIN = .build/release
DEBUG_BIN = .build/debug

.PHONY: setup setup-test build test demo serve bench clean

setup:
	@bash scripts/setup.sh

# What the tests need besides: headless Chromium and its WebDriver for the web editor's browser test.
setup-test:
	@bash scripts/setup.sh --test

build: setup
	$(SWIFT) build -c release --product stylegan

# libgomp's worker threads spin while idle; on a 2-core machine the spinning test process would starve the
# `stylegan` processes the CLI tests start, so tests run with the passive wait policy.
test: setup-test
	$(SWIFT) build --build-tests
	OMP_WAIT_POLICY=PASSIVE $(SWIFT) test --skip-build

# The demo runs the debug build, which `make test` shares: its work is libtorch's (and byte parsing, optimised in
# every build), so it runs ~10% slower than release while building in half the time (on 2 cores: 130 s against 245 s).
demo: setup
	$(SWIFT) build --product stylegan
	$(DEBUG_BIN)/stylegan demo --outdir demo

# The web editor on the shipped testbed models, at http://127.0.0.1:8080/ (PORT=... to change).
serve: setup
	$(SWIFT) build --product stylegan
	$(DEBUG_BIN)/stylegan serve --port $(or $(PORT),8080)

bench: setup
	$(SWIFT) build -c release --product stylegan-bench
	$(SWIFT) build -c release --product stylegan
	$(RELEASE_BIN)/stylegan-bench --out docs/benchmarks.md $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf .build
