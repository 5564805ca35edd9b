/*
 * A fake world of known participants for the identity rules (src/flow/identity.h), shared
 * by tests/unit/test_identity.c and tests/fuzz/fuzz_hello.c: each keeps its own table of
 * `known` people and gets an identity_lookup that finds in it (fake_lookup).
 */
#ifndef COHORT_FAKE_PEOPLE_H
#define COHORT_FAKE_PEOPLE_H

#include <stdbool.h>
#include <string.h>

#include "flow/identity.h"

typedef struct {
    const char *subject, *token;
    bool connected, finished, started, acted;
} known;

typedef struct {
    known *people;
    size_t n;
} fake_world;

static void *fake_by_token(const char *t, void *ctx)
{
    fake_world *w = ctx;
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->people[i].token, t) == 0)
            return &w->people[i];
    return NULL;
}
static void *fake_by_subject(const char *s, void *ctx)
{
    fake_world *w = ctx;
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->people[i].subject, s) == 0)
            return &w->people[i];
    return NULL;
}
static const char *fake_subject_of(void *who, void *ctx) { return ((known *)who)->subject; }
static bool fake_connected(void *who, void *ctx) { return ((known *)who)->connected; }
static bool fake_finished(void *who, void *ctx) { return ((known *)who)->finished; }
static bool fake_started(void *who, void *ctx) { return ((known *)who)->started; }
static bool fake_acted(void *who, void *ctx) { return ((known *)who)->acted; }

/* The lookup over w's people (w must outlive its use). */
static inline identity_lookup fake_lookup(fake_world *w)
{
    return (identity_lookup){.by_token = fake_by_token,
                             .by_subject = fake_by_subject,
                             .subject_of = fake_subject_of,
                             .connected = fake_connected,
                             .finished = fake_finished,
                             .started_game = fake_started,
                             .acted = fake_acted,
                             .ctx = w};
}

#endif
