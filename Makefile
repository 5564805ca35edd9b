# cohort build. `make` builds build/cohort, build/cohort-bots and build/web/; `make test`
# runs every suite. Sources are found by wildcard: a new .c under src/ or envs/ needs no
# Makefile edit.

# Without this the default goal is the first rule make reads, and envs/envs.mk (included
# before `all`) has rules: plain `make` built only build/web/envs/cooking.wasm.
# tests/make/readme-make.sh (in `make test-unit`) checks that `make` builds what the
# README says it does.
.DEFAULT_GOAL := all

CC      ?= cc
PKGS    := openssl jansson libfyaml sqlite3

# A fresh machine has none of the libraries: say what to type instead of a page of
# pkg-config and compiler errors. test and demo run scripts/setup themselves, first.
ifeq ($(filter test demo clean,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) 2>/dev/null && echo ok),ok)
$(error cohort's libraries are not installed ($(PKGS), found with pkg-config): run `bash scripts/setup` first, or `make demo` or `make test`, which run it)
endif
endif
WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wvla
BASE    := -std=c11 -D_GNU_SOURCE -pthread -Isrc -Ienvs $(WARN) $(shell pkg-config --cflags $(PKGS))
# http_parser has no pkg-config file in Debian.
LIBS    := $(shell pkg-config --libs $(PKGS)) -lhttp_parser -pthread -lm
OPT     := -O2 -g
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
TSAN    := -O1 -g -fno-omit-frame-pointer -fsanitize=thread

# src/bots is its own program (build/cohort-bots, below): not in the server or its tests.
SRC_LIB := $(filter-out src/main.c src/bots/%,$(wildcard src/*/*.c)) $(wildcard envs/*.c) $(wildcard envs/*/*.c)
OBJ     := $(SRC_LIB:%.c=build/obj/%.o)
OBJ_SAN := $(SRC_LIB:%.c=build/san/%.o)
OBJ_TSAN := $(SRC_LIB:%.c=build/tsan/%.o)
TESTS   := $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/test_*.c))

# Env wasm modules, env tests, fuzz and bench targets live with the envs.
-include envs/envs.mk

# $(call launcher,TARGET,COMMAND): TARGET is a two-line script that runs COMMAND from the
# top of the tree: what the suite and bench lists below run.
define launcher
$(1): Makefile
	@mkdir -p $$(dir $$@)
	@printf '#!/bin/sh\nexec $(2)\n' > $$@
	@chmod +x $$@
endef

# The browser client's logic (rollback, wire format) under Node's test runner.
$(eval $(call launcher,build/tests/web_unit,node --test tests/web/))
UNIT_EXTRA += build/tests/web_unit $(ENV_WASM)
UNIT_EXTRA_RUN += build/tests/web_unit

# `make` builds what the README's build line says (make's own database, nothing built).
$(eval $(call launcher,build/tests/readme_make,bash tests/make/readme-make.sh))
UNIT_EXTRA += build/tests/readme_make
UNIT_EXTRA_RUN += build/tests/readme_make

# Every fuzzer still builds and passes its seeds; the socket's parsers fuzz a few seconds.
$(eval $(call launcher,build/tests/fuzz_smoke,bash tests/fuzz/smoke.sh))
UNIT_EXTRA += build/tests/fuzz_smoke
UNIT_EXTRA_RUN += build/tests/fuzz_smoke

# Netcode as a participant's browser sees it: latency and rollback cost (bench/browser).
$(eval $(call launcher,build/bench/browser,node bench/browser/bench.mjs))
BENCHES += build/bench/browser
BENCH_DEPS += build/bench/browser

# Trained agents: the cost of one decision in a page and in Node (docs/AGENTS.md).
$(eval $(call launcher,build/bench/agents,node bench/agents/bench.mjs))
BENCHES += build/bench/agents
BENCH_DEPS += build/bench/agents

# How many participants one server carries: bots against cohort and a bare echo server.
$(eval $(call launcher,build/bench/load,bash bench/load/run))
BENCHES += build/bench/load
BENCH_DEPS += build/bench/load

