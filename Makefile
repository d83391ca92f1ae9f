# StyleGANKit: the two commands a fresh clone needs are `make demo` and `make test`.
# Both install what they need first (`make setup`: Debian packages and the pinned torch wheel in .deps/).

SWIFT ?= swift
RELEASE_BIN = .build/release

.PHONY: setup build test demo bench clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product stylegan

# libgomp's worker threads spin while idle; on a 2-core machine the spinning test process would starve the
# `stylegan` processes the CLI tests start, so tests run with the passive wait policy.
test: setup
	$(SWIFT) build --build-tests
	OMP_WAIT_POLICY=PASSIVE $(SWIFT) test --skip-build

demo: setup
	$(SWIFT) build -c release --product stylegan
	$(RELEASE_BIN)/stylegan demo --outdir demo

bench: setup
	$(SWIFT) build -c release --product stylegan-bench
	$(RELEASE_BIN)/stylegan-bench --out docs/benchmarks.md $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf .build
