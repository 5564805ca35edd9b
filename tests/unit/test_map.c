/* The participant maps: what goes in comes out, deletes leave no trace a lookup can trip
 * on, and a map that holds a steady number while entries come and go (participants
 * forgotten as new ones arrive, tests/hostile/cases/newids.sh) stays at its size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/map.h"

static void key_of(char *buf, size_t n, int i) { snprintf(buf, n, "subject-%d", i); }

static void test_put_get_del(void **state)
{
    (void)state;
    map *m = map_new();
    assert_non_null(m);
    int values[1000];
    char key[32];
    for (int i = 0; i < 1000; i++) {
        key_of(key, sizeof key, i);
        assert_null(map_put(m, key, &values[i]));
    }
    assert_int_equal(map_size(m), 1000);
    for (int i = 0; i < 1000; i++) {
        key_of(key, sizeof key, i);
        assert_ptr_equal(map_get(m, key), &values[i]);
    }
    /* Replacing returns the old value and keeps the count. */
    assert_ptr_equal(map_put(m, "subject-7", &values[8]), &values[7]);
    assert_int_equal(map_size(m), 1000);
    /* Every other one deleted: the rest are still found past the tombstones. */
    for (int i = 0; i < 1000; i += 2) {
        key_of(key, sizeof key, i);
        assert_non_null(map_del(m, key));
        assert_null(map_get(m, key));
        assert_null(map_del(m, key));
    }
    assert_int_equal(map_size(m), 500);
    for (int i = 1; i < 1000; i += 2) {
        key_of(key, sizeof key, i);
        assert_non_null(map_get(m, key));
    }
    /* The key is copied: the caller's buffer can change. */
    strcpy(key, "mutable");
    map_put(m, key, &values[0]);
    strcpy(key, "changed");
    assert_ptr_equal(map_get(m, "mutable"), &values[0]);
    assert_null(map_get(m, "changed"));
    map_free(m);
}

static void count_each(const char *key, void *value, void *ctx)
{
    (void)key;
    (void)value;
    (*(int *)ctx)++;
}

/* 10000 live, then 100000 more arriving while the oldest are deleted, as the flood in
 * newids.sh does to by_subject and by_token. The table must not double: 10000 entries fit
 * in 16384 slots under the 3/4 load limit, and rehashing in place clears the tombstones. */
static void test_steady_churn_keeps_size(void **state)
{
    (void)state;
    enum { LIVE = 10000, MORE = 100000 };
    map *m = map_new();
    static int dummy;
    char key[32];
    for (int i = 0; i < LIVE; i++) {
        key_of(key, sizeof key, i);
        map_put(m, key, &dummy);
    }
    size_t slots = map_slots(m);
    assert_int_equal(slots, 16384);
    for (int i = LIVE; i < LIVE + MORE; i++) {
        key_of(key, sizeof key, i - LIVE);
        assert_non_null(map_del(m, key));
        key_of(key, sizeof key, i);
        map_put(m, key, &dummy);
        assert_int_equal(map_slots(m), slots);
    }
    assert_int_equal(map_size(m), LIVE);
    for (int i = MORE; i < LIVE + MORE; i++) {
        key_of(key, sizeof key, i);
        assert_non_null(map_get(m, key));
    }
    int seen = 0;
    map_each(m, count_each, &seen);
    assert_int_equal(seen, LIVE);
    map_free(m);
}

/* Growth still happens when the live entries need it: 11000 live is over two thirds of
 * 16384, so churn at that size doubles the table once and then holds. */
static void test_grows_when_full(void **state)
{
    (void)state;
    map *m = map_new();
    static int dummy;
    char key[32];
    for (int i = 0; i < 11000; i++) {
        key_of(key, sizeof key, i);
        map_put(m, key, &dummy);
    }
    assert_int_equal(map_slots(m), 16384);
    for (int i = 11000; i < 30000; i++) {
        key_of(key, sizeof key, i - 11000);
        map_del(m, key);
        key_of(key, sizeof key, i);
        map_put(m, key, &dummy);
    }
    assert_int_equal(map_slots(m), 32768);
    assert_int_equal(map_size(m), 11000);
    map_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),
        cmocka_unit_test(test_steady_churn_keeps_size),
        cmocka_unit_test(test_grows_when_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
