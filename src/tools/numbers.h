/*
 * Numbers in the tools' files (episode CSVs, sidecars, cohort.db text): strict decimal
 * parsing (digits only, an optional '-' for signed; no spaces, no '+', no overflow) and
 * the 16-digit hex of a state hash. Shared by replay, compare and export.
 */
#ifndef COHORT_TOOLS_NUMBERS_H
#define COHORT_TOOLS_NUMBERS_H

#include <stdbool.h>
#include <stdint.h>

static inline bool parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (*p < '0' || *p > '9')
        return false;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p || v > (uint64_t)INT64_MAX + neg)
        return false;
    *out = !neg ? (int64_t)v : v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    return true;
}

static inline bool parse_u64(const char *s, uint64_t *out)
{
    const char *p = s;
    if (*p < '0' || *p > '9')
        return false;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (*p)
        return false;
    *out = v;
    return true;
}

static inline void hex16(uint64_t h, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = digits[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
}

#endif
