/*
 * Conditions (docs/EXPERIMENTS.md "Conditions"): which one a newcomer gets, their route
 * through the scenes, and the counts balanced assignment reads.
 *
 * Balanced assignment gives a newcomer the condition with the fewest participants who
 * completed it or are still in it (ties at random). Whoever ends with another outcome (a
 * partner dropped, nobody to play with, excluded, ...) frees their place, and so does
 * someone forgotten before they acted: the next arrivals fill it, so the completed counts
 * end close to even however many drop out.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "flow_internal.h"

static uint64_t rnd(void *ctx)
{
    (void)ctx;
    return random_u64();
}

static int balanced(const flow *f)
{
    int n = f->x->nconditions, best = -1, ties = 0;
    long least = 0;
    for (int c = 0; c < n; c++) {
        long load = (long)f->cond_open[c] + f->cond_completed[c];
        if (best < 0 || load < least) {
            best = c;
            least = load;
            ties = 1;
        } else if (load == least && random_u64() % (uint64_t)++ties == 0) {
            best = c; /* reservoir sampling: each tied condition equally likely */
        }
    }
    return best;
}

int condition_choose(flow *f, json_t *params, const char **code, text_id *text)
{
    const experiment *x = f->x;
    if (x->nconditions == 0)
        return -1;
    switch (x->assignment) {
    case ASSIGN_RANDOM:
        return (int)(random_u64() % (uint64_t)x->nconditions);
    case ASSIGN_PARAM: {
        const char *named = json_string_value(json_object_get(params, x->assignment_param));
        int c = named ? experiment_condition(x, named) : -1;
        if (c < 0) {
            *code = "bad_condition";
            *text = TEXT_BAD_CONDITION;
        }
        return c;
    }
    default:
        return balanced(f);
    }
}

void condition_route(flow *f, participant *p)
{
    p->nroute = experiment_route(f->x, p->condition, rnd, NULL, p->route);
    p->pos = 0;
    p->after_outcome = false;
    p->scene = p->nroute > 0 ? p->route[0] : 0;
}

static bool counted(const flow *f, const participant *p)
{
    return p->condition >= 0 && p->condition < f->x->nconditions;
}

void condition_counts_assigned(flow *f, const participant *p)
{
    if (counted(f, p))
        f->cond_open[p->condition]++;
}

void condition_counts_outcome(flow *f, const participant *p, outcome o)
{
    if (!counted(f, p))
        return;
    f->cond_open[p->condition]--;
    if (o == OUTCOME_COMPLETED)
        f->cond_completed[p->condition]++;
    else
        f->cond_other[p->condition]++;
}

void condition_counts_forgotten(flow *f, const participant *p)
{
    if (!counted(f, p))
        return;
    if (p->state != P_DONE && !p->after_outcome)
        f->cond_open[p->condition]--;
    else if (p->outcome == OUTCOME_COMPLETED)
        f->cond_completed[p->condition]--;
    else
        f->cond_other[p->condition]--;
}

void condition_counts_reopened(flow *f, const participant *p)
{
    if (!counted(f, p))
        return;
    f->cond_other[p->condition]--;
    f->cond_open[p->condition]++;
}

char *condition_route_json(const flow *f, const participant *p)
{
    json_t *a = json_array();
    for (int i = 0; a && i < p->nroute; i++)
        json_array_append_new(a, json_string(f->x->scenes[p->route[i]].id));
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}
