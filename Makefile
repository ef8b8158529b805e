# Parley: `make run` serves on :3000 with data in ./data; `make test` runs every test. Needs only Node/npm.
SHELL := /bin/bash
BUN_VERSION := 1.4.5
BUN := $(shell command -v bun 2>/dev/null || echo $(CURDIR)/.tools/node_modules/.bin/bun)

.PHONY: run test test-env build web deps bench bench-quick fuzz crash crash-cluster faults soak typecheck db-generate screenshots clean

$(CURDIR)/.tools/node_modules/.bin/bun:
	npm install --no-audit --no-fund --prefix $(CURDIR)/.tools bun@$(BUN_VERSION)

node_modules/.installed: package.json bun.lock | $(BUN)
	$(BUN) install --frozen-lockfile
	@touch $@

deps: node_modules/.installed

web/dist/index.html: deps $(shell find web/src web/index.html web/vite.config.ts -type f 2>/dev/null)
	$(BUN) x vite build --config web/vite.config.ts --logLevel warn

web: web/dist/index.html

run: deps web
	$(BUN) server/main.ts

build: deps web
	$(BUN) server/build.ts

# What the tests need beyond Bun: Debian's chromium and haproxy (installed when missing, as root),
# PostgreSQL, Redis and NATS on 127.0.0.1 (started when they are installed but down).
test-env:
	@server/test/ensure-env.sh

# Suites that speak only HTTP/WebSocket (no ctx, no moved clock): run a second time against the compiled
# binary (server/test/harness.ts, PARLEY_TEST_BINARY), so what ships is tested, not only the source.
BINARY_SUITES := server/features/rooms/rooms.test.ts server/features/search/search.test.ts \
  server/realtime/resume.test.ts server/realtime/resync.test.ts server/features/auth/client-address.test.ts \
  server/reliability.test.ts server/metrics.test.ts server/hardening.test.ts server/reliability/crash.test.ts

# Prints the final `tests: N passed, N failed[, N skipped]` line CI reads (both runs counted); exits non-zero on failure.
# The type check counts as one more test: `bun test` alone does not see type errors.
test: deps web test-env
	@set -o pipefail; tc=0; ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; $(MAKE) --no-print-directory typecheck || tc=1; \
	  $(BUN) test --timeout 60000 2>&1 | tee .test.log; status=$$?; \
	  bintmp=$$(mktemp -d); echo "== again against the compiled binary: $(BINARY_SUITES)"; \
	  TMPDIR=$$bintmp PARLEY_TEST_BINARY=1 $(BUN) test --timeout 60000 $(BINARY_SUITES) 2>&1 | tee -a .test.log || status=1; \
	  rm -rf $$bintmp; \
	  count() { grep -E "^ *[0-9]+ $$1\$$" .test.log | awk '{s+=$$1} END {print s+0}'; }; \
	  p=$$(count pass); f=$$(count fail); k=$$(count skip); \
	  if [ $$status -ne 0 ] && [ $$f -eq 0 ]; then f=1; fi; \
	  if [ $$tc -eq 0 ]; then p=$$((p + 1)); else f=$$((f + 1)); status=1; fi; \
	  if [ $$k -gt 0 ]; then echo "tests: $$p passed, $$f failed, $$k skipped"; else echo "tests: $$p passed, $$f failed"; fi; \
	  exit $$status

# Refreshes docs/screenshots/ from the browser tests that take them.
screenshots: deps web
	PARLEY_SCREENSHOTS=1 $(BUN) test --timeout 60000 web/test/chat.test.ts web/test/phone.test.ts web/test/pwa.test.ts web/test/team.test.ts web/test/account.test.ts web/test/threads.test.ts web/test/ticks.test.ts web/test/voice.test.ts web/test/previews.test.ts

typecheck: deps
	$(BUN) x tsc --noEmit -p .

db-generate: deps
	$(BUN) x drizzle-kit generate && $(BUN) x drizzle-kit generate --config drizzle.pg.config.ts
	$(BUN) server/db/bundle-migrations.ts

bench: build
	ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; $(BUN) bench/cli.ts

# Longer property-based fuzzing than `make test` runs (200 per target, a fixed seed): FUZZ_RUNS per
# target, a fresh seed each time (printed; FUZZ_SEED=<n> replays one).
fuzz: deps
	@seed=$${FUZZ_SEED:-$$(date +%s)}; echo "fuzz: seed $$seed, $${FUZZ_RUNS:-2000} runs per target"; \
	  FUZZ_SEED=$$seed FUZZ_RUNS=$${FUZZ_RUNS:-2000} $(BUN) test --timeout 600000 server/fuzz.test.ts

# The long reliability runs (docs/reliability.md) against dist/parley; each prints its figures as JSON.
# Short forms of each run in `make test` (server/reliability/*.test.ts). `faults` mounts a tmpfs and an ext4 image: run as root.
crash: build
	PARLEY_TEST_BINARY=$(CURDIR)/dist/parley $(BUN) server/reliability/run.ts crash --cycles $${CYCLES:-20}

# The same on three nodes (PostgreSQL on 127.0.0.1:5432, a Redis and HAProxy of its own), a random node killed each cycle.
crash-cluster: build
	PARLEY_TEST_BINARY=$(CURDIR)/dist/parley $(BUN) server/reliability/run.ts crash --cluster --cycles $${CYCLES:-20}

faults: build
	PARLEY_TEST_BINARY=$(CURDIR)/dist/parley $(BUN) server/reliability/run.ts faults

# 10,000 idle connections for 10 minutes, then a reconnect storm after a SIGKILL; then a minute of a stalled reader.
soak: build
	ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; \
	  PARLEY_TEST_BINARY=$(CURDIR)/dist/parley $(BUN) server/reliability/run.ts idle --conns $${CONNS:-10000} --idle-sec $${IDLE_SEC:-600} && \
	  PARLEY_TEST_BINARY=$(CURDIR)/dist/parley $(BUN) server/reliability/run.ts slow --seconds $${SLOW_SEC:-60}

bench-quick: deps
	ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; $(BUN) bench/cli.ts --quick

clean:
	rm -rf dist web/dist .tools .test.log
