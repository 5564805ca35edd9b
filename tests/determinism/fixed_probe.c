/*
 * The fixed-point helpers (envs/fixed.h) on a deterministic input set, for the
 * cross-target check: compiled natively into build/tests/fixed_native (fixed_native.c
 * writes every output) and to build/tests/fixed_probe.wasm (check: fixed.mjs), which must
 * agree on every value. Freestanding, like the envs: only fixed.h.
 *
 * fixed_probe(op, i) is the output of helper `op` for input number i, as 32 bits.
 * Inputs mix every magnitude (full int32, Q16 sized, small) with edge values (0, +-1,
 * FX_MIN, FX_MAX, whole and half units) so that saturation and rounding ties are hit.
 */
#include "fixed.h"

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#else
#define EXPORT(name)
#endif

enum {
    OP_MUL, OP_DIV, OP_SQRT, OP_HYPOT, OP_SIN, OP_COS, OP_ATAN2, OP_ISQRT64, OP_FLOOR,
    OP_ROUND, OP_FROM_INT, OP_SPLITMIX_LO, OP_SPLITMIX_HI, OP_RNG_BELOW, OP_RNG_RANGE,
    OP_RNG_UNIT, FIXED_PROBE_OPS
};

static const int32_t edges[] = {
    0, 1, -1, 2, -2, FX_ONE, -FX_ONE, FX_HALF, -FX_HALF, FX_ONE + FX_HALF, -(FX_ONE + FX_HALF),
    FX_MAX, FX_MIN, FX_MAX - 1, FX_MIN + 1, 46341 * 256, -46341 * 256, 0x7FFF, -0x8000,
    FX_QUARTER_TURN, FX_HALF_TURN, -FX_HALF_TURN, FX_TURN, 3 * FX_QUARTER_TURN,
};
#define NEDGES (sizeof edges / sizeof edges[0])

/* Input `which` (0 or 1) of probe i of op. */
static int32_t input(uint32_t op, uint32_t i, uint32_t which)
{
    uint64_t h = fx_splitmix64(((uint64_t)op << 40) ^ ((uint64_t)i << 1) ^ which);
    uint32_t v = (uint32_t)h, cls = (uint32_t)(h >> 60);
    switch (cls & 7) {
    case 0: return (int32_t)v;                         /* anything */
    case 1: return (int32_t)(v & 0x1FFFF) - 0x10000;   /* within +-1.0 */
    case 2: return (int32_t)(v & 0x1FFFFF) - 0x100000; /* within +-16 */
    case 3: return (int32_t)(v & 0x1FFFFFF) - 0x1000000;
    case 4: return edges[v % NEDGES];
    case 5: return (int32_t)(v & 0xFF) - 0x80;          /* tiny */
    case 6: return (int32_t)((v & 0xFFFF) << 16);       /* whole numbers */
    default: return (int32_t)(v & 0x7FFFFFF) - 0x4000000;
    }
}

EXPORT(fixed_probe_ops) uint32_t fixed_probe_ops(void)
{
    return FIXED_PROBE_OPS;
}

EXPORT(fixed_probe) uint32_t fixed_probe(uint32_t op, uint32_t i)
{
    int32_t a = input(op, i, 0), b = input(op, i, 1);
    uint64_t seed = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    switch (op) {
    case OP_MUL: return (uint32_t)fx_mul(a, b);
    case OP_DIV: return (uint32_t)fx_div(a, b);
    case OP_SQRT: return (uint32_t)fx_sqrt(a);
    case OP_HYPOT: return (uint32_t)fx_hypot(a, b);
    case OP_SIN: return (uint32_t)fx_sin(a);
    case OP_COS: return (uint32_t)fx_cos(a);
    case OP_ATAN2: return (uint32_t)fx_atan2(a, b);
    case OP_ISQRT64: return (uint32_t)fx_isqrt64(seed);
    case OP_FLOOR: return (uint32_t)fx_floor(a);
    case OP_ROUND: return (uint32_t)fx_round(a);
    case OP_FROM_INT: return (uint32_t)fx_from_int(a);
    case OP_SPLITMIX_LO: return (uint32_t)fx_splitmix64(seed);
    case OP_SPLITMIX_HI: return (uint32_t)(fx_splitmix64(seed) >> 32);
    case OP_RNG_BELOW: {
        uint64_t s = seed;
        uint32_t r = 0;
        for (int k = 0; k < 4; k++) /* a few draws: the reject loop runs now and then */
            r = r * 31u + fx_rng_below(&s, (uint32_t)b);
        return r;
    }
    case OP_RNG_RANGE: {
        uint64_t s = seed;
        int32_t lo = a < b ? a : b, hi = a < b ? b : a;
        return (uint32_t)fx_rng_range(&s, lo, hi);
    }
    case OP_RNG_UNIT: {
        uint64_t s = seed;
        fx_rng_next(&s);
        return (uint32_t)fx_rng_unit(&s);
    }
    default: return 0;
    }
}
