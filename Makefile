# StyleGANKit: the two commands a fresh clone needs are `make demo` and `make test`.
# Both install what they need first (`make setup`: Debian packages and the pinned torch wheel in .deps/).

SWIFT ?= swift
RELEASE_BIN = .build/release

.PHONY: setup build test demo bench clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product stylegan

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: setup
	$(SWIFT) build -c release --product stylegan
	$(RELEASE_BIN)/stylegan demo --outdir demo

bench: setup
	$(SWIFT) build -c release --product stylegan-bench
	$(RELEASE_BIN)/stylegan-bench --out docs/benchmarks.md

clean:
	rm -rf .build
