/* Decimal amounts <-> integer minor units (money.h). */
#include "money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define CENT (MONEY_SCALE / 100)

money_status money_parse(const char *text, int64_t *out)
{
    const char *p = text;
    if (*p == '-')
        return MONEY_NEGATIVE;
    int64_t whole = 0, frac = 0;
    int wdigits = 0, fdigits = 0;
    for (; *p >= '0' && *p <= '9'; p++, wdigits++) {
        whole = whole * 10 + (*p - '0');
        if (whole > MONEY_MAX / MONEY_SCALE + 1)
            whole = MONEY_MAX / MONEY_SCALE + 1; /* stays "too large", never overflows */
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, fdigits++)
            if (fdigits < MONEY_DECIMALS)
                frac = frac * 10 + (*p - '0');
            else if (*p != '0')
                return MONEY_TOO_PRECISE; /* trailing zeros ("0.50000") say nothing more */
    }
    if (*p != '\0' || wdigits + fdigits == 0)
        return MONEY_NOT_A_NUMBER;
    for (int d = fdigits < MONEY_DECIMALS ? fdigits : MONEY_DECIMALS; d < MONEY_DECIMALS; d++)
        frac *= 10;
    int64_t v = whole * MONEY_SCALE + frac;
    if (v > MONEY_MAX)
        return MONEY_TOO_LARGE;
    *out = v;
    return MONEY_OK;
}

int64_t money_floor_cents(int64_t amount)
{
    return amount <= 0 ? 0 : amount / CENT * CENT;
}

char *money_format(int64_t amount, char out[MONEY_TEXT_MAX])
{
    int64_t cents = money_floor_cents(amount) / CENT;
    snprintf(out, MONEY_TEXT_MAX, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
    return out;
}
