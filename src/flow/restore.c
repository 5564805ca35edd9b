/*
 * After a restart: everyone the server knew comes back to where they were. Whoever was in
 * a game when it stopped cannot resume it (its state was in memory): they get the
 * partner_dropped outcome, which researchers pay, with the reason server_restart.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../util/log.h"

#include "../store/store_recover.h"
#include "../util/money.h"
#include "flow_internal.h"

typedef struct {
    flow *f;
    loop_time now;
    map *parties; /* the groups rebuilt so far, by id (partners_restore) */
} restore_ctx;

/* Their route as recorded: the scene ids in order, each looked up for their condition.
 * A row without one (or naming scenes this file no longer has) gets the route the file
 * gives now, unshuffled: better a sensible place than none. */
static void restore_route(flow *f, participant *p, const char *route_json)
{
    json_t *a = route_json ? json_loads(route_json, 0, NULL) : NULL;
    int n = 0;
    bool ok = json_is_array(a) && json_array_size(a) <= CFG_MAX_ROUTE;
    for (size_t i = 0; ok && i < json_array_size(a); i++) {
        const char *id = json_string_value(json_array_get(a, i));
        int s = id ? experiment_find_scene(f->x, id, p->condition) : -1;
        ok = s >= 0 && !f->x->scenes[s].exit_only;
        if (ok)
            p->route[n++] = (int16_t)s;
    }
    json_decref(a);
    if (ok && n > 0) {
        p->nroute = n;
        return;
    }
    condition_route(f, p);
}

/* The place of the last visit in the route, if the visit names the scene there. */
static int place_of(const flow *f, const participant *p, const known_participant *k)
{
    if (k->scene_index < 0 || !k->scene)
        return 0;
    if (k->scene_index >= p->nroute)
        return p->nroute;
    return strcmp(f->x->scenes[p->route[k->scene_index]].id, k->scene) == 0 ? k->scene_index : 0;
}

static void restore_one(const known_participant *k, void *ctx)
{
    restore_ctx *rc = ctx;
    flow *f = rc->f;
    if (!proto_valid_subject(k->subject) || !proto_valid_token(k->token) ||
        map_get(f->by_subject, k->subject))
        return;
    participant *p = participant_create(f, k->subject, k->token, true);
    p->started_game = k->started_game;
    p->condition = k->condition ? experiment_condition(f->x, k->condition) : -1;
    if (p->condition < 0 && f->x->nconditions > 0)
        p->condition = 0; /* a condition this file no longer has: the first, and said so */
    if (k->condition && p->condition >= 0 && strcmp(f->x->conditions[p->condition], k->condition))
        log_warn("participant %s: condition %s is not in the experiment file; restored in %s",
                 k->subject, k->condition, f->x->conditions[p->condition]);
    restore_route(f, p, k->route);
    p->quiz_attempts = k->quiz_attempts; /* a restart gives nobody fresh attempts */
    if (k->outcome) {
        /* A name this version does not know (a database from a newer one): they are
         * finished all the same; abandoned is the outcome that promises nothing. */
        if (!outcome_parse(k->outcome, &p->outcome))
            p->outcome = OUTCOME_ABANDONED;
        if (!outcome_reason_parse(k->reason ? k->reason : "", &p->reason))
            p->reason = REASON_NONE;
        snprintf(p->code, sizeof p->code, "%s", k->code ? k->code : "");
        condition_counts_assigned(f, p);
        condition_counts_outcome(f, p, p->outcome);
        /* Given an outcome with exit scenes: where they were in those, or their start. */
        int16_t exits[CFG_MAX_ROUTE];
        int n = p->outcome == OUTCOME_COMPLETED
                    ? 0 : experiment_exit_route(f->x, p->condition, p->outcome, exits);
        if (n > 0) {
            memcpy(p->route, exits, (size_t)n * sizeof exits[0]);
            p->nroute = n;
            p->after_outcome = true;
            p->pos = k->after_outcome ? place_of(f, p, k) : 0;
        }
        if (n == 0 || p->pos >= p->nroute) {
            p->state = P_DONE;
            p->pos = p->nroute;
        } else {
            p->scene = p->route[p->pos];
        }
        /* The bonus their row says was paid, so their end page says it again. */
        int64_t paid = 0;
        if (k->bonus && money_parse(k->bonus, &paid) == MONEY_OK)
            p->bonus = paid;
        return;
    }
    condition_counts_assigned(f, p);
    p->bonus_wait_ms = k->wait_ms; /* the bonus still to come counts what went before */
    p->bonus_points = k->points;
    p->pos = place_of(f, p, k);
    if (p->pos >= p->nroute) {
        /* Past the last scene without an outcome (the server stopped in between): done. */
        p->pos = p->nroute;
        flow_finish(f, p, OUTCOME_COMPLETED, REASON_NONE, rc->now);
        return;
    }
    p->scene = p->route[p->pos];
    if (f->x->scenes[p->scene].kind == SCENE_GAME && k->matched_in_scene)
        flow_finish(f, p, OUTCOME_PARTNER_DROPPED, REASON_SERVER_RESTART, rc->now);
    partners_restore(f, p, k->party, k->party_scene, k->party_seat, rc->parties);
}

int flow_restore(flow *f, loop_time now, char *err, size_t errlen)
{
    restore_ctx rc = {f, now, map_new()};
    int known = store_load_participants(f->st, restore_one, &rc, err, errlen);
    partners_restored(f, rc.parties);
    map_free(rc.parties);
    return known;
}