# Scale-out in simulation: studies on machines of their own (network namespaces) behind
# one balancer, Caddy and HAProxy (bench/scale, docs/SCALE.md "Past one machine").
$(eval $(call launcher,build/bench/scale,bash bench/scale/run))
BENCHES += build/bench/scale
BENCH_DEPS += build/bench/scale

# The store's writer: frames per second it sustains, and what a caller pays per call.
BENCHES += build/bench/bench_store
BENCH_DEPS += build/bench/bench_store
build/bench/bench_store: bench/store/bench_store.c $(filter build/obj/src/store/% build/obj/src/util/% build/obj/src/proto/names.o build/obj/envs/%,$(OBJ))
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) $^ -o $@ $(LIBS)

# Restart: bringing back N participants from an earlier run's cohort.db (bench/restart).
BENCHES += build/bench/bench_restart
BENCH_DEPS += build/bench/bench_restart
build/bench/bench_restart: bench/restart/bench_restart.c $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) $^ -o $@ $(LIBS)

# `cohort export` over one million frames (bench/export): a data folder written through the
# store, then the export timed.
build/bench/export_gen: bench/export/gen.c $(filter build/obj/src/store/% build/obj/src/util/% build/obj/src/proto/names.o build/obj/envs/%,$(OBJ))
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) $^ -o $@ $(LIBS)
# $$$$@: call and eval each take one $ off, so the script gets "$@" (its arguments).
$(eval $(call launcher,build/bench/export,bash bench/export/run "$$$$@"))
BENCHES += build/bench/export
BENCH_DEPS += build/bench/export build/bench/export_gen

.PHONY: all web test test-unit test-hostile test-export test-games test-e2e test-load test-deploy test-pilot demo bench setup setup-test clean install uninstall
all: build/cohort build/cohort-san build/cohort-bots web

# What building and serving needs; setup-test adds the test tools.
setup:
	@bash scripts/setup
setup-test:
	@bash scripts/setup --test

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) -MMD -MP -c $< -o $@

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(SAN) -MMD -MP -c $< -o $@

build/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(TSAN) -MMD -MP -c $< -o $@

build/cohort: build/obj/src/main.o $(OBJ)
	$(CC) $(OPT) $^ -o $@ $(LIBS)

# The same program with ASan+UBSan: unit tests link against these objects, and the
# server tests can run it (COHORT_BIN=build/cohort-san).
build/cohort-san: build/san/src/main.o $(OBJ_SAN)
	$(CC) $(SAN) $^ -o $@ $(LIBS)

# The same with ThreadSanitizer: the event loops, the store's writer and what they share
# under the bot swarm (tests/load/run). Built by test-load, not by `all`.
build/cohort-tsan: build/tsan/src/main.o $(OBJ_TSAN)
	$(CC) $(TSAN) $^ -o $@ $(LIBS)
test-load: build/cohort-tsan

# The network layer's own tests again under ThreadSanitizer: lending, closes and shutdown
# across three loops (and every test on two), run by test-unit.
build/tests-tsan/test_net: tests/unit/test_net.c $(OBJ_TSAN)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(TSAN) -Itests/unit $< $(OBJ_TSAN) -o $@ $(LIBS) -lcmocka
build/tests/test_net_tsan: Makefile build/tests-tsan/test_net
	@printf '#!/bin/sh\nTSAN_OPTIONS="exitcode=66 $$TSAN_OPTIONS" exec build/tests-tsan/test_net\n' > $@
	@chmod +x $@
UNIT_EXTRA += build/tests/test_net_tsan
UNIT_EXTRA_RUN += build/tests/test_net_tsan

