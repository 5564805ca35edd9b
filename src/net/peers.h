/*
 * Open connections per address, for the per-address cap. A chained hash table keyed by
 * net_addr; an address's entry exists while it has a connection open, so the table never
 * holds more entries than there are connections. Allocation happens only when a connection
 * comes from an address with none open; nothing here runs per message.
 */
#ifndef COHORT_NET_PEERS_H
#define COHORT_NET_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "forwarded.h"

typedef struct net_peer {
    net_addr addr;
    uint32_t count;          /* connections open from addr */
    struct net_peer *next;   /* the bucket's chain */
} net_peer;

typedef struct net_peers net_peers;

/* expected: about how many connections may be open at once (sizes the bucket array). */
net_peers *net_peers_new(size_t expected);
void net_peers_free(net_peers *t);
/* Connections open from a (0 if none). */
uint32_t net_peers_count(const net_peers *t, const net_addr *a);
/* One more connection from a: its entry (created at the first), NULL if out of memory. */
net_peer *net_peers_acquire(net_peers *t, const net_addr *a);
/* One fewer: the entry is freed when its count reaches 0. */
void net_peers_release(net_peers *t, net_peer *p);
/* Addresses with a connection open. */
size_t net_peers_size(const net_peers *t);

#endif
