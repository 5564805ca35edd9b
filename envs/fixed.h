/*
 * Fixed-point and random-number helpers for envs (docs/GAMES.md, docs/DESIGN.md section 7).
 *
 * An env may not use floats: x86-64 and wasm32 may round a float expression differently
 * (fused multiply-add, excess precision, libm versions), and one differing bit in a state
 * makes the server and a browser disagree. Integers behave the same everywhere, so every
 * function here is integer-only and freestanding (no libc), and the same inputs give the
 * same outputs on every target: tests/determinism/fixed.mjs compares the native and the
 * WebAssembly builds over millions of inputs, tests/unit/test_env_fixed.c compares them
 * with libm within the bounds stated below.
 *
 * Number format: fx is Q16.16 in an int32_t: the value is raw / 65536. Range
 * -32768 .. 32767.99998, step 1/65536 (about 0.000015). Intermediates are int64, so a
 * product or a quotient never overflows on the way; a result outside the range saturates
 * to FX_MIN or FX_MAX (it never wraps). Keep world coordinates well inside the range
 * (a court of 1000 units squared is already too big for fx: square in int64 yourself, or
 * use fx_hypot).
 *
 * Angles: fx_angle is a fraction of a full turn, 65536 units per turn (FX_TURN), in an
 * int32_t. 0 points along +x, a quarter turn (16384) along +y. Any int32 is a valid angle:
 * it is taken modulo one turn, so angles wrap for free and no pi is ever rounded.
 *
 * Random numbers: splitmix64 (Steele, Lea and Flood 2014), one uint64_t of state kept in
 * the env's own state struct. Chosen because every one of its 2^64 states is valid (a
 * state of hostile bytes, or zero, still produces a full-period stream: xorshift has a
 * zero trap that the env would have to repair), it passes BigCrush, it costs two 64-bit
 * multiplies on either target, and its state is one plain integer that hashes and
 * snapshots with the rest of the state.
 */
#ifndef COHORT_ENV_FIXED_H
#define COHORT_ENV_FIXED_H

#include <stdint.h>

typedef int32_t fx;       /* Q16.16 */
typedef int32_t fx_angle; /* 1/65536 of a turn */

#define FX_SHIFT 16
#define FX_ONE 65536
#define FX_HALF 32768
#define FX_MAX INT32_MAX
#define FX_MIN INT32_MIN
/* A compile-time constant: FX_CONST(3) is 3.0, FX_RATIO(1, 4) is 0.25 (rounded down). */
#define FX_CONST(n) ((fx)((n) * FX_ONE))
#define FX_RATIO(num, den) ((fx)(((int64_t)(num) * FX_ONE) / (den)))

#define FX_TURN 65536
#define FX_HALF_TURN 32768
#define FX_QUARTER_TURN 16384

/* ---- Q16.16 arithmetic ---- */

/* n as fx, saturating outside -32768..32767. */
fx fx_from_int(int32_t n);
/* The largest integer <= a (floor), and a rounded to the nearest integer (halves up). */
int32_t fx_floor(fx a);
int32_t fx_round(fx a);
/* a * b, rounded to the nearest 1/65536 (halves towards +infinity), saturating. */
fx fx_mul(fx a, fx b);
/* a / b, rounded to the nearest 1/65536 (halves away from zero), saturating. Division by
 * zero gives FX_MAX for a > 0, FX_MIN for a < 0 and 0 for a == 0 (no trap). */
fx fx_div(fx a, fx b);
/* The square root of a, rounded to the nearest 1/65536; 0 for a <= 0. Exact: the result r
 * is the one with |r - sqrt(a)| <= 1/131072. */
fx fx_sqrt(fx a);
/* sqrt(x*x + y*y) computed in 64 bits (the sum never overflows), rounded to the nearest
 * 1/65536, saturating at FX_MAX: the length of a vector or a distance. */
fx fx_hypot(fx x, fx y);
/* floor(sqrt(v)) for any 64-bit v: the integer square root, exact. */
uint64_t fx_isqrt64(uint64_t v);

/* ---- angles ---- */

/* sin and cos of a turn fraction, as fx in -1..1 (-65536..65536). Error against the true
 * value at most 1/65536 (one step; a quarter-wave table of 257 entries, interpolated).
 * Exact at every multiple of a quarter turn. */
fx fx_sin(fx_angle a);
fx fx_cos(fx_angle a);
/* The angle of the vector (x, y) in -32768..32768 (a half turn either way), error at most
 * 1 unit (1/65536 turn). x and y are any int32 in the same unit (fx or plain integers);
 * fx_atan2(0, 0) is 0. */
fx_angle fx_atan2(int32_t y, int32_t x);

/* ---- random numbers: splitmix64 ---- */

/* One splitmix64 output for x (adds the golden-ratio increment, then mixes): a good
 * 64-bit hash of a seed, e.g. to derive a state's rng from reset's seed. */
uint64_t fx_splitmix64(uint64_t x);
/* The next 64 random bits; advances *state. Any state value is fine, 0 included. */
uint64_t fx_rng_next(uint64_t *state);
/* 32 random bits (the high half of fx_rng_next). */
uint32_t fx_rng_u32(uint64_t *state);
/* Uniform in 0 .. n-1 without bias (Lemire's multiply-and-reject); 0 when n is 0. */
uint32_t fx_rng_below(uint64_t *state, uint32_t n);
/* Uniform in lo .. hi inclusive (lo when hi < lo). */
int32_t fx_rng_range(uint64_t *state, int32_t lo, int32_t hi);
/* Uniform fx in [0, 1). */
fx fx_rng_unit(uint64_t *state);

#endif
