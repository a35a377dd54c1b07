# The two commands: `make run` and `make test`. Everything else is a helper.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build run test dev release fuzz format format-check clean

all: build

deps:
	@./scripts/deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

run: build
	./build/release/sipward serve

test: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

dev: deps
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)
	ctest --preset dev -j $(JOBS)

FUZZ_SECONDS ?= $(SECONDS)
fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	./scripts/fuzz.sh build/fuzz $(or $(FUZZ_SECONDS),60)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
