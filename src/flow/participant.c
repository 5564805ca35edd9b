/* Creating and freeing participants: one place for new arrivals and for restore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "flow_internal.h"

participant *participant_create(flow *f, const char *subject, const char *token)
{
    participant *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    snprintf(p->subject, sizeof p->subject, "%s", subject);
    if (token)
        snprintf(p->token, sizeof p->token, "%s", token);
    else
        random_hex(p->token, PROTO_TOKEN_LEN / 2);
    p->seat = -1;
    p->state = P_PAGE;
    map_put(f->by_subject, p->subject, p);
    map_put(f->by_token, p->token, p);
#ifdef COHORT_SOAK_LEAK_BYTES /* only build/cohort-leak*, bench/soak/soak.mk: a leak to catch */
    static void *volatile soak_leak; /* volatile: the compiler may not drop the malloc */
    if ((soak_leak = malloc(COHORT_SOAK_LEAK_BYTES))) memset(soak_leak, 0x5a, COHORT_SOAK_LEAK_BYTES);
#endif
    return p;
}

static void free_one(const char *key, void *value, void *ctx) { free(value); }

void participants_free(flow *f)
{
    if (f->by_subject)
        map_each(f->by_subject, free_one, NULL);
}
