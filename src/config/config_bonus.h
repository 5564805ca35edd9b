/* The `bonus:` block of an experiment file (config_bonus.c). Internal to src/config/. */
#ifndef COHORT_CONFIG_BONUS_H
#define COHORT_CONFIG_BONUS_H

#include "config/config.h"
#include "config/config_values.h"

/* Largest rate (per point, per minute) and largest cap, in currency units: a bonus rule
 * beyond these is a typo (a missing decimal point), not a study design. */
#define BONUS_MAX_RATE 100
#define BONUS_MAX_CAP 10000

/* Fills *out (enabled) from the mapping n, or fails with one FILE:LINE:COL message. */
bool cfg_load_bonus(cfg_ctx *c, const ynode *n, bonus_spec *out);

#endif
