/* Waiting rooms and matchmakers: who is grouped with whom, in what order, and when. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lobby/lobby.h"

static int people[16];
#define P(i) ((void *)&people[i])

static void fifo_pairs_in_arrival_order(void **state)
{
    lobby *l = lobby_new(matchmaker_fifo(), 2, 180000);
    void *group[4];
    assert_int_equal(lobby_arrive(l, P(0), 0, 0, group), 0);
    assert_int_equal(lobby_count(l), 1);
    assert_int_equal(lobby_arrive(l, P(1), 0, 10, group), 2);
    assert_ptr_equal(group[0], P(0));
    assert_ptr_equal(group[1], P(1));
    assert_int_equal(lobby_count(l), 0);
    /* Three more: the first two pair, the third waits. */
    assert_int_equal(lobby_arrive(l, P(2), 0, 20, group), 0);
    assert_int_equal(lobby_arrive(l, P(3), 0, 30, group), 2);
    assert_ptr_equal(group[0], P(2));
    assert_ptr_equal(group[1], P(3));
    assert_int_equal(lobby_arrive(l, P(4), 0, 40, group), 0);
    assert_true(lobby_contains(l, P(4)));
    lobby_free(l);
}

static void fifo_groups_of_three_take_the_oldest(void **state)
{
    lobby *l = lobby_new(matchmaker_fifo(), 3, 180000);
    void *group[4];
    assert_int_equal(lobby_arrive(l, P(0), 0, 0, group), 0);
    assert_int_equal(lobby_arrive(l, P(1), 0, 1, group), 0);
    assert_int_equal(lobby_arrive(l, P(2), 0, 2, group), 3);
    assert_ptr_equal(group[0], P(0));
    assert_ptr_equal(group[1], P(1));
    assert_ptr_equal(group[2], P(2));
    lobby_free(l);
}

static void group_of_one_starts_at_once(void **state)
{
    lobby *l = lobby_new(matchmaker_fifo(), 1, 1000);
    void *group[2];
    assert_int_equal(lobby_arrive(l, P(0), 0, 0, group), 1);
    assert_ptr_equal(group[0], P(0));
    assert_int_equal(lobby_count(l), 0);
    lobby_free(l);
}

static void leaving_removes_only_that_person(void **state)
{
    lobby *l = lobby_new(matchmaker_fifo(), 2, 180000);
    void *group[2];
    lobby_arrive(l, P(0), 0, 0, group);
    assert_true(lobby_leave(l, P(0)));
    assert_false(lobby_leave(l, P(0)));
    assert_int_equal(lobby_count(l), 0);
    /* The next two pair with each other, not with the one who left. */
    assert_int_equal(lobby_arrive(l, P(1), 0, 5, group), 0);
    assert_int_equal(lobby_arrive(l, P(2), 0, 6, group), 2);
    assert_ptr_equal(group[0], P(1));
    lobby_free(l);
}

static void repeated_arrival_is_ignored(void **state)
{
    lobby *l = lobby_new(matchmaker_fifo(), 2, 180000);
    void *group[2];
    assert_int_equal(lobby_arrive(l, P(0), 0, 0, group), 0);
    assert_int_equal(lobby_arrive(l, P(0), 0, 1, group), 0); /* cannot pair with itself */
    assert_int_equal(lobby_count(l), 1);
    lobby_free(l);
}

static void timeouts_expire_in_order_and_report_time_left(void **state)
{
    lobby *l = lobby_new(matchmaker_fifo(), 2, 1000);
    void *group[2], *out[4];
    lobby_arrive(l, P(0), 0, 0, group);
    assert_int_equal(lobby_remaining_ms(l, P(0), 400), 600);
    assert_int_equal(lobby_waited_ms(l, P(0), 400), 400);
    assert_int_equal(lobby_expire(l, 999, out, 4), 0);
    assert_int_equal(lobby_expire(l, 1000, out, 4), 1);
    assert_ptr_equal(out[0], P(0));
    assert_int_equal(lobby_remaining_ms(l, P(0), 1000), -1);
    assert_int_equal(lobby_count(l), 0);
    lobby_free(l);
}

