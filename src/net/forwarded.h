/*
 * Participants' addresses: parsing and printing them, the list of trusted proxies, and the
 * X-Forwarded-For header. Pure functions (no lws, no sockets, no allocation), so they are
 * unit-tested (tests/unit/test_net_forwarded.c) and fuzzed (tests/fuzz/fuzz_http.c) alone.
 *
 * Behind a reverse proxy every connection's TCP peer is the proxy. The proxy appends the
 * address it saw to X-Forwarded-For, so the header's right end is trustworthy and its left
 * part is whatever the client chose to send. net believes the header only when the TCP peer
 * is a configured trusted proxy, and then takes the right-most address that is not itself a
 * trusted proxy (docs/PROTOCOL.md, "Connection limits").
 */
#ifndef COHORT_NET_FORWARDED_H
#define COHORT_NET_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* An IPv4 or IPv6 address as 16 bytes, IPv4 in its IPv6-mapped form (::ffff:a.b.c.d), so one
 * table and one comparison serve both. */
typedef struct {
    uint8_t b[16];
} net_addr;

enum {
    NET_ADDR_STRLEN = 46,     /* INET6_ADDRSTRLEN: the longest printed form, with its NUL */
    NET_MAX_PROXIES = 16,     /* entries in a trusted-proxy list */
    NET_XFF_MAX_HOPS = 32,    /* X-Forwarded-For elements looked at, from the right */
};

/* One address: "192.0.2.1", "192.0.2.1:8080", "2001:db8::1", "[2001:db8::1]" or
 * "[2001:db8::1]:443"; no surrounding spaces, at most 63 bytes. false: not an address. */
bool net_addr_parse(const char *s, size_t len, net_addr *out);
/* Prints IPv4-mapped addresses as dotted quads ("127.0.0.1"), others as IPv6. */
void net_addr_format(const net_addr *a, char out[NET_ADDR_STRLEN]);
/* AF_INET or AF_INET6; false for any other family. */
bool net_addr_from_sockaddr(const struct sockaddr *sa, net_addr *out);
bool net_addr_equal(const net_addr *a, const net_addr *b);
bool net_addr_is_v4(const net_addr *a);

/* Trusted proxies: addresses or networks (ADDR/PREFIX). Zeroed = empty: nobody is trusted. */
typedef struct {
    struct {
        net_addr addr;     /* the network's first address (host bits cleared) */
        uint8_t prefix;    /* in the 128-bit space: an IPv4 /24 is stored as /120 */
    } list[NET_MAX_PROXIES];
    int n;
} net_trusted;

/* Adds every entry of a comma-separated list ("10.0.0.1, 10.1.0.0/16,::1"). On error
 * (returns -1) err says which entry and why, and nothing from spec was added. */
int net_trusted_add(net_trusted *t, const char *spec, char *err, size_t errlen);
bool net_trusted_has(const net_trusted *t, const net_addr *a);

/* The participant's address from an X-Forwarded-For value (several header lines arrive
 * joined with commas): the right-most element that is not a trusted proxy; the left-most
 * if every element is trusted. Empty elements are skipped; scanning stops at an element
 * that is not an address (nothing left of it can be checked) and after NET_XFF_MAX_HOPS.
 * false: no usable address, and the caller keeps the TCP peer. */
bool net_forwarded_client(const char *xff, size_t len, const net_trusted *t, net_addr *out);

#endif
