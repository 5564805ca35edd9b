/* Bonus arithmetic (src/flow/bonus.h) and money (src/util/money.h): exact decimals, caps,
 * pro rata waiting, rounding down, and the zero rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/flow/bonus.h"
#include "../../src/util/money.h"

static int64_t parsed(const char *text)
{
    int64_t v = -1;
    assert_int_equal(money_parse(text, &v), MONEY_OK);
    return v;
}

static void decimals_are_exact(void **state)
{
    (void)state;
    assert_int_equal(parsed("0.02"), 200);
    assert_int_equal(parsed("0.1"), 1000);
    assert_int_equal(parsed("2"), 20000);
    assert_int_equal(parsed(".5"), 5000);
    assert_int_equal(parsed("1."), 10000);
    assert_int_equal(parsed("0.0025"), 25);
    assert_int_equal(parsed("0.50000"), 5000); /* trailing zeros add no precision */
    assert_int_equal(parsed("0"), 0);
    assert_int_equal(parsed("1000000"), MONEY_MAX);
    int64_t v = 7;
    assert_int_equal(money_parse("-0.10", &v), MONEY_NEGATIVE);
    assert_int_equal(money_parse("0.00001", &v), MONEY_TOO_PRECISE);
    assert_int_equal(money_parse("1000000.0001", &v), MONEY_TOO_LARGE);
    assert_int_equal(money_parse("99999999999999999999999", &v), MONEY_TOO_LARGE);
    const char *junk[] = {"", ".", "1e3", "2e-2", "0x10", " 1", "1 ", "+1", "1,50", "1.2.3", "£1"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        assert_int_equal(money_parse(junk[i], &v), MONEY_NOT_A_NUMBER);
    assert_int_equal(v, 7); /* untouched by every refusal */
}

static void amounts_print_with_two_decimals_rounded_down(void **state)
{
    (void)state;
    char buf[MONEY_TEXT_MAX];
    assert_string_equal(money_format(0, buf), "0.00");
    assert_string_equal(money_format(200, buf), "0.02");
    assert_string_equal(money_format(199, buf), "0.01");   /* 0.0199: never rounded up */
    assert_string_equal(money_format(99, buf), "0.00");
    assert_string_equal(money_format(12345, buf), "1.23");
    assert_string_equal(money_format(20000, buf), "2.00");
    assert_string_equal(money_format(MONEY_MAX, buf), "1000000.00");
    assert_string_equal(money_format(-500, buf), "0.00");
    assert_int_equal(money_floor_cents(12399), 12300);
}

static bonus_spec rule(const char *per_point, const char *max_score, const char *per_minute,
                       const char *max_waiting)
{
    bonus_spec b = {.enabled = true, .max_score = CFG_NO_CAP, .max_waiting = CFG_NO_CAP};
    if (per_point)
        b.per_point = parsed(per_point);
    if (max_score)
        b.max_score = parsed(max_score);
    if (per_minute)
        b.per_minute_waited = parsed(per_minute);
    if (max_waiting)
        b.max_waiting = parsed(max_waiting);
    return b;
}

static void score_part_is_per_point_and_capped(void **state)
{
    (void)state;
    bonus_spec b = rule("0.02", "2.00", NULL, NULL);
    /* Three soups in cooking: 60 points at 0.02 = 1.20. */
    bonus_result r = bonus_compute(&b, 60, 0);
    assert_int_equal(r.score_part, 12000);
    assert_int_equal(r.total, 12000);
    /* 120 points would be 2.40: the cap pays 2.00. */
    assert_int_equal(bonus_compute(&b, 120, 0).total, 20000);
    assert_int_equal(bonus_compute(&b, 100, 0).total, 20000); /* exactly at the cap */
    /* A negative team score earns nothing and takes nothing away. */
    bonus_spec both = rule("0.02", NULL, "0.60", NULL);
    r = bonus_compute(&both, -40, 60000);
    assert_int_equal(r.score_part, 0);
    assert_int_equal(r.total, 6000);
    /* No cap: a large score is paid in full, without overflow. */
    bonus_spec open = rule("100", NULL, NULL, NULL);
    assert_int_equal(bonus_compute(&open, 1000, 0).total, 1000 * 100 * (int64_t)MONEY_SCALE);
    assert_int_equal(bonus_compute(&open, INT64_MAX, 0).total, MONEY_MAX);
}

