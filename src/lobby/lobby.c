#include "lobby.h"

#include <stdlib.h>
#include <string.h>

struct lobby {
    matchmaker mm;
    int group_size;
    int64_t timeout_ms;
    waiter *queue; /* arrival order */
    int n, cap;
};

lobby *lobby_new(matchmaker mm, int group_size, int64_t timeout_ms)
{
    if (group_size < 1)
        return NULL;
    lobby *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->mm = mm;
    l->group_size = group_size;
    l->timeout_ms = timeout_ms;
    return l;
}

void lobby_free(lobby *l)
{
    if (!l)
        return;
    free(l->queue);
    free(l);
}

static int index_of(const lobby *l, const void *who)
{
    for (int i = 0; i < l->n; i++)
        if (l->queue[i].who == who)
            return i;
    return -1;
}

static void remove_at(lobby *l, int i)
{
    memmove(&l->queue[i], &l->queue[i + 1], (size_t)(l->n - i - 1) * sizeof(waiter));
    l->n--;
}

int lobby_arrive(lobby *l, void *who, uint32_t rtt_ms, int64_t now, void **group)
{
    if (index_of(l, who) >= 0)
        return 0; /* already waiting: a repeated start changes nothing */
    waiter arrival = {.who = who, .rtt_ms = rtt_ms, .joined_ms = now};
    int picks[16];
    if (l->group_size - 1 <= 16 &&
        l->mm.pick(&l->mm, l->queue, l->n, &arrival, l->group_size, picks)) {
        int k = l->group_size - 1;
        for (int i = 0; i < k; i++)
            group[i] = l->queue[picks[i]].who;
        group[k] = who;
        for (int i = k - 1; i >= 0; i--) /* picks ascend: remove from the back */
            remove_at(l, picks[i]);
        return l->group_size;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        waiter *grown = realloc(l->queue, (size_t)cap * sizeof(waiter));
        if (!grown)
            return -1;
        l->queue = grown;
        l->cap = cap;
    }
    l->queue[l->n++] = arrival;
    return 0;
}

bool lobby_leave(lobby *l, void *who)
{
    int i = index_of(l, who);
    if (i < 0)
        return false;
    remove_at(l, i);
    return true;
}

bool lobby_contains(const lobby *l, const void *who) { return index_of(l, who) >= 0; }
int lobby_count(const lobby *l) { return l->n; }
int lobby_group_size(const lobby *l) { return l->group_size; }
void *lobby_at(const lobby *l, int i) { return i >= 0 && i < l->n ? l->queue[i].who : NULL; }

int64_t lobby_remaining_ms(const lobby *l, const void *who, int64_t now)
{
    int i = index_of(l, who);
    if (i < 0)
        return -1;
    int64_t left = l->queue[i].joined_ms + l->timeout_ms - now;
    return left < 0 ? 0 : left;
}

int64_t lobby_waited_ms(const lobby *l, const void *who, int64_t now)
{
    int i = index_of(l, who);
    return i < 0 ? -1 : now - l->queue[i].joined_ms;
}

int lobby_expire(lobby *l, int64_t now, void **out, int max)
{
    int k = 0;
    for (int i = 0; i < l->n && k < max;) {
        if (now >= l->queue[i].joined_ms + l->timeout_ms) {
            out[k++] = l->queue[i].who;
            remove_at(l, i);
        } else {
            i++;
        }
    }
    return k;
}
