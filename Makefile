# The two commands: `make run` and `make test`. Everything else is a helper.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build run test dev release fuzz crashsafe soak bench format \
	format-check clean install uninstall

all: build

deps:
	@./scripts/deps.sh

# Only the binary: `make run` should not wait for tests and fuzzers.
build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target sipward

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
	FUZZ_JOBS=$(or $(FUZZ_JOBS),1) ./scripts/fuzz.sh build/fuzz $(or $(FUZZ_SECONDS),60)

# make crashsafe [KILLS=50]: SIGKILL during a mixed write load, KILLS
# times; every acknowledged write must survive (tests/crashsafe.py). The
# ASan build, so a restart that touches bad memory fails too.
crashsafe: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS) --target sipward
	python3 tests/crashsafe.py --sipward build/asan/sipward \
		--kills $(or $(KILLS),50)

# make soak [SOAK_SECONDS=600] [SOAK_RATE=calls/s]: mixed SIPp traffic at
# half the measured maximum; no unexpected response, RSS flat
# (tests/soak/soak.sh). The release build: ASan's quarantine would grow.
soak: build
	SIPWARD=$(CURDIR)/build/release/sipward SW_SRC=$(CURDIR) \
		sh tests/soak/soak.sh

# Every performance figure beside its peer's (bench/all.sh), never part of
# `make test`: bench/results/<date>.json, docs/PERFORMANCE.md, docs/perf/.
# QUICK=1: under 3 minutes.
bench: deps
	@./scripts/bench-deps.sh
	@# configure once only: a reconfigure costs seconds QUICK=1 has not got
	[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target sipward bench_stir
	QUICK=$(QUICK) bench/all.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

# make install [PREFIX=/usr/local] [DESTDIR=] [SIPWARD_BIN=path]: the binary,
# the man page, the systemd unit (paths rewritten for PREFIX), the example
# configuration (installed as the live one only when none exists) and the
# README. SIPWARD_BIN installs an already-built binary instead of building
# the release one.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/sipward
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
STATEDIR ?= /var/lib/sipward
SIPWARD_BIN ?=
INSTALL_BIN = $(or $(SIPWARD_BIN),build/release/sipward)

install: $(if $(SIPWARD_BIN),,build)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/sipward
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/sipward
	install -m 0644 doc/sipward.8 $(DESTDIR)$(MANDIR)/man8/sipward.8
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' \
		-e 's|/usr/local/etc/|$(SYSCONFDIR)/|g' \
		contrib/sipward.service >$(DESTDIR)$(UNITDIR)/sipward.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sipward.service
	install -m 0644 contrib/sipward.ini README.md $(DESTDIR)$(DOCDIR)/
	@# The live config: the example with absolute state paths, so the CLI
	@# finds the store and the admin token from any directory.
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/sipward/sipward.ini ]; then \
		$(INSTALL_BIN) serve --print-config \
			--set store.path=$(STATEDIR)/sipward.db \
			--set http.token_file=$(STATEDIR)/admin.token \
			>$(DESTDIR)$(SYSCONFDIR)/sipward/sipward.ini && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/sipward/sipward.ini; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sipward $(DESTDIR)$(MANDIR)/man8/sipward.8 \
		$(DESTDIR)$(UNITDIR)/sipward.service
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/sipward (configuration)"
