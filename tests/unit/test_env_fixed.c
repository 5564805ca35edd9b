/*
 * The fixed-point helpers (envs/fixed.h) against references computed here with libm and
 * long double (64-bit mantissa on x86-64: every Q16.16 product and quotient is exact or
 * correctly rounded in it), over many inputs of every magnitude, with the error bounds
 * fixed.h promises; and their edges: saturation, zero, negative values, wrap-around.
 * That the WebAssembly build computes the same values is tests/determinism/fixed.mjs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>

#include <cmocka.h>

#include "fixed.h"

#define N 400000

static uint64_t lcg_state = 12345;

/* Test inputs: any magnitude, from full int32 down to a few units. */
static int32_t any_input(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t v = (uint32_t)(lcg_state >> 32);
    int shift = (int)((lcg_state >> 20) % 31); /* keep 1 .. 31 bits */
    return (int32_t)v >> shift;
}

static int64_t sat(long double v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int64_t)v;
}

static void test_mul_matches_rounded_product(void **unused)
{
    for (int k = 0; k < N; k++) {
        int32_t a = any_input(), b = any_input();
        long double exact = (long double)a * b / 65536.0L;
        int64_t want = sat(floorl(exact + 0.5L)); /* nearest, halves up */
        if (fx_mul(a, b) != want)
            fail_msg("fx_mul(%d, %d) = %d, want %lld", a, b, fx_mul(a, b), (long long)want);
    }
    assert_int_equal(fx_mul(FX_ONE, FX_ONE), FX_ONE);
    assert_int_equal(fx_mul(FX_CONST(3), FX_RATIO(1, 2)), FX_CONST(3) / 2);
    assert_int_equal(fx_mul(-FX_CONST(2), FX_CONST(3)), -FX_CONST(6));
    assert_int_equal(fx_mul(0, FX_MAX), 0);
    /* ties: 1/65536 * 0.5 is exactly half a step: rounds up to 1 step, -0.5 step to 0 */
    assert_int_equal(fx_mul(1, FX_HALF), 1);
    assert_int_equal(fx_mul(-1, FX_HALF), 0);
    /* overflow saturates, never wraps */
    assert_int_equal(fx_mul(FX_MAX, FX_MAX), FX_MAX);
    assert_int_equal(fx_mul(FX_MIN, FX_MIN), FX_MAX);
    assert_int_equal(fx_mul(FX_MIN, FX_MAX), FX_MIN);
    assert_int_equal(fx_mul(FX_CONST(200), FX_CONST(200)), FX_MAX);
    assert_int_equal(fx_mul(FX_CONST(-200), FX_CONST(200)), FX_MIN);
}

static void test_div_matches_rounded_quotient(void **unused)
{
    for (int k = 0; k < N; k++) {
        int32_t a = any_input(), b = any_input();
        if (b == 0)
            continue;
        long double exact = (long double)a * 65536.0L / b;
        int64_t want = sat(roundl(exact)); /* nearest, halves away from zero */
        if (fx_div(a, b) != want)
            fail_msg("fx_div(%d, %d) = %d, want %lld", a, b, fx_div(a, b), (long long)want);
    }
    assert_int_equal(fx_div(FX_CONST(1), FX_CONST(4)), FX_ONE / 4);
    assert_int_equal(fx_div(FX_CONST(-6), FX_CONST(3)), FX_CONST(-2));
    assert_int_equal(fx_div(FX_ONE, FX_CONST(3)), 21845);   /* 21845.33 */
    assert_int_equal(fx_div(2 * FX_ONE, FX_CONST(3)), 43691); /* 43690.67 */
    /* ties go away from zero: 1 step / 2 = half a step */
    assert_int_equal(fx_div(1, FX_CONST(2)), 1);
    assert_int_equal(fx_div(-1, FX_CONST(2)), -1);
    assert_int_equal(fx_div(1, -FX_CONST(2)), -1);
    /* by zero: no trap, saturated by sign */
    assert_int_equal(fx_div(FX_ONE, 0), FX_MAX);
    assert_int_equal(fx_div(-FX_ONE, 0), FX_MIN);
    assert_int_equal(fx_div(0, 0), 0);
    /* overflow saturates: FX_MIN / -1.0 is +32768, one past the range */
    assert_int_equal(fx_div(FX_MIN, -FX_ONE), FX_MAX);
    assert_int_equal(fx_div(FX_MAX, 1), FX_MAX);
    assert_int_equal(fx_div(FX_MIN, 1), FX_MIN);
}

