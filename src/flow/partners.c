/*
 * Same partners across game scenes (docs/DESIGN.md section 5, "Same partners"): a game
 * scene with `partners: {same_as: EARLIER}` seats the people who completed a game of
 * EARLIER together again. The rules of who waits for whom are in src/lobby/party.h; this
 * file ties them to participants: waits rows, `waiting` messages, the game, the
 * if_gone rule for whoever goes on alone, and the `party` columns a restart reads back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../proto/messages.h"
#include "../util/log.h"
#include "flow_internal.h"

/* Everyone waiting for a group hears its count again this often (as the lobby's do). */
#define PARTY_REFRESH_MS 5000

void partners_init(flow *f)
{
    const experiment *x = f->x;
    bool any = false;
    for (int t = 0; t < x->nscenes; t++) {
        const partners_spec *ps = &x->scenes[t].partners;
        if (ps->keep && ps->same_as >= 0 && ps->same_as < t) {
            f->forms_parties[ps->same_as] = true;
            any = true;
        }
    }
    if (any && !(f->parties = party_book_new()))
        abort(); /* as participant_create: half a flow would be worse */
}

void partners_free(flow *f)
{
    party_book_free(f->parties);
    f->parties = NULL;
}

/* ---- the group's messages and records --------------------------------------------- */

static void send_party_waiting(flow *f, participant *p, loop_time now)
{
    party *pt = p->party;
    send_msg(f, p, proto_msg_waiting(f->x->scenes[p->scene].id, party_present(pt),
                                     party_size(pt), party_remaining_ms(pt, now.mono_ms)));
}

bool partners_send_waiting(flow *f, participant *p, loop_time now)
{
    if (!p->party_waiting || !p->party)
        return false;
    send_party_waiting(f, p, now);
    return true;
}

/* The count changed: the group's few waiters hear it at once. */
static void tell_waiters(flow *f, party *pt, loop_time now)
{
    void *w[PARTY_MAX_MEMBERS];
    int n = party_waiters(pt, w);
    for (int i = 0; i < n; i++)
        send_party_waiting(f, w[i], now);
}

/* Why a group could not play: an `events` row with the group and what happens next. */
static void note_broken(flow *f, participant *p, const char *party_game, const char *why,
                        loop_time now)
{
    const partners_spec *ps = &f->x->scenes[p->scene].partners;
    json_t *d = json_pack("{s:s?, s:s, s:s, s:s}", "party", party_game, "scene",
                          f->x->scenes[p->scene].id, "why", why, "then",
                          ps->if_gone == PARTNERS_END ? "end" : "regroup");
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (p->recorded)
        store_event(f->st, p->subject, NULL, "party_broken", detail ? detail : "{}",
                    now.wall_ms);
    free(detail);
}

/* p cannot play with their group here (a member is gone or late, or they have none):
 * the scene's if_gone rule. A wait for the group ends first (partner_gone). */
static void go_alone(flow *f, participant *p, const char *party_game, const char *why,
                     loop_time now)
{
    if (p->state == P_DONE)
        return;
    bool waited = p->party_waiting;
    p->party_waiting = false;
    if (waited && p->state == P_WAITING)
        end_wait(f, p, WAIT_PARTNER_GONE, NULL, now);
    p->state = P_PAGE;
    note_broken(f, p, party_game, why, now);
    if (f->x->scenes[p->scene].partners.if_gone == PARTNERS_END)
        flow_finish(f, p, OUTCOME_PARTNER_DROPPED, REASON_PARTNER_GONE, now);
    else
        join_waitroom(f, p, now); /* matched afresh, with the scene's own timeout */
}

/* ---- forming, arriving, leaving, going -------------------------------------------- */

/* p leaves the group they had (it was an earlier game's; this one replaces it). */
static void drop_membership(flow *f, participant *p, loop_time now)
{
    party *pt = p->party;
    if (!pt)
        return;
    char id[PARTY_ID_LEN];
    snprintf(id, sizeof id, "%s", party_id(pt));
    void *left[PARTY_MAX_MEMBERS];
    int n;
    bool freed;
    if (p->party_waiting)
        end_wait(f, p, WAIT_LEFT, NULL, now); /* finishing while waiting (not in the lobby) */
    p->party_waiting = false;
    p->party = NULL;
    party_gone(pt, p, left, &n, &freed);
    if (!freed)
        tell_waiters(f, pt, now);
    for (int i = 0; i < n; i++) {
        participant *q = left[i];
        go_alone(f, q, id, "gone", now);
    }
}

void partners_form(flow *f, const char *gid, participant **seated, int n, loop_time now)
{
    if (!f->parties || n < 1)
        return;
    int scene = f->x->scenes[seated[0]->scene].base; /* groups belong to the base scene */
    if (scene < 0 || scene >= f->x->nscenes || !f->forms_parties[scene])
        return;
    party *pt = party_new(f->parties, gid, scene);
    if (!pt) {
        log_error("out of memory keeping the group of game %s", gid);
        return;
    }
    for (int i = 0; i < n; i++) {
        participant *p = seated[i];
        drop_membership(f, p, now);
        party_add(pt, p, p->seat);
        p->party = pt;
        store_participant_party(f->st, p->subject, gid);
    }
    /* Whoever left the game before it completed is not in the group: it is incomplete,
     * and never plays as it was (docs/EXPERIMENTS.md, "Same partners"). */
    for (int k = n; k < f->x->scenes[scene].game.humans; k++)
        party_add(pt, NULL, ENV_MAX_PLAYERS + k);
}