# The bot swarm (`cohort bots` execs it): its own sources, the wire format, the clock and
# the envs (bots step the game natively; greedy bots use the envs' scripted policies).
# tests/load and bench/ run them through build/cohort, never under sanitizers: no
# sanitizer build of them.
BOTS_OBJ := $(patsubst %.c,build/obj/%.o,$(wildcard src/bots/*.c) src/proto/proto.c src/proto/names.c src/util/clock.c src/util/ident.c) \
            $(filter build/obj/envs/%,$(OBJ))
build/cohort-bots: $(BOTS_OBJ)
	$(CC) $(OPT) $^ -o $@ $(shell pkg-config --libs jansson) -lm

# tests/unit/support.c: the helpers the unit tests share (temporary folders, file reads
# and writes), linked into each of them.
TEST_SUPPORT := build/san/tests/unit/support.o
.SECONDARY: $(TEST_SUPPORT)
build/tests/%: tests/unit/%.c tests/unit/support.h $(TEST_SUPPORT) $(OBJ_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(SAN) -Itests/unit $< $(TEST_SUPPORT) $(OBJ_SAN) -o $@ $(LIBS) -lcmocka

# The browser client: web/ copied as is (no build step), plus the env wasm modules, the
# shipped trained agents (models/ -> build/web/models/) and, once scripts/setup --agents
# has installed them, the model runtimes from npm (build/web/vendor/, docs/AGENTS.md).
WEB_SRC := $(shell find web -type f 2>/dev/null)
MODEL_FILES := $(shell find models -type f ! -name '*.md' 2>/dev/null)
TFJS_DIST := node_modules/@tensorflow/tfjs/dist
ORT_DIST := node_modules/onnxruntime-web/dist
VENDOR := $(if $(wildcard $(TFJS_DIST)/tf.fesm.min.js),build/web/vendor/tf.fesm.min.js) \
  $(if $(wildcard $(ORT_DIST)/ort.wasm.min.mjs),$(addprefix build/web/vendor/ort/,ort.wasm.min.mjs \
  ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm))
web: $(WEB_SRC:%=build/%) $(ENV_WASM) $(MODEL_FILES:%=build/web/%) $(VENDOR)
build/web/%: web/%
	@mkdir -p $(dir $@)
	cp $< $@
build/web/models/%: models/%
	@mkdir -p $(dir $@)
	cp $< $@
build/web/vendor/tf.fesm.min.js: $(TFJS_DIST)/tf.fesm.min.js
	@mkdir -p $(dir $@)
	cp $< $@
build/web/vendor/ort/%: $(ORT_DIST)/%
	@mkdir -p $(dir $@)
	cp $< $@

# test and demo run setup first in their own recipe, so that a fresh machine gets
# pkg-config and the libraries before the real build is parsed; demo installs only what
# building and serving needs, test the test tools too.
# Every suite runs even when an earlier one fails, so one CI log shows everything.
test:
	@bash scripts/setup --test
	$(MAKE) all
	@pass=0; fail=0; failed=""; times=""; \
	for suite in test-unit test-hostile test-export test-games test-e2e test-load test-deploy test-pilot; do \
	  t0=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$suite; then pass=$$((pass + 1)); \
	  else fail=$$((fail + 1)); failed="$$failed $$suite"; fi; \
	  times="$$times $$suite $$(( $$(date +%s) - t0 ))s"; \
	done; \
	echo "suite times:$$times"; \
	[ -z "$$failed" ] || echo "failed suites:$$failed"; \
	echo "suites: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

test-unit: $(TESTS) $(UNIT_EXTRA)
	@set -e; fail=0; for t in $(TESTS); do echo "== $$t"; $$t || fail=1; done; \
	for t in $(UNIT_EXTRA_RUN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

test-e2e: all
	@bash tests/e2e/run

test-load: all
	@bash tests/load/run

# What docs/DEPLOY.md promises (tests/deploy/run): make install's layout and the installed
# server, the systemd unit, and two browsers playing through a real Caddy over https/wss.
test-deploy: all
	@bash tests/deploy/run

# `cohort pilot` over every example experiment and over broken ones (tests/pilot/run).
test-pilot: all
	@bash tests/pilot/run

# `cohort export` on a bot run's data: pandas, R, the Overcooked-AI format (tests/export).
test-export: all
	@bash tests/export/run

# The game of docs/GAMES.md: `cohort new-game` in a copy of the tree, built, checked
# native against wasm, played by bots, replayed and exported (tests/games/run).
test-games: all
	@bash tests/games/run

# Hostile and broken clients beside honest ones (tests/hostile/cases): one case or all.
test-hostile: all
	@bash tests/hostile/run

demo:
	@bash scripts/setup
	$(MAKE) build/cohort web
	./build/cohort serve experiments/demo/experiment.yaml --port 8000

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs to PREFIX/bin, the client and
# the example experiments to PREFIX/share/cohort, `cohort pilot`'s driver (tools/pilot and
# tools/harness, and Playwright's playwright-core when scripts/setup --pilot installed it), the systemd unit (deploy/cohort.service,
# its /usr/local paths set to PREFIX) to UNITDIR, and beside it cohort@.service, one
# instance per study, made from it by deploy/instance.sed so the two never drift apart. docs/DEPLOY.md uses it; tests/deploy
# checks it. The client and experiments are replaced whole, each by one rename, so an
# upgrade leaves no file of the old version behind and no moment with half a client.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/cohort
UNITDIR ?= $(PREFIX)/lib/systemd/system

# $(call install_tree,SOURCE,DEST): DEST becomes a copy of SOURCE's contents.
define install_tree
	rm -rf '$(2).new' '$(2).old'
	mkdir -p '$(2).new'
	cp -R $(1)/. '$(2).new'
	chmod -R u=rwX,go=rX '$(2).new'
	if [ -e '$(2)' ]; then mv '$(2)' '$(2).old'; fi
	mv '$(2).new' '$(2)'
	rm -rf '$(2).old'
endef

install: build/cohort build/cohort-bots web
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(DATADIR)' '$(DESTDIR)$(UNITDIR)'
	install -m 0755 build/cohort build/cohort-bots '$(DESTDIR)$(BINDIR)/'
	$(call install_tree,build/web,$(DESTDIR)$(DATADIR)/web)
	$(call install_tree,experiments,$(DESTDIR)$(DATADIR)/experiments)
	$(call install_tree,tools/pilot,$(DESTDIR)$(DATADIR)/pilot)
	$(call install_tree,tools/harness,$(DESTDIR)$(DATADIR)/harness)
	rm -rf '$(DESTDIR)$(DATADIR)/node_modules'
	if [ -d node_modules/playwright-core ]; then mkdir -p '$(DESTDIR)$(DATADIR)/node_modules' && \
	  cp -RL node_modules/playwright-core '$(DESTDIR)$(DATADIR)/node_modules/' && \
	  chmod -R u=rwX,go=rX '$(DESTDIR)$(DATADIR)/node_modules'; fi
	sed 's|/usr/local/bin/|$(BINDIR)/|g; s|/usr/local/share/cohort/|$(DATADIR)/|g; s|/usr/local|$(PREFIX)|g' \
	  deploy/cohort.service > '$(DESTDIR)$(UNITDIR)/cohort.service.new'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/cohort.service.new'
	sed -f deploy/instance.sed '$(DESTDIR)$(UNITDIR)/cohort.service.new' > '$(DESTDIR)$(UNITDIR)/cohort@.service.new'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/cohort@.service.new'
	mv '$(DESTDIR)$(UNITDIR)/cohort.service.new' '$(DESTDIR)$(UNITDIR)/cohort.service'
	mv '$(DESTDIR)$(UNITDIR)/cohort@.service.new' '$(DESTDIR)$(UNITDIR)/cohort@.service'

# Removes what install put there; data (/var/lib/cohort), /etc/cohort and the experiment
# folder are left alone.
uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/cohort' '$(DESTDIR)$(BINDIR)/cohort-bots' '$(DESTDIR)$(UNITDIR)/cohort.service' \
	  '$(DESTDIR)$(UNITDIR)/cohort@.service'
	rm -rf '$(DESTDIR)$(DATADIR)'

bench: all $(BENCH_DEPS)
	@for b in $(BENCHES); do $$b || exit 1; done

# The soak's deliberately leaking servers (build/cohort-leak, build/cohort-leak-san).
-include bench/soak/soak.mk

# Fuzzers for everything that parses outside input (env fuzzing lives in envs.mk).
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Ienvs
build/fuzz/fuzz_config: tests/fuzz/fuzz_config.c src/config/config.c src/agents/catalog.c src/config/design.c src/config/config_quiz.c src/config/page_fields.c src/config/config_require.c src/config/config_bonus.c src/config/config_values.c src/config/yaml_tree.c src/util/file.c src/util/ident.c src/util/money.c src/texts/texts.c src/proto/names.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ $(shell pkg-config --cflags --libs libfyaml) -o $@
build/fuzz/fuzz_proto: tests/fuzz/fuzz_proto.c src/proto/proto.c src/proto/names.c src/util/ident.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ $(shell pkg-config --cflags --libs jansson) -o $@
# A hello from the wire to who the server says it is (identity_decide, a fake world).
build/fuzz/fuzz_hello: tests/fuzz/fuzz_hello.c src/flow/identity.c src/texts/texts.c src/proto/proto.c src/proto/names.c src/util/ident.c src/util/clock.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ $(shell pkg-config --cflags --libs jansson) -o $@
# The HTTP request path once parsed: the path and query from the target, the admin routes
# (a stub flow stands in), X-Forwarded-For and the address parsers.
build/fuzz/fuzz_http: tests/fuzz/fuzz_http.c src/admin/admin.c src/net/request.c src/net/forwarded.c src/proto/names.c src/util/clock.c src/util/file.c src/util/ident.c src/util/money.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ $(shell pkg-config --cflags --libs jansson sqlite3) -lhttp_parser -o $@
# What net parses from the wire: requests (Node's http_parser underneath) and frames.
build/fuzz/fuzz_net: tests/fuzz/fuzz_net.c src/net/request.c src/net/wsframe.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ -o $@ -lhttp_parser -lcrypto

.PHONY: fuzz fuzz-config fuzz-proto fuzz-hello fuzz-http fuzz-net
fuzz-config: build/fuzz/fuzz_config
	@mkdir -p build/fuzz/config-corpus
	build/fuzz/fuzz_config -max_total_time=$(FUZZ_TIME) -max_len=4096 -dict=tests/fuzz/config.dict -artifact_prefix=build/fuzz/ build/fuzz/config-corpus tests/unit/configs experiments/demo
fuzz-proto: build/fuzz/fuzz_proto
	@mkdir -p build/fuzz/proto-corpus
	build/fuzz/fuzz_proto -max_total_time=$(FUZZ_TIME) -max_len=70000 -artifact_prefix=build/fuzz/ build/fuzz/proto-corpus tests/fuzz/proto-seeds
fuzz-hello: build/fuzz/fuzz_hello
	@mkdir -p build/fuzz/hello-corpus
	build/fuzz/fuzz_hello -max_total_time=$(FUZZ_TIME) -max_len=8192 -dict=tests/fuzz/hello.dict -artifact_prefix=build/fuzz/ build/fuzz/hello-corpus tests/fuzz/hello-seeds
fuzz-http: build/fuzz/fuzz_http
	@mkdir -p build/fuzz/http-corpus
	build/fuzz/fuzz_http -max_total_time=$(FUZZ_TIME) -max_len=2048 -dict=tests/fuzz/http.dict -artifact_prefix=build/fuzz/ build/fuzz/http-corpus tests/fuzz/http-seeds
fuzz-net: build/fuzz/fuzz_net
	@mkdir -p build/fuzz/net-corpus
	build/fuzz/fuzz_net -max_total_time=$(FUZZ_TIME) -max_len=4096 -dict=tests/fuzz/net.dict -artifact_prefix=build/fuzz/ build/fuzz/net-corpus tests/fuzz/net-seeds
fuzz: fuzz-config fuzz-proto fuzz-hello fuzz-http fuzz-net fuzz-envs

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(OBJ_SAN:.o=.d) $(OBJ_TSAN:.o=.d) $(TEST_SUPPORT:.o=.d) build/obj/src/main.d build/san/src/main.d build/tsan/src/main.d \
         $(patsubst %.c,build/obj/%.d,$(wildcard src/bots/*.c))
