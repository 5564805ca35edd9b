/* A string-keyed hash map of pointers (open addressing). Keys are copied. */
#ifndef COHORT_MAP_H
#define COHORT_MAP_H

#include <stddef.h>

typedef struct map map;

map *map_new(void);
void map_free(map *m);
/* Returns the previous value for key, or NULL. */
void *map_put(map *m, const char *key, void *value);
void *map_get(const map *m, const char *key);
/* Returns the removed value, or NULL. */
void *map_del(map *m, const char *key);
size_t map_size(const map *m);
/* The table's slot count (a power of two): what the map's memory is, for tests and stats. */
size_t map_slots(const map *m);
/* Calls fn for every entry; fn must not modify the map. */
void map_each(const map *m, void (*fn)(const char *key, void *value, void *ctx), void *ctx);

#endif
