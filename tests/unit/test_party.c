/* Parties (src/lobby/party.h): who waits for whom when a group from an earlier game meets
 * again, when it plays, and who goes on alone: a member gone before or while others
 * wait, one who never comes within the wait, leaving and coming back, a gathering that
 * broke, a party rebuilt after a restart, and the drain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lobby/party.h"

static int people[8];
#define P(i) ((void *)&people[i])
#define TARGET 3
#define WAIT_MS 30000

static party *pair(party_book *b, const char *id)
{
    party *pt = party_new(b, id, 1);
    assert_non_null(pt);
    /* Added out of seat order: the party keeps seat order. */
    assert_true(party_add(pt, P(1), 1));
    assert_true(party_add(pt, P(0), 0));
    return pt;
}

static void all_arrive_and_play_in_seat_order(void **state)
{
    party_book *b = party_book_new();
    party *pt = pair(b, "g-1");
    void *out[PARTY_MAX_MEMBERS];
    int n;
    assert_int_equal(party_arrive(pt, P(1), TARGET, 1000, WAIT_MS, out, &n), PARTY_WAIT);
    assert_int_equal(n, 0);
    assert_int_equal(party_present(pt), 1);
    assert_int_equal(party_size(pt), 2);
    assert_int_equal(party_remaining_ms(pt, 11000), 20000);
    assert_true(party_is_waiting(pt, P(1)));
    assert_int_equal(party_book_gathering(b), 1);
    /* A repeated start changes nothing. */
    assert_int_equal(party_arrive(pt, P(1), TARGET, 2000, WAIT_MS, out, &n), PARTY_WAIT);
    assert_int_equal(party_present(pt), 1);
    assert_int_equal(party_arrive(pt, P(0), TARGET, 5000, WAIT_MS, out, &n), PARTY_PLAY);
    assert_int_equal(n, 2);
    assert_ptr_equal(out[0], P(0)); /* seat 0 first, whoever came first */
    assert_ptr_equal(out[1], P(1));
    assert_int_equal(party_present(pt), 0);
    assert_int_equal(party_book_gathering(b), 0);
    /* Nobody waits, so no clock can break anything later. */
    assert_int_equal(party_expire(b, 1000000, out, (party *[PARTY_MAX_MEMBERS]){0}, 4), 0);
    party_book_free(b);
}

static void a_member_gone_before_anyone_arrives_sends_the_rest_on_alone(void **state)
{
    party_book *b = party_book_new();
    party *pt = pair(b, "g-2");
    void *out[PARTY_MAX_MEMBERS];
    int n;
    bool freed;
    party_gone(pt, P(0), out, &n, &freed);
    assert_int_equal(n, 0); /* nobody was waiting */
    assert_false(freed);
    assert_int_equal(party_book_count(b), 1);
    /* P1 arrives: its partner is gone, so it goes on alone at once, without a wait. */
    assert_int_equal(party_arrive(pt, P(1), TARGET, 1000, WAIT_MS, out, &n), PARTY_BROKEN);
    assert_int_equal(n, 1);
    assert_ptr_equal(out[0], P(1));
    assert_int_equal(party_book_gathering(b), 0);
    /* Its last member gone, the party is freed. */
    party_gone(pt, P(1), out, &n, &freed);
    assert_true(freed);
    assert_int_equal(party_book_count(b), 0);
    party_book_free(b);
}