static void test_sqrt_and_hypot_are_nearest(void **unused)
{
    for (int k = 0; k < N; k++) {
        int32_t a = any_input();
        int64_t want = a <= 0 ? 0 : llroundl(sqrtl((long double)a * 65536.0L));
        if (fx_sqrt(a) != want)
            fail_msg("fx_sqrt(%d) = %d, want %lld", a, fx_sqrt(a), (long long)want);
        int32_t b = any_input();
        long double h = sqrtl((long double)a * a + (long double)b * b);
        int64_t wh = h > INT32_MAX ? INT32_MAX : llroundl(h);
        if (fx_hypot(a, b) != wh)
            fail_msg("fx_hypot(%d, %d) = %d, want %lld", a, b, fx_hypot(a, b), (long long)wh);
    }
    assert_int_equal(fx_sqrt(FX_CONST(4)), FX_CONST(2));
    assert_int_equal(fx_sqrt(FX_ONE), FX_ONE);
    assert_int_equal(fx_sqrt(FX_ONE / 4), FX_ONE / 2);
    assert_int_equal(fx_sqrt(0), 0);
    assert_int_equal(fx_sqrt(-FX_ONE), 0);
    assert_int_equal(fx_sqrt(FX_MIN), 0);
    assert_int_equal(fx_sqrt(FX_MAX), 11863283); /* sqrt(32768) = 181.019 */
    assert_int_equal(fx_hypot(FX_CONST(3), FX_CONST(-4)), FX_CONST(5));
    assert_int_equal(fx_hypot(0, 0), 0);
    assert_int_equal(fx_hypot(FX_MIN, FX_MIN), FX_MAX); /* 2^31 * sqrt 2: saturates */
    assert_int_equal(fx_hypot(FX_MIN, 0), FX_MAX);
}

static void test_isqrt64_is_exact(void **unused)
{
    for (int k = 0; k < N; k++) {
        uint64_t v = ((uint64_t)(uint32_t)any_input() << 32 | (uint32_t)any_input()) >> (k % 64);
        unsigned __int128 r = fx_isqrt64(v);
        if (!(r * r <= v && (r + 1) * (r + 1) > v))
            fail_msg("fx_isqrt64(%llu) = %llu", (unsigned long long)v, (unsigned long long)r);
    }
    for (uint64_t r = 0; r < 70000; r += 7) { /* around perfect squares */
        assert_true(fx_isqrt64(r * r) == r);
        if (r)
            assert_true(fx_isqrt64(r * r - 1) == r - 1);
        assert_true(fx_isqrt64(r * r + 1) == r || r == 0);
    }
    assert_true(fx_isqrt64(UINT64_MAX) == 0xFFFFFFFFull);
    assert_true(fx_isqrt64(0) == 0);
}

/* True angle in turn units (1/65536 turn) of a libm angle in radians. */
static long double turns(long double rad)
{
    return rad * 65536.0L / (2.0L * 3.14159265358979323846264338327950288L);
}

