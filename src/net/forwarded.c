#include "forwarded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { ADDR_MAX_LEN = 63 };

static const uint8_t V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool net_addr_is_v4(const net_addr *a) { return memcmp(a->b, V4_MAPPED, 12) == 0; }

bool net_addr_equal(const net_addr *a, const net_addr *b) { return memcmp(a->b, b->b, 16) == 0; }

static void set_v4(net_addr *out, const void *four)
{
    memcpy(out->b, V4_MAPPED, 12);
    memcpy(out->b + 12, four, 4);
}

/* inet_pton wants a terminated string; s[0..len) is not. */
static bool pton(int family, const char *s, size_t len, void *dst)
{
    char buf[ADDR_MAX_LEN + 1];
    if (len == 0 || len > ADDR_MAX_LEN)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(family, buf, dst) == 1;
}

static bool all_digits(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool net_addr_parse(const char *s, size_t len, net_addr *out)
{
    if (len == 0 || len > ADDR_MAX_LEN)
        return false;
    if (s[0] == '[') { /* "[v6]" or "[v6]:port", as proxies write IPv6 with a port */
        const char *close = memchr(s, ']', len);
        if (!close)
            return false;
        size_t rest = len - (size_t)(close - s) - 1;
        if (rest && !(close[1] == ':' && all_digits(close + 2, rest - 1)))
            return false;
        return pton(AF_INET6, s + 1, (size_t)(close - s) - 1, out->b);
    }
    const char *colon = memchr(s, ':', len);
    if (!colon) {
        unsigned char four[4];
        if (!pton(AF_INET, s, len, four))
            return false;
        set_v4(out, four);
        return true;
    }
    /* One colon: IPv4 with a port. More: IPv6, which has at least two. */
    size_t head = (size_t)(colon - s);
    if (!memchr(colon + 1, ':', len - head - 1)) {
        unsigned char four[4];
        if (!all_digits(colon + 1, len - head - 1) || !pton(AF_INET, s, head, four))
            return false;
        set_v4(out, four);
        return true;
    }
    return pton(AF_INET6, s, len, out->b);
}

void net_addr_format(const net_addr *a, char out[NET_ADDR_STRLEN])
{
    if (net_addr_is_v4(a))
        snprintf(out, NET_ADDR_STRLEN, "%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
    else if (!inet_ntop(AF_INET6, a->b, out, NET_ADDR_STRLEN))
        snprintf(out, NET_ADDR_STRLEN, "?");
}

bool net_addr_from_sockaddr(const struct sockaddr *sa, net_addr *out)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        set_v4(out, &in->sin_addr);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(out->b, &in6->sin6_addr, 16);
        return true;
    }
    return false;
}

/* Clears the bits past the prefix. */
static void mask(net_addr *a, unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
        a->b[i] &= (uint8_t)(0xff00u >> keep);
    }
}

static bool in_net(const net_addr *a, const net_addr *netw, unsigned prefix)
{
    net_addr m = *a;
    mask(&m, prefix);
    return net_addr_equal(&m, netw);
}

static const char *trim(const char *s, const char *end, const char **tail)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *tail = end;
    return s;
}

/* One entry, "ADDR" or "ADDR/PREFIX". The prefix counts bits of the address as written:
 * "10.0.0.0/8" is IPv4's 8 (stored as 104), "2001:db8::/32" IPv6's 32. */
static bool parse_cidr(const char *s, size_t len, net_addr *addr, uint8_t *prefix)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    const char *colon = memchr(s, ':', alen);
    /* A proxy is written without brackets or a port: "10.0.0.1:80" is refused. */
    if (alen == 0 || s[0] == '[' || (colon && !memchr(colon + 1, ':', alen - (size_t)(colon - s) - 1)))
        return false;
    if (!net_addr_parse(s, alen, addr))
        return false;
    bool v4_text = !colon;
    unsigned bits = v4_text ? 32 : 128, p = bits;
    if (slash) {
        const char *d = slash + 1;
        size_t dlen = len - alen - 1;
        if (dlen == 0 || dlen > 3 || !all_digits(d, dlen))
            return false;
        p = (unsigned)atoi(d); /* all digits, at most three: no overflow */
        if (p > bits)
            return false;
    }
    *prefix = (uint8_t)(v4_text ? 96 + p : p);
    mask(addr, *prefix);
    return true;
}

int net_trusted_add(net_trusted *t, const char *spec, char *err, size_t errlen)
{
    net_trusted next = *t;
    const char *p = spec, *end = spec + strlen(spec);
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end, *tail;
        const char *s = trim(p, stop, &tail);
        if (s < tail) {
            if (next.n == NET_MAX_PROXIES) {
                snprintf(err, errlen, "more than %d trusted proxies", NET_MAX_PROXIES);
                return -1;
            }
            if (!parse_cidr(s, (size_t)(tail - s), &next.list[next.n].addr,
                            &next.list[next.n].prefix)) {
                snprintf(err, errlen, "not an address or ADDR/PREFIX: \"%.*s\"",
                         (int)(tail - s > 64 ? 64 : tail - s), s);
                return -1;
            }
            next.n++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    *t = next;
    return 0;
}

bool net_trusted_has(const net_trusted *t, const net_addr *a)
{
    if (!t)
        return false;
    for (int i = 0; i < t->n; i++)
        if (in_net(a, &t->list[i].addr, t->list[i].prefix))
            return true;
    return false;
}

bool net_forwarded_client(const char *xff, size_t len, const net_trusted *t, net_addr *out)
{
    const char *end = xff + len;
    bool have = false;
    for (int hops = 0; end > xff && hops < NET_XFF_MAX_HOPS; hops++) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *tail;
        const char *s = trim(start, end, &tail);
        end = start > xff ? start - 1 : xff; /* past the comma, for the next element */
        if (s == tail)
            continue; /* an empty element: "a,,b" or a trailing comma */
        net_addr a;
        if (!net_addr_parse(s, (size_t)(tail - s), &a))
            return false; /* garbage: what is left of it cannot be checked */
        *out = a;
        have = true;
        if (!net_trusted_has(t, &a))
            return true;
    }
    /* Every element was a trusted proxy: the left-most one seen is the farthest known hop. */
    return have;
}