static void a_member_gone_while_others_wait_releases_them(void **state)
{
    party_book *b = party_book_new();
    party *pt = party_new(b, "g-3", 1);
    party_add(pt, P(0), 0);
    party_add(pt, P(1), 1);
    party_add(pt, P(2), 2);
    void *out[PARTY_MAX_MEMBERS];
    int n;
    bool freed;
    party_arrive(pt, P(2), TARGET, 0, WAIT_MS, out, &n);
    party_arrive(pt, P(0), TARGET, 10, WAIT_MS, out, &n);
    assert_int_equal(party_present(pt), 2);
    party_gone(pt, P(1), out, &n, &freed);
    assert_false(freed);
    assert_int_equal(n, 2);
    assert_ptr_equal(out[0], P(0));
    assert_ptr_equal(out[1], P(2));
    assert_int_equal(party_present(pt), 0);
    assert_int_equal(party_book_gathering(b), 0);
    /* The gathering here is over: coming back to it is going on alone. */
    assert_int_equal(party_arrive(pt, P(0), TARGET, 20, WAIT_MS, out, &n), PARTY_BROKEN);
    assert_int_equal(n, 1);
    party_book_free(b);
}

static void one_never_arriving_within_the_wait_is_late(void **state)
{
    party_book *b = party_book_new();
    party *p1 = pair(b, "g-4"), *p2 = pair(b, "g-5");
    void *out[PARTY_MAX_MEMBERS], *late[8];
    party *from[8];
    int n;
    party_arrive(p1, P(0), TARGET, 1000, WAIT_MS, out, &n);
    party_arrive(p2, P(1), TARGET, 20000, WAIT_MS, out, &n);
    assert_int_equal(party_expire(b, 1000 + WAIT_MS - 1, late, from, 8), 0);
    assert_int_equal(party_expire(b, 1000 + WAIT_MS, late, from, 8), 1);
    assert_ptr_equal(late[0], P(0));
    assert_ptr_equal(from[0], p1);
    assert_int_equal(party_expire(b, 1000 + WAIT_MS, late, from, 8), 0); /* once */
    assert_int_equal(party_present(p2), 1);
    /* The late one comes at last: its group has gone on without it. */
    assert_int_equal(party_arrive(p1, P(1), TARGET, 40000, WAIT_MS, out, &n), PARTY_BROKEN);
    assert_int_equal(n, 1);
    assert_ptr_equal(out[0], P(1));
    /* Batches hold whole parties only; p2's one waiter fits a batch of one. */
    assert_int_equal(party_expire(b, 20000 + WAIT_MS, late, from, 1), 1);
    assert_ptr_equal(from[0], p2);
    party_book_free(b);
}

static void leaving_stops_the_clock_when_nobody_waits(void **state)
{
    party_book *b = party_book_new();
    party *pt = pair(b, "g-6");
    void *out[PARTY_MAX_MEMBERS], *late[4];
    party *from[4];
    int n;
    party_arrive(pt, P(0), TARGET, 0, WAIT_MS, out, &n);
    party_leave(pt, P(0)); /* back to the page, or the connection dropped */
    assert_false(party_is_waiting(pt, P(0)));
    assert_int_equal(party_remaining_ms(pt, 10), -1);
    assert_int_equal(party_book_gathering(b), 0);
    assert_int_equal(party_expire(b, 10 * WAIT_MS, late, from, 4), 0);
    /* Back later: a new clock from this arrival; the partner comes in time. */
    party_arrive(pt, P(0), TARGET, 100000, WAIT_MS, out, &n);
    assert_int_equal(party_remaining_ms(pt, 100000), WAIT_MS);
    assert_int_equal(party_arrive(pt, P(1), TARGET, 100000 + WAIT_MS - 1, WAIT_MS, out, &n),
                     PARTY_PLAY);
    party_book_free(b);
}

/* After a restart: the members are added back one by one (seat order kept), a member who
 * finished meanwhile as NULL. Such a party never plays; a party nobody is left in goes. */
