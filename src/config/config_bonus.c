/*
 * bonus: the rule for paying a bonus from the team score and the time waited
 * (docs/EXPERIMENTS.md "Bonus"). Amounts are read from the scalar's text as decimals into
 * integer minor units (src/util/money.h), never through a float, so "0.1" is exactly a
 * tenth and the same file pays the same on every machine.
 */
#include "config/config_bonus.h"

#include <string.h>

#include "util/money.h"

enum { B_PER_POINT, B_MAX_SCORE, B_PER_MINUTE_WAITED, B_MAX_WAITING, B_SHOW, B_CURRENCY, B_N };
static const char *const bonus_keys[B_N] = {
    [B_PER_POINT] = "per_point", [B_MAX_SCORE] = "max_score",
    [B_PER_MINUTE_WAITED] = "per_minute_waited", [B_MAX_WAITING] = "max_waiting",
    [B_SHOW] = "show", [B_CURRENCY] = "currency",
};
static const cfg_schema bonus_schema = {"bonus", "in bonus", bonus_keys, B_N};

/* An amount from 0 to max_units (whole currency units), at most MONEY_DECIMALS decimals. */
static bool read_amount(cfg_ctx *c, const ynode *n, const char *name, int64_t max_units,
                        int64_t *out)
{
    if (n->kind != YNODE_SCALAR || n->is_null)
        return cfg_fail(c, n, "%s must be an amount such as 0.02, got %s", name, cfg_got(c, n));
    int64_t v = 0;
    switch (money_parse(n->text, &v)) {
    case MONEY_OK:
        break;
    case MONEY_NEGATIVE:
        return cfg_fail(c, n, "%s must not be negative, got %s", name, cfg_got(c, n));
    case MONEY_TOO_PRECISE:
        return cfg_fail(c, n, "%s has more than %d decimals (amounts are kept to 1/%d), got %s",
                        name, MONEY_DECIMALS, MONEY_SCALE, cfg_got(c, n));
    case MONEY_TOO_LARGE:
        v = MONEY_MAX + 1;
        break;
    default:
        return cfg_fail(c, n, "%s must be an amount such as 0.02 (digits and at most one "
                              "decimal point), got %s", name, cfg_got(c, n));
    }
    if (v > max_units * MONEY_SCALE)
        return cfg_fail(c, n, "%s must be at most %lld, got %s", name, (long long)max_units,
                        cfg_got(c, n));
    *out = v;
    return true;
}

/* Three capital letters: an ISO 4217 code, shown beside the amount. */
static bool read_currency(cfg_ctx *c, const ynode *n, char out[4])
{
    bool ok = n->kind == YNODE_SCALAR && !n->is_null && n->len == 3;
    for (size_t i = 0; ok && i < 3; i++)
        ok = n->text[i] >= 'A' && n->text[i] <= 'Z';
    if (!ok)
        return cfg_fail(c, n, "currency must be a three-letter currency code such as GBP or "
                              "USD, got %s", cfg_got(c, n));
    memcpy(out, n->text, 4);
    return true;
}

bool cfg_load_bonus(cfg_ctx *c, const ynode *n, bonus_spec *b)
{
    cfg_field f[B_N];
    if (!cfg_mapping(c, n, &bonus_schema, f))
        return false;
    *b = (bonus_spec){.enabled = true, .max_score = CFG_NO_CAP, .max_waiting = CFG_NO_CAP};
    const struct {
        int field;
        int64_t max_units;
        int64_t *dst;
    } amounts[] = {
        {B_PER_POINT, BONUS_MAX_RATE, &b->per_point},
        {B_MAX_SCORE, BONUS_MAX_CAP, &b->max_score},
        {B_PER_MINUTE_WAITED, BONUS_MAX_RATE, &b->per_minute_waited},
        {B_MAX_WAITING, BONUS_MAX_CAP, &b->max_waiting},
    };
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        const ynode *v = f[amounts[i].field].val;
        if (v && !read_amount(c, v, bonus_keys[amounts[i].field], amounts[i].max_units,
                              amounts[i].dst))
            return false;
    }
    /* A cap without its rate caps nothing: the researcher meant something else. */
    if (f[B_MAX_SCORE].key && !f[B_PER_POINT].key)
        return cfg_fail(c, f[B_MAX_SCORE].key, "max_score caps the score part, but bonus has "
                                               "no per_point");
    if (f[B_MAX_WAITING].key && !f[B_PER_MINUTE_WAITED].key)
        return cfg_fail(c, f[B_MAX_WAITING].key, "max_waiting caps the waiting part, but bonus "
                                                 "has no per_minute_waited");
    if (!f[B_PER_POINT].key && !f[B_PER_MINUTE_WAITED].key)
        return cfg_fail(c, n, "bonus needs per_point or per_minute_waited (or both)");
    if (f[B_SHOW].val && !cfg_bool(c, f[B_SHOW].val, "show", &b->show))
        return false;
    return !f[B_CURRENCY].val || read_currency(c, f[B_CURRENCY].val, b->currency);
}
