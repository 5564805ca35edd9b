# Env build rules, included by the Makefile before its own rules (it defines CC, BASE,
# WARN, OPT, SAN). Provides:
#   ENV_WASM             build/web/envs/FAMILY.wasm, one freestanding module per family
#   UNIT_EXTRA(_RUN)     the cross-target determinism check for `make test-unit`
#   BENCHES, BENCH_DEPS  env step / snapshot benchmarks (native and wasm) for `make bench`
#   fuzz-envs            60 s of libFuzzer over every env
# and builds the env unit tests (tests/unit/test_env_*.c) from env sources only, so they
# never depend on the server's sources.

ENV_FAMILIES := cooking volley commons
ENV_SRC      := $(wildcard envs/*.c) $(wildcard envs/*/*.c)
ENV_HDR      := $(wildcard envs/*.h) $(wildcard envs/*/*.h)
ENV_OBJ      := $(ENV_SRC:%.c=build/obj/%.o)
ENV_OBJ_SAN  := $(ENV_SRC:%.c=build/san/%.o)
# Freestanding sources shared by every family (registry.c uses libc: native only).
ENV_COMMON   := envs/hash.c envs/drawlist.c envs/describe.c

# --- wasm --------------------------------------------------------------------------
# clang targets wasm32 out of the box (Debian clang 14 + lld). -mbulk-memory turns
# struct copies and clears into memory.copy/memory.fill (every current browser and Node).
WASM_CC      ?= clang
WASM_CFLAGS  := --target=wasm32 -std=c11 -O2 -ffreestanding -nostdlib -mbulk-memory \
                -fvisibility=hidden -Ienvs $(WARN)
WASM_LDFLAGS := -Wl,--no-entry -Wl,--export-dynamic
ENV_WASM     := $(ENV_FAMILIES:%=build/web/envs/%.wasm)

# The glue (envs/wasm/glue.wc) is C, named .wc so the native wildcards never compile it.
define ENV_WASM_RULE
build/web/envs/$(1).wasm: envs/wasm/glue.wc $(ENV_COMMON) $(wildcard envs/$(1)/*.c) $(ENV_HDR) envs/envs.mk
	@mkdir -p $$(dir $$@)
	$$(WASM_CC) $$(WASM_CFLAGS) -DENV_FAMILY=$(1) -x c envs/wasm/glue.wc -x none \
	    $(ENV_COMMON) $(wildcard envs/$(1)/*.c) $$(WASM_LDFLAGS) -o $$@
endef
$(foreach f,$(ENV_FAMILIES),$(eval $(call ENV_WASM_RULE,$(f))))

# --- unit tests ----------------------------------------------------------------------
# More specific than the Makefile's build/tests/% rule (shorter stem), so make uses this
# one: env tests link env objects only.
build/tests/test_env_%: tests/unit/test_env_%.c $(ENV_OBJ_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(SAN) -Itests/unit $< $(ENV_OBJ_SAN) -o $@ -lcmocka

# Cross-target determinism: the native program writes hashes, Node replays the wasm.
build/tests/env_dethash: tests/determinism/dethash.c $(ENV_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) $< $(ENV_OBJ) -o $@

# test-unit runs each UNIT_EXTRA_RUN word as a command, so wrap the node call in a script.
build/tests/env_determinism: envs/envs.mk
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec node tests/determinism/check.mjs --native build/tests/env_dethash --wasm build/web/envs "$$@"\n' > $@
	@chmod +x $@

UNIT_EXTRA     += $(ENV_WASM) build/tests/env_dethash build/tests/env_determinism
UNIT_EXTRA_RUN += build/tests/env_determinism

# --- fuzzing -------------------------------------------------------------------------
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
build/fuzz/fuzz_envs: tests/determinism/fuzz_envs.c $(ENV_SRC) $(ENV_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -Ienvs $< $(ENV_SRC) -o $@

.PHONY: fuzz-envs
fuzz-envs: build/fuzz/fuzz_envs $(ENV_WASM)
	@node tests/determinism/fuzz_seeds.mjs build/fuzz/corpus --wasm build/web/envs
	build/fuzz/fuzz_envs -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -max_len=4096 \
	    -artifact_prefix=build/fuzz/ build/fuzz/corpus

# --- benchmarks ----------------------------------------------------------------------
build/bench/env_bench: bench/envs/bench_envs.c $(ENV_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) $< $(ENV_OBJ) -o $@

build/bench/env_bench_wasm: envs/envs.mk
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec node bench/envs/bench.mjs --wasm build/web/envs "$$@"\n' > $@
	@chmod +x $@

BENCHES    += build/bench/env_bench build/bench/env_bench_wasm
BENCH_DEPS += build/bench/env_bench build/bench/env_bench_wasm $(ENV_WASM)