static void a_restored_party_plays_and_a_finished_member_breaks_it(void **state)
{
    party_book *b = party_book_new();
    party *whole = party_new(b, "g-7", 1);
    party_add(whole, P(1), 1);
    party_add(whole, P(0), 0);
    party *broken = party_new(b, "g-8", 1);
    party_add(broken, NULL, 0);
    party_add(broken, P(2), 1);
    party *empty = party_new(b, "g-9", 1);
    party_add(empty, NULL, 0);
    party_add(empty, NULL, 1);
    assert_false(party_drop_if_empty(b, whole));
    assert_true(party_drop_if_empty(b, empty));
    assert_int_equal(party_book_count(b), 2);
    assert_string_equal(party_id(whole), "g-7");
    assert_int_equal(party_scene(whole), 1);
    void *out[PARTY_MAX_MEMBERS];
    int n;
    party_arrive(whole, P(1), TARGET, 0, WAIT_MS, out, &n);
    assert_int_equal(party_arrive(whole, P(0), TARGET, 1, WAIT_MS, out, &n), PARTY_PLAY);
    assert_ptr_equal(out[0], P(0));
    assert_int_equal(party_arrive(broken, P(2), TARGET, 0, WAIT_MS, out, &n), PARTY_BROKEN);
    assert_ptr_equal(out[0], P(2));
    /* Full: a fifth member does not fit. */
    party *four = party_new(b, "g-10", 1);
    for (int i = 0; i < PARTY_MAX_MEMBERS; i++)
        assert_true(party_add(four, P(i), i));
    assert_false(party_add(four, P(5), 5));
    assert_null(party_new(b, "an-id-far-longer-than-any-game-id-is", 1));
    party_book_free(b);
}

static void the_same_party_gathers_again_at_a_later_scene(void **state)
{
    party_book *b = party_book_new();
    party *pt = pair(b, "g-11");
    void *out[PARTY_MAX_MEMBERS];
    int n;
    party_arrive(pt, P(0), TARGET, 0, WAIT_MS, out, &n);
    assert_int_equal(party_arrive(pt, P(1), TARGET, 1, WAIT_MS, out, &n), PARTY_PLAY);
    /* A scene visited again (repeat) and a later scene: each gathers afresh. */
    assert_int_equal(party_arrive(pt, P(1), TARGET, 5, WAIT_MS, out, &n), PARTY_WAIT);
    assert_int_equal(party_arrive(pt, P(0), TARGET, 6, WAIT_MS, out, &n), PARTY_PLAY);
    assert_int_equal(party_arrive(pt, P(0), TARGET + 2, 7, WAIT_MS, out, &n), PARTY_WAIT);
    /* Meanwhile nobody can join another scene's gathering. */
    assert_int_equal(party_arrive(pt, P(1), TARGET, 8, WAIT_MS, out, &n), PARTY_BROKEN);
    assert_int_equal(n, 1);
    assert_int_equal(party_present(pt), 1);
    party_book_free(b);
}

static void the_drain_releases_every_waiter(void **state)
{
    party_book *b = party_book_new();
    party *p1 = pair(b, "g-12"), *p2 = pair(b, "g-13");
    void *out[PARTY_MAX_MEMBERS], *all[8];
    party *from[8];
    int n;
    party_arrive(p1, P(0), TARGET, 0, WAIT_MS, out, &n);
    party_arrive(p2, P(1), TARGET, 0, WAIT_MS, out, &n);
    assert_int_equal(party_break_all(b, all, from, 8), 2);
    assert_int_equal(party_break_all(b, all, from, 8), 0);
    assert_int_equal(party_book_gathering(b), 0);
    party_book_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_arrive_and_play_in_seat_order),
        cmocka_unit_test(a_member_gone_before_anyone_arrives_sends_the_rest_on_alone),
        cmocka_unit_test(a_member_gone_while_others_wait_releases_them),
        cmocka_unit_test(one_never_arriving_within_the_wait_is_late),
        cmocka_unit_test(leaving_stops_the_clock_when_nobody_waits),
        cmocka_unit_test(a_restored_party_plays_and_a_finished_member_breaks_it),
        cmocka_unit_test(the_same_party_gathers_again_at_a_later_scene),
        cmocka_unit_test(the_drain_releases_every_waiter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
