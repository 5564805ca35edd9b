/* Participants' addresses (src/net/forwarded.c): parsing and printing, trusted-proxy lists,
 * X-Forwarded-For; the per-address counts behind the cap (src/net/peers.c); the query
 * string rebuilt for the HTTP handlers (src/net/request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/forwarded.h"
#include "net/peers.h"
#include "net/request.h"

static net_addr addr(const char *s)
{
    net_addr a;
    assert_true(net_addr_parse(s, strlen(s), &a));
    return a;
}

static void assert_addr(const net_addr *a, const char *want)
{
    char got[NET_ADDR_STRLEN];
    net_addr_format(a, got);
    assert_string_equal(got, want);
}

static bool parses(const char *s)
{
    net_addr a;
    return net_addr_parse(s, strlen(s), &a);
}

static void addresses_parse_and_print(void **state)
{
    net_addr a = addr("192.0.2.1");
    assert_true(net_addr_is_v4(&a));
    assert_addr(&a, "192.0.2.1");
    a = addr("192.0.2.1:8080"); /* some proxies add the client's port */
    assert_addr(&a, "192.0.2.1");
    a = addr("2001:db8::1");
    assert_false(net_addr_is_v4(&a));
    assert_addr(&a, "2001:db8::1");
    a = addr("[2001:db8::1]");
    assert_addr(&a, "2001:db8::1");
    a = addr("[2001:db8::1]:443");
    assert_addr(&a, "2001:db8::1");
    a = addr("::ffff:10.1.2.3"); /* IPv4-mapped is IPv4 */
    assert_true(net_addr_is_v4(&a));
    assert_addr(&a, "10.1.2.3");
    net_addr b = addr("10.1.2.3");
    assert_true(net_addr_equal(&a, &b));
    /* Only len bytes are read: the rest of the buffer is not part of it. */
    assert_true(net_addr_parse("10.0.0.12345", 8, &a));
    assert_addr(&a, "10.0.0.1");
}

