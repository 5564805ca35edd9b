/*
 * After a restart: everyone the server knew comes back to where they were. Whoever was in
 * a game when it stopped cannot resume it (its state was in memory): they get the
 * partner_dropped outcome, which researchers pay, with the reason server_restart.
 */
#include <stdio.h>

#include "../store/store_recover.h"
#include "flow_internal.h"

typedef struct {
    flow *f;
    loop_time now;
    map *parties; /* the groups rebuilt so far, by id (partners_restore) */
} restore_ctx;

static void restore_one(const known_participant *k, void *ctx)
{
    restore_ctx *rc = ctx;
    flow *f = rc->f;
    if (!proto_valid_subject(k->subject) || !proto_valid_token(k->token) ||
        map_get(f->by_subject, k->subject))
        return;
    participant *p = participant_create(f, k->subject, k->token, true);
    p->started_game = k->started_game;
    p->scene = k->scene_index < 0 ? 0 : k->scene_index;
    if (p->scene > f->x->nscenes)
        p->scene = f->x->nscenes;
    if (k->outcome) {
        p->state = P_DONE;
        /* A name this version does not know (a database from a newer one): they are
         * finished all the same; abandoned is the outcome that promises nothing. */
        if (!outcome_parse(k->outcome, &p->outcome))
            p->outcome = OUTCOME_ABANDONED;
        if (!outcome_reason_parse(k->reason ? k->reason : "", &p->reason))
            p->reason = REASON_NONE;
        snprintf(p->code, sizeof p->code, "%s", k->code ? k->code : "");
    } else if (p->scene < f->x->nscenes && f->x->scenes[p->scene].kind == SCENE_GAME &&
               k->matched_in_scene) {
        flow_finish(f, p, OUTCOME_PARTNER_DROPPED, REASON_SERVER_RESTART, rc->now);
    }
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
