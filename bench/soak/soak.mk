# The soak's proof that it can fail (bench/soak/run, bench/README.md "Soak"):
# build/cohort-leak and build/cohort-leak-san are build/cohort and build/cohort-san with
# src/flow/participant.c compiled with -DCOHORT_SOAK_LEAK_BYTES=$(SOAK_LEAK_BYTES): every
# participant_create then leaks that many bytes (written, so they count in RSS). Only the
# one object differs; the others are the normal builds' own. Never part of `all`.
#   make soak-leak                         # both binaries
#   make -B soak-leak SOAK_LEAK_BYTES=1024 # another size (-B: the object does not know it)
SOAK_LEAK_BYTES ?= 4096
SOAK_LEAK_DEF   := -DCOHORT_SOAK_LEAK_BYTES=$(SOAK_LEAK_BYTES)

build/leak/obj/src/flow/participant.o: src/flow/participant.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) $(SOAK_LEAK_DEF) -MMD -MP -c $< -o $@

build/leak/san/src/flow/participant.o: src/flow/participant.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(SAN) $(SOAK_LEAK_DEF) -MMD -MP -c $< -o $@

build/cohort-leak: build/obj/src/main.o $(filter-out build/obj/src/flow/participant.o,$(OBJ)) build/leak/obj/src/flow/participant.o
	$(CC) $(OPT) $^ -o $@ $(LIBS)

build/cohort-leak-san: build/san/src/main.o $(filter-out build/san/src/flow/participant.o,$(OBJ_SAN)) build/leak/san/src/flow/participant.o
	$(CC) $(SAN) $^ -o $@ $(LIBS)

.PHONY: soak-leak
soak-leak: build/cohort-leak build/cohort-leak-san

# tests/load/run runs a short soak against build/cohort-leak and expects it to fail.
test-load: build/cohort-leak

-include build/leak/obj/src/flow/participant.d build/leak/san/src/flow/participant.d
