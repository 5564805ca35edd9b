#include "peers.h"

#include <stdlib.h>

struct net_peers {
    net_peer **buckets;
    size_t mask;   /* bucket count - 1 (a power of two) */
    size_t size;
};

/* FNV-1a over the 16 bytes: addresses from one network differ only in their last bytes,
 * and every byte moves the whole hash. */
static size_t bucket_of(const net_peers *t, const net_addr *a)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++) {
        h ^= a->b[i];
        h *= 16777619u;
    }
    return h & t->mask;
}

net_peers *net_peers_new(size_t expected)
{
    net_peers *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    size_t n = 64;
    while (n < expected && n < ((size_t)1 << 20))
        n *= 2;
    t->buckets = calloc(n, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    return t;
}

void net_peers_free(net_peers *t)
{
    if (!t)
        return;
    for (size_t i = 0; i <= t->mask; i++) {
        net_peer *p = t->buckets[i];
        while (p) {
            net_peer *next = p->next;
            free(p);
            p = next;
        }
    }
    free(t->buckets);
    free(t);
}

static net_peer *find(const net_peers *t, const net_addr *a)
{
    for (net_peer *p = t->buckets[bucket_of(t, a)]; p; p = p->next)
        if (net_addr_equal(&p->addr, a))
            return p;
    return NULL;
}

uint32_t net_peers_count(const net_peers *t, const net_addr *a)
{
    const net_peer *p = find(t, a);
    return p ? p->count : 0;
}

net_peer *net_peers_acquire(net_peers *t, const net_addr *a)
{
    net_peer *p = find(t, a);
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p)
            return NULL;
        p->addr = *a;
        size_t b = bucket_of(t, a);
        p->next = t->buckets[b];
        t->buckets[b] = p;
        t->size++;
    }
    p->count++;
    return p;
}

void net_peers_release(net_peers *t, net_peer *p)
{
    if (!p || p->count == 0 || --p->count > 0)
        return;
    for (net_peer **link = &t->buckets[bucket_of(t, &p->addr)]; *link; link = &(*link)->next) {
        if (*link == p) {
            *link = p->next;
            t->size--;
            free(p);
            return;
        }
    }
}

size_t net_peers_size(const net_peers *t) { return t->size; }