static void garbage_is_not_an_address(void **state)
{
    const char *bad[] = {"", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "abc", "unknown",
                         "1.2.3.4:", "1.2.3.4:80x", "1.2.3.4:123456", "[::1", "[::1]x",
                         "[::1]:", "[1.2.3.4]", " 1.2.3.4", "1.2.3.4 ", "fe80::1%eth0",
                         "_hidden", "1.2.3.4/24", "::1::2", "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parses(bad[i]))
            fail_msg("parsed \"%s\"", bad[i]);
    char longer[80];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_false(parses(longer));
    /* 63 bytes is the most: the longest real form ("[v6 with v4 tail]:port") is 53. */
    char lots[] = "0000:0000:0000:0000:0000:0000:0000:0001::::::::::::::::::::::::::";
    assert_false(parses(lots));
}

static void trusted_lists_take_addresses_and_networks(void **state)
{
    net_trusted t = {0};
    char err[160];
    assert_int_equal(net_trusted_add(&t, "10.0.0.1", err, sizeof err), 0);
    assert_int_equal(net_trusted_add(&t, " 192.168.0.0/16 ,2001:db8::/32,, ::1 ", err, sizeof err), 0);
    assert_int_equal(t.n, 4);
    net_addr a = addr("10.0.0.1");
    assert_true(net_trusted_has(&t, &a));
    a = addr("10.0.0.2");
    assert_false(net_trusted_has(&t, &a));
    a = addr("192.168.44.5");
    assert_true(net_trusted_has(&t, &a));
    a = addr("192.169.0.1");
    assert_false(net_trusted_has(&t, &a));
    a = addr("2001:db8:ffff::9");
    assert_true(net_trusted_has(&t, &a));
    a = addr("2001:db9::1");
    assert_false(net_trusted_has(&t, &a));
    a = addr("::1");
    assert_true(net_trusted_has(&t, &a));
    assert_false(net_trusted_has(NULL, &a));

    /* /0 trusts everyone of that family; an IPv4 /0 is not all of IPv6. */
    net_trusted all = {0};
    assert_int_equal(net_trusted_add(&all, "0.0.0.0/0", err, sizeof err), 0);
    a = addr("203.0.113.9");
    assert_true(net_trusted_has(&all, &a));
    a = addr("2001:db8::1");
    assert_false(net_trusted_has(&all, &a));
}

static void bad_trusted_entries_are_refused_whole(void **state)
{
    net_trusted t = {0};
    char err[160];
    const char *bad[] = {"10.0.0.1:80", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "x",
                         "10.0.0.0/8x", "[::1]", "10.0.0.1/-1", "10.0.0.0/0008"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (net_trusted_add(&t, bad[i], err, sizeof err) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_non_null(strstr(err, "not an address"));
    }
    /* A bad entry after good ones: none of the list is added. */
    assert_int_equal(net_trusted_add(&t, "10.0.0.1, nope", err, sizeof err), -1);
    assert_int_equal(t.n, 0);
    char many[512] = "";
    for (int i = 0; i <= NET_MAX_PROXIES; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "10.0.0.%d,", i + 1);
    assert_int_equal(net_trusted_add(&t, many, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than"));
    assert_int_equal(t.n, 0);
}

/* The participant from an X-Forwarded-For value, or NULL when there is none. */
static const char *client(const char *xff, const char *trusted)
{
    static char out[NET_ADDR_STRLEN];
    net_trusted t = {0};
    char err[160];
    assert_int_equal(net_trusted_add(&t, trusted, err, sizeof err), 0);
    net_addr a;
    if (!net_forwarded_client(xff, strlen(xff), &t, &a))
        return NULL;
    net_addr_format(&a, out);
    return out;
}

static void forwarded_for_takes_the_rightmost_untrusted(void **state)
{
    assert_null(client("", "10.0.0.1"));
    assert_null(client("   ", "10.0.0.1"));
    assert_null(client(",, ,", "10.0.0.1"));
    assert_string_equal(client("203.0.113.7", ""), "203.0.113.7");
    assert_string_equal(client(" \t203.0.113.7\t ", ""), "203.0.113.7");
    /* Everything left of the proxy's own entry is the client's to write. */
    assert_string_equal(client("1.1.1.1, 203.0.113.7", ""), "203.0.113.7");
    /* Chains of proxies: trusted hops are skipped from the right. */
    assert_string_equal(client("1.1.1.1, 203.0.113.7, 10.0.0.2, 10.0.0.3", "10.0.0.0/8"),
                        "203.0.113.7");
    /* All trusted: the left-most, the farthest hop known. */
    assert_string_equal(client("10.0.0.1, 10.0.0.2", "10.0.0.0/8"), "10.0.0.1");
    assert_string_equal(client(" ,203.0.113.7,, ", ""), "203.0.113.7");
    assert_string_equal(client("203.0.113.7:5123", ""), "203.0.113.7");
}

static void forwarded_for_ipv6(void **state)
{
    assert_string_equal(client("2001:db8::7", ""), "2001:db8::7");
    assert_string_equal(client("2001:db8::7, [2001:db8::8]:443", ""), "2001:db8::8");
    assert_string_equal(client("2001:db8::7, [2001:db8::8]:443", "2001:db8::8"), "2001:db8::7");
    assert_string_equal(client("192.0.2.5, ::1", "::1"), "192.0.2.5");
}

static void forwarded_for_garbage_stops_the_walk(void **state)
{
    /* Garbage right of any real address: nothing there can be checked. */
    assert_null(client("203.0.113.7, junk", ""));
    assert_null(client("203.0.113.7, unknown, 10.0.0.2", "10.0.0.2"));
    /* Garbage left of the participant's entry does not matter. */
    assert_string_equal(client("<script>, 203.0.113.7", ""), "203.0.113.7");
    assert_string_equal(client("junk, 203.0.113.7, 10.0.0.2", "10.0.0.2"), "203.0.113.7");
    assert_null(client("\"quoted\"", ""));
    assert_null(client("1.2.3.4 5.6.7.8", ""));
}

static void forwarded_for_long_values(void **state)
{
    /* An over-long element is garbage. */
    char big[300];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_null(client(big, ""));
    /* A long forged prefix before the real entry costs nothing. */
    char hdr[4200] = "";
    while (strlen(hdr) < 4000)
        strcat(hdr, "6.6.6.6, ");
    strcat(hdr, "203.0.113.7");
    assert_string_equal(client(hdr, ""), "203.0.113.7");
    /* At most NET_XFF_MAX_HOPS elements are looked at: a chain of trusted hops longer than
     * that yields the left-most one looked at, never the forged address beyond. */
    char chain[2048] = "6.6.6.6";
    for (int i = 0; i < NET_XFF_MAX_HOPS + 8; i++)
        strcat(chain, ", 10.0.0.1");
    assert_string_equal(client(chain, "10.0.0.1"), "10.0.0.1");
    /* Not terminated: only len bytes are read. */
    net_trusted t = {0};
    net_addr a;
    const char *s = "203.0.113.7, 1.1.1.1";
    assert_true(net_forwarded_client(s, 11, &t, &a));
    assert_addr(&a, "203.0.113.7");
}

static void peers_count_per_address(void **state)
{
    net_peers *t = net_peers_new(10);
    assert_non_null(t);
    net_addr a = addr("192.0.2.1"), b = addr("2001:db8::1");
    assert_int_equal(net_peers_count(t, &a), 0);
    net_peer *p1 = net_peers_acquire(t, &a), *p2 = net_peers_acquire(t, &a);
    assert_ptr_equal(p1, p2);
    assert_int_equal(net_peers_count(t, &a), 2);
    net_peer *q = net_peers_acquire(t, &b);
    assert_int_equal(net_peers_size(t), 2);
    net_peers_release(t, p1);
    assert_int_equal(net_peers_count(t, &a), 1);
    net_peers_release(t, p2);
    assert_int_equal(net_peers_count(t, &a), 0);
    assert_int_equal(net_peers_size(t), 1); /* a's entry is gone */
    net_peers_release(t, q);
    assert_int_equal(net_peers_size(t), 0);
    net_peers_release(t, NULL);

    /* Many addresses, far more than buckets: chains work; every count is its own. */
    net_peer *each[2000];
    for (int i = 0; i < 2000; i++) {
        char s[32];
        snprintf(s, sizeof s, "10.%d.%d.1", i / 256, i % 256);
        net_addr x = addr(s);
        each[i] = net_peers_acquire(t, &x);
        if (i % 3 == 0)
            net_peers_acquire(t, &x);
    }
    assert_int_equal(net_peers_size(t), 2000);
    net_addr x = addr("10.0.6.1"); /* i = 6: acquired twice, released once below */
    assert_int_equal(net_peers_count(t, &x), 2);
    for (int i = 0; i < 2000; i += 2)
        net_peers_release(t, each[i]);
    assert_int_equal(net_peers_count(t, &x), 1);
    x = addr("10.0.2.1"); /* i = 2: acquired once, released */
    assert_int_equal(net_peers_count(t, &x), 0);
    assert_int_equal(net_peers_size(t), 1000 + 334); /* the odd, and the even ones held twice */
    net_peers_free(t); /* frees what is still counted */
}

static void query_is_rebuilt_from_whole_arguments(void **state)
{
    char q[16];
    size_t len = 0;
    q[0] = '\0';
    assert_true(net_query_append(q, sizeof q, &len, "a=1"));
    assert_true(net_query_append(q, sizeof q, &len, "key=xy"));
    assert_string_equal(q, "a=1&key=xy");
    assert_int_equal(len, 10);
    /* "&b=123" would need 6 more and the NUL: refused whole, the string unchanged. */
    assert_false(net_query_append(q, sizeof q, &len, "b=123"));
    assert_string_equal(q, "a=1&key=xy");
    assert_true(net_query_append(q, sizeof q, &len, "b=1"));
    assert_string_equal(q, "a=1&key=xy&b=1"); /* 14 of 15 */
    assert_false(net_query_append(q, sizeof q, &len, "c"));
    assert_int_equal(strlen(q), len);
    char one[4];
    len = 0;
    assert_false(net_query_append(one, sizeof one, &len, "abcd"));
    assert_true(net_query_append(one, sizeof one, &len, "abc"));
    assert_string_equal(one, "abc");
    assert_false(net_query_append(one, 0, &len, "a"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_parse_and_print),
        cmocka_unit_test(garbage_is_not_an_address),
        cmocka_unit_test(trusted_lists_take_addresses_and_networks),
        cmocka_unit_test(bad_trusted_entries_are_refused_whole),
        cmocka_unit_test(forwarded_for_takes_the_rightmost_untrusted),
        cmocka_unit_test(forwarded_for_ipv6),
        cmocka_unit_test(forwarded_for_garbage_stops_the_walk),
        cmocka_unit_test(forwarded_for_long_values),
        cmocka_unit_test(peers_count_per_address),
        cmocka_unit_test(query_is_rebuilt_from_whole_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
