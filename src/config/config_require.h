/*
 * The experiment file's `require:` block (device screening; docs/EXPERIMENTS.md "Device
 * requirements"). Internal to src/config/: config.c calls it for the top-level key.
 */
#ifndef COHORT_CONFIG_REQUIRE_H
#define COHORT_CONFIG_REQUIRE_H

#include <stdbool.h>

#include "config/config.h"
#include "config/config_values.h"

/* Reads `require: {desktop: BOOL, keyboard: BOOL, min_window: {width: N, height: N}}`
 * into out (which the caller has zeroed: nothing required). False with the one error. */
bool config_load_require(cfg_ctx *c, const ynode *n, require_spec *out);

#endif
