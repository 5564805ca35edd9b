/*
 * Money without floats (bonuses, docs/EXPERIMENTS.md "Bonus"). An amount is an int64 count
 * of MONEY_SCALE-ths of the currency unit (1/10000: a rate such as 0.0025 per point is
 * exact), so sums and caps are exact and the same on every machine. Amounts are shown
 * and paid with two decimals, rounded down: nobody is promised a fraction of a penny
 * that the payment then lacks.
 */
#ifndef COHORT_MONEY_H
#define COHORT_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONEY_SCALE 10000
#define MONEY_DECIMALS 4            /* digits after the point that MONEY_SCALE holds */
/* The most any amount may be: 1,000,000.0000. A bonus rule beyond this is a typo, and
 * capping here keeps every product of a rate and a count far inside int64. */
#define MONEY_MAX ((int64_t)1000000 * MONEY_SCALE)
#define MONEY_TEXT_MAX 24           /* "1000000.00" and the NUL, with room to spare */

typedef enum {
    MONEY_OK,
    MONEY_NOT_A_NUMBER,   /* not digits with at most one '.' (no sign, exponent, spaces) */
    MONEY_NEGATIVE,       /* a leading '-' */
    MONEY_TOO_PRECISE,    /* more than MONEY_DECIMALS digits after the point */
    MONEY_TOO_LARGE       /* over MONEY_MAX */
} money_status;

/* "0.02", "2", "1.5", ".5" -> minor units. Only plain decimals are accepted. */
money_status money_parse(const char *text, int64_t *out);
/* "1.23" (two decimals, rounded down; negative amounts print as 0.00, which no bonus
 * ever is). Returns out. */
char *money_format(int64_t amount, char out[MONEY_TEXT_MAX]);
/* The same amount rounded down to two decimals, in minor units: what is actually paid. */
int64_t money_floor_cents(int64_t amount);

#endif
