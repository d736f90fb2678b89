# llmbench — see README.md. Every target installs what it needs first (make setup).
.PHONY: setup build demo test fuzz bench format clean

JOBS ?= $(shell nproc)
# Seconds each libFuzzer target runs: in `make fuzz`, and in `make test` (a short CI budget).
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 10

setup:
	./scripts/setup.sh

build: setup
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

demo: build
	./build/release/src/cli/llmbench demo

# The whole test suite: the CI build (g++, -Werror, ASan/UBSan) with every test, then a
# clang build of the same tree, so both compilers stay green, whose optimised binaries run
# the timing-accuracy tests (label "accuracy") at the speed a user's build has; then
# clang-tidy (.clang-tidy, every finding an error) over the project's sources. Between them:
# the libFuzzer targets (fuzz preset) for FUZZ_TEST_SECONDS each, replaying every reproducer
# in fuzz/corpus first, and the threaded tests (net, runner, app) under ThreadSanitizer.
test: setup
	cmake --preset ci
	cmake --build --preset ci -j $(JOBS)
	ctest --preset ci
	cmake --preset ci-clang
	cmake --build --preset ci-clang -j $(JOBS)
	ctest --preset ci-clang -L accuracy
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	./scripts/run-fuzzers.sh $(FUZZ_TEST_SECONDS) build/fuzz
	cmake --preset ci-tsan
	cmake --build --preset ci-tsan -j $(JOBS)
	ctest --preset ci-tsan
	./scripts/run-clang-tidy.sh build/ci-clang
	./scripts/check-format.sh

# Every libFuzzer target for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600); a crash fails with the
# reproducer's path (docs/development.md, "Fuzzing").
fuzz: setup
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	./scripts/run-fuzzers.sh $(FUZZ_SECONDS) build/fuzz

bench: build
	./build/release/bench/client_ceiling
	./build/release/bench/million_requests
	./build/release/bench/load_accuracy
	./build/release/bench/tokenizer_speed
	./build/release/bench/dataset_load
	./build/release/bench/time_series_soak
	./build/release/bench/report_size
	./build/release/bench/monitor_overhead

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build