static void waiting_is_paid_pro_rata_to_the_second(void **state)
{
    (void)state;
    bonus_spec b = rule(NULL, NULL, "0.10", "1.00");
    /* 90.499 s is 90 seconds to the nearest: 1.5 minutes at 0.10 = 0.15. */
    bonus_result r = bonus_compute(&b, 500, 90499);
    assert_int_equal(r.score_part, 0); /* no per_point: points pay nothing */
    assert_int_equal(r.wait_part, 1500);
    assert_int_equal(r.total, 1500);
    /* 499 ms is no second; 2999 ms (a 3 s timeout on the wall clock) is 3 s = 0.005. */
    assert_int_equal(bonus_compute(&b, 0, 499).wait_part, 0);
    assert_int_equal(bonus_compute(&b, 0, 2999).wait_part, 50);
    assert_int_equal(bonus_compute(&b, 0, 2500).wait_part, 50);
    /* 7 s at 0.10 a minute is 0.011666...: kept to 0.0116, paid 0.01. */
    r = bonus_compute(&b, 0, 7000);
    assert_int_equal(r.wait_part, 116);
    assert_int_equal(r.total, 100);
    /* An hour would be 6.00: the cap pays 1.00. */
    assert_int_equal(bonus_compute(&b, 0, 3600 * 1000).total, 10000);
    assert_int_equal(bonus_compute(&b, 0, -5000).total, 0);
}

/* The parts are added exactly and only the sum is rounded down to a cent. */
static void the_sum_is_rounded_down_once(void **state)
{
    (void)state;
    bonus_spec b = rule("0.005", NULL, "0.10", NULL);
    /* 1 point = 0.005, 3 s = 0.005: each alone pays 0.00, together 0.01. */
    bonus_result r = bonus_compute(&b, 1, 3000);
    assert_int_equal(r.score_part, 50);
    assert_int_equal(r.wait_part, 50);
    assert_int_equal(r.total, 100);
    assert_int_equal(bonus_compute(&b, 1, 0).total, 0);
}

static void no_rule_pays_nothing(void **state)
{
    (void)state;
    bonus_spec off = {0};
    bonus_result r = bonus_compute(&off, 100, 60000);
    assert_int_equal(r.total, 0);
    assert_int_equal(r.points, 100);
    assert_int_equal(r.wait_ms, 60000);
    assert_int_equal(bonus_compute(NULL, 100, 60000).total, 0);
    bonus_spec zero = rule("0", NULL, "0", NULL);
    assert_int_equal(bonus_compute(&zero, 100, 60000).total, 0);
}

static void the_end_page_amount_names_the_currency(void **state)
{
    (void)state;
    bonus_spec b = rule("0.02", NULL, NULL, NULL);
    char buf[64];
    bonus_describe(&b, 10200, buf, sizeof buf);
    assert_string_equal(buf, "1.02");
    memcpy(b.currency, "GBP", 4);
    bonus_describe(&b, 10299, buf, sizeof buf);
    assert_string_equal(buf, "1.02 GBP");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimals_are_exact),
        cmocka_unit_test(amounts_print_with_two_decimals_rounded_down),
        cmocka_unit_test(score_part_is_per_point_and_capped),
        cmocka_unit_test(waiting_is_paid_pro_rata_to_the_second),
        cmocka_unit_test(the_sum_is_rounded_down_once),
        cmocka_unit_test(no_rule_pays_nothing),
        cmocka_unit_test(the_end_page_amount_names_the_currency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
