# llmbench — see README.md. Every target installs what it needs first (make setup).
.PHONY: setup build demo test bench format clean

JOBS ?= $(shell nproc)

setup:
	./scripts/setup.sh

build: setup
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

demo: build
	./build/release/src/cli/llmbench demo

# The whole test suite: the CI build (g++, -Werror, ASan/UBSan) with every test, then a
# clang build of the same tree, so both compilers stay green.
test: setup
	cmake --preset ci
	cmake --build --preset ci -j $(JOBS)
	ctest --preset ci
	cmake --preset ci-clang
	cmake --build --preset ci-clang -j $(JOBS)
	./scripts/check-format.sh

bench: build
	./build/release/bench/client_ceiling

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build
