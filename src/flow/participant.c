/* Creating, re-keying and forgetting participants: one place for new arrivals, restore
 * and the expiry of those who never acted (docs/DESIGN.md section 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "flow_internal.h"

participant *participant_create(flow *f, const char *subject, const char *token, bool recorded)
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
    p->condition = -1;
    p->state = P_PAGE;
    p->recorded = recorded;
    if (!recorded)
        f->unrecorded++;
    map_put(f->by_subject, p->subject, p);
    map_put(f->by_token, p->token, p);
#ifdef COHORT_SOAK_LEAK_BYTES /* only build/cohort-leak*, bench/soak/soak.mk: a leak to catch */
    static void *volatile soak_leak; /* volatile: the compiler may not drop the malloc */
    if ((soak_leak = malloc(COHORT_SOAK_LEAK_BYTES))) memset(soak_leak, 0x5a, COHORT_SOAK_LEAK_BYTES);
#endif
    return p;
}

void participant_mark_recorded(flow *f, participant *p)
{
    if (p->recorded)
        return;
    participant_unidle(f, p);
    p->recorded = true;
    f->unrecorded--;
    free(p->params_json);
    p->params_json = NULL;
}

void participant_new_token(flow *f, participant *p)
{
    map_del(f->by_token, p->token);
    random_hex(p->token, PROTO_TOKEN_LEN / 2);
    map_put(f->by_token, p->token, p);
}

void participant_idle(flow *f, participant *p, int64_t now_mono)
{
    if (p->recorded || p->idle_queued)
        return;
    p->idle_queued = true;
    p->idle_since_mono = now_mono;
    p->idle_next = NULL;
    p->idle_prev = f->idle_tail;
    if (f->idle_tail)
        f->idle_tail->idle_next = p;
    else
        f->idle_head = p;
    f->idle_tail = p;
}

void participant_unidle(flow *f, participant *p)
{
    if (!p->idle_queued)
        return;
    if (p->idle_prev)
        p->idle_prev->idle_next = p->idle_next;
    else
        f->idle_head = p->idle_next;
    if (p->idle_next)
        p->idle_next->idle_prev = p->idle_prev;
    else
        f->idle_tail = p->idle_prev;
    p->idle_prev = p->idle_next = NULL;
    p->idle_queued = false;
}

bool participant_forget_oldest(flow *f, int64_t before_mono)
{
    participant *p = f->idle_head;
    if (!p || p->idle_since_mono > before_mono)
        return false;
    participant_unidle(f, p);
    condition_counts_forgotten(f, p);
    map_del(f->by_subject, p->subject);
    map_del(f->by_token, p->token);
    f->unrecorded--;
    free(p->params_json);
    free(p);
    return true;
}

static void free_one(const char *key, void *value, void *ctx)
{
    participant *p = value;
    free(p->params_json);
    free(p);
}

void participants_free(flow *f)
{
    if (f->by_subject)
        map_each(f->by_subject, free_one, NULL);
}