static void latency_fifo_skips_a_slow_pairing(void **state)
{
    lobby *l = lobby_new(matchmaker_latency_fifo(250), 2, 180000);
    void *group[2];
    assert_int_equal(lobby_arrive(l, P(0), 200, 0, group), 0); /* slow */
    assert_int_equal(lobby_arrive(l, P(1), 60, 1, group), 0);  /* 260 > 250: not together */
    assert_int_equal(lobby_count(l), 2);
    /* A fast arrival pairs with the oldest waiter it fits with: P(0) (200+40 <= 250). */
    assert_int_equal(lobby_arrive(l, P(2), 40, 2, group), 2);
    assert_ptr_equal(group[0], P(0));
    assert_ptr_equal(group[1], P(2));
    /* A slow one that fits the remaining waiter: 60 + 180 = 240. */
    assert_int_equal(lobby_arrive(l, P(3), 180, 3, group), 2);
    assert_ptr_equal(group[0], P(1));
    lobby_free(l);
}

static void latency_fifo_skips_over_to_a_later_waiter(void **state)
{
    lobby *l = lobby_new(matchmaker_latency_fifo(100), 2, 180000);
    void *group[2];
    lobby_arrive(l, P(0), 90, 0, group);
    lobby_arrive(l, P(1), 80, 1, group); /* 170 > 100: waits too */
    lobby_arrive(l, P(2), 10, 2, group); /* fits P(0): 100 */
    assert_int_equal(lobby_count(l), 1);
    assert_true(lobby_contains(l, P(1)));
    assert_int_equal(lobby_arrive(l, P(3), 50, 3, group), 0); /* 130 > 100 */
    assert_int_equal(lobby_arrive(l, P(4), 20, 4, group), 2); /* 100 with P(1) */
    assert_ptr_equal(group[0], P(1));
    lobby_free(l);
}

static void latency_fifo_unmeasured_never_disqualifies(void **state)
{
    lobby *l = lobby_new(matchmaker_latency_fifo(100), 2, 180000);
    void *group[2];
    lobby_arrive(l, P(0), 500, 0, group);
    assert_int_equal(lobby_arrive(l, P(1), 0, 1, group), 2);
    lobby_free(l);
}

static void latency_fifo_checks_every_pair_in_a_group(void **state)
{
    lobby *l = lobby_new(matchmaker_latency_fifo(100), 3, 180000);
    void *group[3];
    lobby_arrive(l, P(0), 60, 0, group);
    lobby_arrive(l, P(1), 60, 1, group); /* 120 with P(0): not together */
    assert_int_equal(lobby_arrive(l, P(2), 30, 2, group), 0); /* fits both, but they clash */
    assert_int_equal(lobby_arrive(l, P(3), 30, 3, group), 3);  /* P(0), P(2), P(3) */
    assert_ptr_equal(group[0], P(0));
    assert_ptr_equal(group[1], P(2));
    assert_ptr_equal(group[2], P(3));
    assert_true(lobby_contains(l, P(1)));
    lobby_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_pairs_in_arrival_order),
        cmocka_unit_test(fifo_groups_of_three_take_the_oldest),
        cmocka_unit_test(group_of_one_starts_at_once),
        cmocka_unit_test(leaving_removes_only_that_person),
        cmocka_unit_test(repeated_arrival_is_ignored),
        cmocka_unit_test(timeouts_expire_in_order_and_report_time_left),
        cmocka_unit_test(latency_fifo_skips_a_slow_pairing),
        cmocka_unit_test(latency_fifo_skips_over_to_a_later_waiter),
        cmocka_unit_test(latency_fifo_unmeasured_never_disqualifies),
        cmocka_unit_test(latency_fifo_checks_every_pair_in_a_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