bool partners_start(flow *f, participant *p, loop_time now)
{
    const scene_spec *sc = &f->x->scenes[p->scene];
    if (!sc->partners.keep || !f->parties)
        return false;
    p->started_game = true;
    p->wait_start_mono = now.mono_ms;
    p->wait_start_wall = now.wall_ms;
    party *pt = p->party;
    if (!pt || party_scene(pt) != sc->partners.same_as) {
        go_alone(f, p, NULL, "none", now); /* no group from that scene: theirs is gone */
        return true;
    }
    void *out[PARTY_MAX_MEMBERS];
    int n;
    char id[PARTY_ID_LEN];
    snprintf(id, sizeof id, "%s", party_id(pt));
    party_verdict v = party_arrive(pt, p, sc->base, now.mono_ms, (int64_t)sc->partners.wait_s * 1000,
                                   out, &n);
    if (v == PARTY_WAIT) {
        p->state = P_WAITING;
        p->party_waiting = true;
        tell_waiters(f, pt, now);
    } else if (v == PARTY_PLAY) {
        for (int i = 0; i < n; i++) {
            participant *q = out[i];
            q->party_waiting = false;
            q->state = P_WAITING; /* start_game ends each wait as matched (0 ms for p) */
        }
        start_game(f, p->scene, (participant **)out, n, id, now);
    } else {
        for (int i = 0; i < n; i++)
            go_alone(f, out[i], id, "gone", now);
    }
    return true;
}

bool partners_leave(flow *f, participant *p, loop_time now)
{
    if (!p->party_waiting)
        return false;
    p->party_waiting = false;
    if (p->party) {
        party_leave(p->party, p);
        tell_waiters(f, p->party, now);
    }
    return true;
}

void partners_gone(flow *f, participant *p, loop_time now) { drop_membership(f, p, now); }

void partners_tick(flow *f, loop_time now)
{
    if (!f->parties)
        return;
    void *late[64];
    party *from[64];
    int n;
    while ((n = party_expire(f->parties, now.mono_ms, late, from, 64)) > 0) {
        /* The ids first: going alone may finish the last member and free the group. */
        char ids[64][PARTY_ID_LEN];
        for (int i = 0; i < n; i++)
            snprintf(ids[i], sizeof ids[i], "%s", party_id(from[i]));
        for (int i = 0; i < n; i++)
            go_alone(f, late[i], ids[i], "late", now);
    }
    if (now.mono_ms < f->next_party_refresh)
        return;
    f->next_party_refresh = now.mono_ms + PARTY_REFRESH_MS;
    for (int i = 0; i < party_book_gathering(f->parties); i++)
        tell_waiters(f, party_book_gathering_at(f->parties, i), now);
}

void partners_drain(flow *f, loop_time now)
{
    if (!f->parties)
        return;
    void *out[64];
    party *from[64];
    int n;
    while ((n = party_break_all(f->parties, out, from, 64)) > 0)
        for (int i = 0; i < n; i++) {
            participant *p = out[i];
            p->party_waiting = false;
            end_wait(f, p, WAIT_TIMEOUT, NULL, now);
            p->state = P_PAGE;
            flow_finish(f, p, OUTCOME_WAITROOM_TIMEOUT, REASON_STUDY_CLOSING, now);
        }
}

/* ---- after a restart -------------------------------------------------------------- */

void partners_restore(flow *f, participant *p, const char *party_game, const char *scene_id,
                      int seat, map *seen)
{
    if (!f->parties || !seen || !party_game || !scene_id)
        return;
    int scene = -1;
    for (int i = 0; i < f->x->nscenes && scene < 0; i++)
        if (strcmp(f->x->scenes[i].id, scene_id) == 0)
            scene = i;
    if (scene < 0 || !f->forms_parties[scene])
        return; /* the experiment no longer keeps that scene's groups */
    party *pt = map_get(seen, party_game);
    if (!pt) {
        pt = party_new(f->parties, party_game, scene);
        if (!pt)
            return;
        map_put(seen, party_game, pt);
    }
    bool gone = p->state == P_DONE;
    if (!party_add(pt, gone ? NULL : p, seat < 0 ? ENV_MAX_PLAYERS : seat))
        return;
    if (!gone)
        p->party = pt;
}

typedef struct {
    flow *f;
} restored_ctx;

static void complete_one(const char *key, void *value, void *ctx)
{
    flow *f = ((restored_ctx *)ctx)->f;
    party *pt = value;
    int humans = f->x->scenes[party_scene(pt)].game.humans;
    for (int k = party_size(pt); k < humans; k++) /* those who left that game early */
        party_add(pt, NULL, ENV_MAX_PLAYERS + k);
    party_drop_if_empty(f->parties, pt); /* every member finished: nobody needs it */
}

void partners_restored(flow *f, map *seen)
{
    if (!f->parties || !seen)
        return;
    restored_ctx c = {f};
    map_each(seen, complete_one, &c);
}