static void test_sin_cos_within_one_step(void **unused)
{
    long double worst = 0;
    for (int32_t a = 0; a < FX_TURN; a++) { /* every angle there is */
        long double rad = (long double)a * 2.0L * 3.14159265358979323846264338327950288L / 65536.0L;
        long double es = fabsl(fx_sin(a) - sinl(rad) * 65536.0L);
        long double ec = fabsl(fx_cos(a) - cosl(rad) * 65536.0L);
        if (es > worst)
            worst = es;
        if (ec > worst)
            worst = ec;
        if (es > 1.0L || ec > 1.0L)
            fail_msg("angle %d: sin %d (%.3Lf off), cos %d (%.3Lf off)", a, fx_sin(a), es, fx_cos(a), ec);
    }
    printf("fx_sin/fx_cos: largest error %.3Lf of 1/65536 over all 65536 angles\n", worst);
    /* exact at the quarter turns */
    assert_int_equal(fx_sin(0), 0);
    assert_int_equal(fx_sin(FX_QUARTER_TURN), FX_ONE);
    assert_int_equal(fx_sin(FX_HALF_TURN), 0);
    assert_int_equal(fx_sin(3 * FX_QUARTER_TURN), -FX_ONE);
    assert_int_equal(fx_cos(0), FX_ONE);
    assert_int_equal(fx_cos(FX_QUARTER_TURN), 0);
    assert_int_equal(fx_cos(FX_HALF_TURN), -FX_ONE);
    /* any int32 angle wraps modulo a turn, negative and extreme ones included */
    for (int k = 0; k < N; k++) {
        int32_t a = any_input();
        int32_t m = (int32_t)((uint32_t)a & 0xFFFF);
        assert_int_equal(fx_sin(a), fx_sin(m));
        assert_int_equal(fx_cos(a), fx_cos(m));
    }
    assert_int_equal(fx_sin(-FX_QUARTER_TURN), -FX_ONE);
    assert_int_equal(fx_sin(INT32_MIN), 0);
    assert_int_equal(fx_cos(INT32_MAX), fx_cos(FX_TURN - 1));
}

static void test_atan2_within_one_step(void **unused)
{
    long double worst = 0;
    for (int k = 0; k < N; k++) {
        int32_t y = any_input(), x = any_input();
        if (x == 0 && y == 0)
            continue;
        long double want = turns(atan2l(y, x));
        long double e = fabsl(fx_atan2(y, x) - want);
        if (e > 32768.0L)
            e = 65536.0L - e; /* -half turn and +half turn are one direction */
        if (e > worst)
            worst = e;
        if (e > 1.0L)
            fail_msg("fx_atan2(%d, %d) = %d, want %.3Lf", y, x, fx_atan2(y, x), want);
        assert_true(fx_atan2(y, x) >= -FX_HALF_TURN && fx_atan2(y, x) <= FX_HALF_TURN);
    }
    printf("fx_atan2: largest error %.3Lf of 1/65536 turn over %d vectors\n", worst, N);
    assert_int_equal(fx_atan2(0, 0), 0);
    assert_int_equal(fx_atan2(0, 5), 0);
    assert_int_equal(fx_atan2(5, 0), FX_QUARTER_TURN);
    assert_int_equal(fx_atan2(0, -5), FX_HALF_TURN);
    assert_int_equal(fx_atan2(-5, 0), -FX_QUARTER_TURN);
    assert_int_equal(fx_atan2(7, 7), FX_TURN / 8);
    assert_int_equal(fx_atan2(-7, -7), -3 * FX_TURN / 8);
    assert_int_equal(fx_atan2(INT32_MIN, INT32_MIN), -3 * FX_TURN / 8);
    assert_int_equal(fx_atan2(INT32_MAX, INT32_MIN), 3 * FX_TURN / 8);
    assert_int_equal(fx_atan2(0, INT32_MIN), FX_HALF_TURN);
    /* atan2 undoes sin and cos */
    for (int32_t a = -FX_HALF_TURN + 1; a <= FX_HALF_TURN; a += 97) {
        int32_t back = fx_atan2(fx_sin(a), fx_cos(a)), d = back - a;
        assert_true(d >= -3 && d <= 3);
    }
}

