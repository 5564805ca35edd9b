/*
 * A participant's bonus (docs/EXPERIMENTS.md "Bonus"): pure arithmetic on what flow
 * tallied for them, so tests can check every rule without a server.
 *
 *   score part   = max(points, 0) x per_point, capped at max_score
 *   waiting part = seconds waited (to the nearest) x per_minute_waited / 60, rounded down to
 *                  1/MONEY_SCALE, capped at max_waiting
 *   bonus        = score part + waiting part, rounded down to a whole cent
 *
 * points is the team score (every seat's rewards added) of the frames confirmed while the
 * participant held a seat, over every episode of every game they played; wait_ms the time
 * in waiting rooms, as the waits rows record it.
 */
#ifndef COHORT_BONUS_H
#define COHORT_BONUS_H

#include <stdint.h>

#include "../config/config.h"

typedef struct {
    int64_t points;     /* as given */
    int64_t wait_ms;    /* as given */
    int64_t score_part; /* minor units (money.h), after its cap */
    int64_t wait_part;  /* minor units, after its cap */
    int64_t total;      /* minor units, a whole number of cents: what is paid */
} bonus_result;

/* All zero when the rule is not enabled. */
bonus_result bonus_compute(const bonus_spec *rule, int64_t points, int64_t wait_ms);

/* "1.02 GBP" (or "1.02" without a currency): the {bonus} of the end page's text. */
void bonus_describe(const bonus_spec *rule, int64_t total, char *out, size_t cap);

#endif
