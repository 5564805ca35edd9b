#include "map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;      /* NULL = empty; TOMBSTONE = deleted */
    void *value;
} slot;

struct map {
    slot *slots;
    size_t cap;     /* power of two */
    size_t used;    /* live entries */
    size_t filled;  /* live + tombstones: drives resizing */
};

static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

map *map_new(void)
{
    map *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 16;
    m->slots = calloc(m->cap, sizeof(slot));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void map_free(map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static slot *find(const map *m, const char *key)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
        slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && strcmp(s->key, key) == 0)
            return s;
    }
}

static void insert_fresh(slot *slots, size_t cap, char *key, void *value)
{
    size_t mask = cap - 1;
    size_t i = hash_str(key) & mask;
    while (slots[i].key)
        i = (i + 1) & mask;
    slots[i].key = key;
    slots[i].value = value;
}

static int grow(map *m)
{
    /* Double only when the live entries alone fill two thirds: below that, dropping the
     * tombstones leaves room for at least cap/12 more puts before the next rehash. A map
     * that holds a steady number while entries come and go (participants forgotten as new
     * ones arrive) then stays at its size instead of doubling at every wave of deletes. */
    size_t cap = m->used * 3 > m->cap * 2 ? m->cap * 2 : m->cap;
    slot *fresh = calloc(cap, sizeof(slot));
    if (!fresh)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            insert_fresh(fresh, cap, m->slots[i].key, m->slots[i].value);
    free(m->slots);
    m->slots = fresh;
    m->cap = cap;
    m->filled = m->used;
    return 0;
}

void *map_put(map *m, const char *key, void *value)
{
    slot *s = find(m, key);
    if (s) {
        void *old = s->value;
        s->value = value;
        return old;
    }
    if ((m->filled + 1) * 4 > m->cap * 3 && grow(m) != 0)
        abort(); /* out of memory in a map of participants: nothing sensible to do */
    char *copy = strdup(key);
    if (!copy)
        abort();
    size_t mask = m->cap - 1;
    size_t i = hash_str(key) & mask;
    while (m->slots[i].key && m->slots[i].key != TOMBSTONE)
        i = (i + 1) & mask;
    if (!m->slots[i].key)
        m->filled++;
    m->slots[i].key = copy;
    m->slots[i].value = value;
    m->used++;
    return NULL;
}

void *map_get(const map *m, const char *key)
{
    slot *s = find(m, key);
    return s ? s->value : NULL;
}

void *map_del(map *m, const char *key)
{
    slot *s = find(m, key);
    if (!s)
        return NULL;
    void *old = s->value;
    free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->used--;
    return old;
}

size_t map_size(const map *m) { return m->used; }

size_t map_slots(const map *m) { return m->cap; }

void map_each(const map *m, void (*fn)(const char *, void *, void *), void *ctx)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            fn(m->slots[i].key, m->slots[i].value, ctx);
}