static void test_conversions(void **unused)
{
    assert_int_equal(fx_from_int(3), 3 * FX_ONE);
    assert_int_equal(fx_from_int(-32768), FX_MIN);
    assert_int_equal(fx_from_int(40000), FX_MAX);
    assert_int_equal(fx_from_int(-40000), FX_MIN);
    assert_int_equal(fx_floor(FX_CONST(2) + 1), 2);
    assert_int_equal(fx_floor(-1), -1); /* floor, not truncation */
    assert_int_equal(fx_floor(FX_CONST(-2) - 1), -3);
    assert_int_equal(fx_round(FX_CONST(2) + FX_HALF), 3);
    assert_int_equal(fx_round(FX_CONST(2) + FX_HALF - 1), 2);
    assert_int_equal(fx_round(-FX_HALF), 0); /* halves up */
    assert_int_equal(fx_round(-FX_HALF - 1), -1);
    assert_int_equal(fx_round(FX_MAX), 32768);
    assert_int_equal(FX_RATIO(1, 4), FX_ONE / 4);
}

static void test_rng_is_splitmix64(void **unused)
{
    /* the published splitmix64 outputs for seed 1234567 (Vigna's reference code) */
    static const uint64_t want[] = {6457827717110365317ull, 3203168211198807973ull,
                                    9817491932198370423ull, 4593380528125082431ull,
                                    16408922859458223821ull};
    uint64_t s = 1234567;
    for (int i = 0; i < 5; i++)
        assert_true(fx_rng_next(&s) == want[i]);
    /* same seed, same stream; any state works, zero included */
    uint64_t a = 0, b = 0;
    for (int i = 0; i < 1000; i++)
        assert_true(fx_rng_next(&a) == fx_rng_next(&b));
    uint64_t z = 0;
    assert_true(fx_rng_next(&z) != fx_rng_next(&z));
    /* fx_splitmix64 is the output for one state, without keeping a stream */
    assert_true(fx_splitmix64(1234567) == want[0]);
}

static void test_rng_ranges_are_uniform(void **unused)
{
    uint64_t s = 42;
    /* 0..9: 200000 draws, each value within 3% of its expected 20000 */
    uint32_t count[10] = {0};
    for (int i = 0; i < 200000; i++) {
        uint32_t v = fx_rng_below(&s, 10);
        assert_true(v < 10);
        count[v]++;
    }
    for (int v = 0; v < 10; v++)
        assert_true(count[v] > 19400 && count[v] < 20600);
    /* a bound just above 2^31, where a plain modulo would make the low half twice as
     * likely: both halves come up about equally */
    uint32_t n = 0x80000001u, low = 0;
    for (int i = 0; i < 100000; i++)
        low += fx_rng_below(&s, n) < n / 2;
    assert_true(low > 48500 && low < 51500);
    assert_int_equal(fx_rng_below(&s, 0), 0);
    assert_int_equal(fx_rng_below(&s, 1), 0);
    /* inclusive ranges, the whole int32 range and an empty one */
    int seen_lo = 0, seen_hi = 0;
    for (int i = 0; i < 10000; i++) {
        int32_t v = fx_rng_range(&s, -3, 3);
        assert_true(v >= -3 && v <= 3);
        seen_lo |= v == -3;
        seen_hi |= v == 3;
    }
    assert_true(seen_lo && seen_hi);
    int neg = 0;
    for (int i = 0; i < 1000; i++)
        neg += fx_rng_range(&s, INT32_MIN, INT32_MAX) < 0;
    assert_true(neg > 400 && neg < 600);
    assert_int_equal(fx_rng_range(&s, 5, 5), 5);
    assert_int_equal(fx_rng_range(&s, 5, 2), 5);
    long long sum = 0;
    for (int i = 0; i < 100000; i++) {
        fx u = fx_rng_unit(&s);
        assert_true(u >= 0 && u < FX_ONE);
        sum += u;
    }
    assert_true(sum / 100000 > FX_HALF - 600 && sum / 100000 < FX_HALF + 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mul_matches_rounded_product),
        cmocka_unit_test(test_div_matches_rounded_quotient),
        cmocka_unit_test(test_sqrt_and_hypot_are_nearest),
        cmocka_unit_test(test_isqrt64_is_exact),
        cmocka_unit_test(test_sin_cos_within_one_step),
        cmocka_unit_test(test_atan2_within_one_step),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_rng_is_splitmix64),
        cmocka_unit_test(test_rng_ranges_are_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
