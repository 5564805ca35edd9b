/* The bonus arithmetic (bonus.h). Integers only: see src/util/money.h. */
#include "bonus.h"

#include <stdio.h>

#include "../util/money.h"

/* Past these a tally is nonsense (a trillion points, 30 years of waiting); clamping them
 * keeps every product far inside int64 (rates are at most 100 units, config_bonus.h). */
#define POINTS_MAX ((int64_t)1000000000000)
#define WAIT_MS_MAX ((int64_t)1000000000000)

static int64_t cap(int64_t v, int64_t limit)
{
    if (limit != CFG_NO_CAP && v > limit)
        v = limit;
    return v > MONEY_MAX ? MONEY_MAX : v;
}

bonus_result bonus_compute(const bonus_spec *rule, int64_t points, int64_t wait_ms)
{
    bonus_result r = {.points = points, .wait_ms = wait_ms};
    if (!rule || !rule->enabled)
        return r;
    /* A negative team score (volley is zero-sum, a game may have penalties) earns
     * nothing; it never takes from the waiting part. */
    int64_t pts = points < 0 ? 0 : points > POINTS_MAX ? POINTS_MAX : points;
    r.score_part = cap(pts * rule->per_point, rule->max_score);
    /* Pro rata to the second, the wait rounded to the nearest one (half up): the wait is
     * measured on the wall clock, and a 3 s timeout may record 2999 ms. */
    int64_t ms = wait_ms < 0 ? 0 : wait_ms > WAIT_MS_MAX ? WAIT_MS_MAX : wait_ms;
    int64_t secs = (ms + 500) / 1000;
    r.wait_part = cap(secs * rule->per_minute_waited / 60, rule->max_waiting);
    r.total = money_floor_cents(cap(r.score_part + r.wait_part, CFG_NO_CAP));
    return r;
}

void bonus_describe(const bonus_spec *rule, int64_t total, char *out, size_t len)
{
    char amount[MONEY_TEXT_MAX];
    money_format(total, amount);
    if (rule && rule->currency[0])
        snprintf(out, len, "%s %s", amount, rule->currency);
    else
        snprintf(out, len, "%s", amount);
}
