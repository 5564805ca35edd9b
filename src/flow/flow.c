/*
 * The participant state machine: page -> (waiting -> playing) -> ... -> done. Every
 * message a participant's connection brings arrives here, except the INPUTs of a game a
 * worker loop runs (src/room/games.h: that loop reads and answers them); lobbies never see
 * a socket. What a game has to say (a seat left, a game is over) is queued and handled at
 * the end of the loop pass, never inside a game call.
 */
#include "flow.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../envs/registry.h"
#include "../proto/messages.h"
#include "../util/clock.h"
#include "../util/file.h"
#include "../util/log.h"
#include "../util/money.h"
#include "bonus.h"
#include "flow_internal.h"
#include "identity.h"
#include "quiz.h"
#include "screen.h"
#include "../texts/texts.h"
#include "../texts/texts_fill.h"

/* Events about strangers (connections of nobody who has acted: protocol errors, browser
 * exclusions at hello) are written without a subject, at most this many a second in
 * bursts of STRANGER_BURST: enough to see what happened, not a way to fill the disk. */
#define STRANGER_EVENTS_PER_S 10
#define STRANGER_BURST 100
/* Everyone waiting hears the count again this often, so the remaining time stays right. */
#define WAITING_REFRESH_MS 5000
#define MAX_PAGE_BYTES ((size_t)1 << 20)
/* A stale or repeated advance/start is answered with the current scene (a page may be
 * 1 MiB) at most this often: a script repeating it cannot turn small messages into large
 * replies. A person double-clicking gets the one answer they need. */
#define RESEND_GAP_MS 1000

static void list_push(game_list *l, game *r)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        game **grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (!grown)
            abort();
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = r;
}

static bool list_remove(game_list *l, game *r)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i] == r) {
            l->items[i] = l->items[--l->n];
            return true;
        }
    return false;
}

/* ---- sending: the text is never taken (proto/messages.h) -------------------------- */

static void send_text(flow *f, participant *p, const char *text)
{
    if (p && p->conn && text)
        f->io->send_text(p->conn, text, strlen(text));
}

/* Build, send, free: the usual case for one recipient. */
void send_msg(flow *f, participant *p, char *text)
{
    send_text(f, p, text);
    free(text);
}

/* The same to a connection that is nobody's (yet, or any more); takes the text. */
static void send_conn(flow *f, net_conn *c, char *text)
{
    if (text)
        f->io->send_text(c, text, strlen(text));
    free(text);
}

/* ---- what is written about a participant (docs/DESIGN.md section 5) --------------- */

/* Nothing is written about someone until they first act; these two are the doors. */
static void note_session(flow *f, participant *p, const char *event, const char *detail,
                         loop_time now)
{
    if (p->recorded)
        store_session(f->st, p->subject, event, detail, now.wall_ms);
}

/* An event about p; p NULL or not yet recorded: a stranger's, from a small budget. */
static void note_event(flow *f, participant *p, const char *gid, const char *kind,
                       const char *detail, loop_time now)
{
    if (p && p->recorded) {
        store_event(f->st, p->subject, gid, kind, detail, now.wall_ms);
        return;
    }
    int64_t secs = (now.mono_ms - f->stranger_refill_mono) / 1000;
    if (secs > 0) {
        int64_t budget = f->stranger_budget + secs * STRANGER_EVENTS_PER_S;
        f->stranger_budget = budget > STRANGER_BURST ? STRANGER_BURST : (int)budget;
        f->stranger_refill_mono += secs * 1000;
    }
    if (f->stranger_budget <= 0)
        return;
    f->stranger_budget--;
    store_event(f->st, NULL, gid, kind, detail, now.wall_ms);
}

/* The participant's first act: everything so far is written in the order it happened.
 * The connections that came and went before are not (nobody needs them). */
static void record_first_act(flow *f, participant *p, loop_time now)
{
    if (p->recorded)
        return;
    char *route = condition_route_json(f, p);
    store_participant(f->st, p->subject, p->token, p->params_json ? p->params_json : "{}",
                      p->condition >= 0 ? f->x->conditions[p->condition] : NULL, route,
                      p->created_wall);
    free(route);
    participant_mark_recorded(f, p);
    store_session(f->st, p->subject, "connect", p->conn ? f->io->peer(p->conn) : NULL,
                  p->conn_wall);
    if (p->pos < p->nroute)
        store_scene_visit(f->st, p->subject, p->pos, f->x->scenes[p->scene].id,
                          p->after_outcome, p->created_wall);
}

static void conn_error(flow *f, net_conn *c, const char *code, const char *message,
                       loop_time now)
{
    send_conn(f, c, proto_msg_error(code, message));
    f->io->close(c, message);
    f->protocol_errors++;
    client *cl = f->io->user(c);
    json_t *d = json_pack("{s:s, s:s, s:s}", "code", code, "message", message, "peer",
                          f->io->peer(c));
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    note_event(f, cl ? cl->p : NULL, NULL, "protocol_error", detail ? detail : "{}", now);
    free(detail);
    log_warn("connection %u (%s): %s: %s", f->io->id(c), f->io->peer(c), code, message);
}

static const char *outcome_code(const experiment *x, outcome o)
{
    return (unsigned)o < outcome_COUNT_ ? x->codes[o] : "";
}

/* The redirect with {code} replaced (every occurrence). */
static void build_redirect(const char *tmpl, const char *code, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (const char *s = tmpl; *s && o + 1 < len;) {
        if (strncmp(s, "{code}", 6) == 0) {
            int w = snprintf(out + o, len - o, "%s", code);
            if (w < 0 || (size_t)w >= len - o)
                break;
            o += (size_t)w;
            s += 6;
        } else {
            out[o++] = *s++;
            out[o] = '\0';
        }
    }
}

/* An end scene (its completion code) is shown only once its outcome is committed
 * (store_durable): a crash must never lose a code a participant has seen. The writer
 * commits an outcome at once, so the wait is a few milliseconds. While the store is
 * failing the scene is shown anyway (the outcome is held in memory and retried: nobody
 * waits on a full disk for their code), and after END_WAIT_MS whatever the store says. */
#define END_WAIT_MS 2000

static bool end_waiting(const flow *f, const participant *p)
{
    for (int i = 0; i < f->ending.n; i++)
        if (f->ending.items[i].p == p)
            return true;
    return false;
}

static void end_wait_push(flow *f, participant *p, uint64_t ticket, int64_t now_mono)
{
    end_list *l = &f->ending;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        struct end_wait *grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (!grown)
            abort();
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = (struct end_wait){p, ticket, now_mono + END_WAIT_MS};
}

static void send_scene(flow *f, participant *p);

/* The end page's message for p's outcome; a screening's names the window (screen.h). */
static const char *end_message(flow *f, const participant *p, char *buf, size_t cap)
{
    if (p->outcome == OUTCOME_SCREENED_OUT) {
        screen_message(f->x, p->reason, p->screen_width, p->screen_height, buf, cap);
        return buf;
    }
    return texts_for(f->x, texts_end_message(p->outcome, p->reason));
}

/* The end scene for p: outcome, code, redirect, message and, when the experiment shows it
 * (bonus.show), the sentence with the bonus flow_finish computed. */
static char *end_scene_msg(flow *f, const participant *p)
{
    const experiment *x = f->x;
    char redirect[CFG_PATH_LEN + CFG_ID_LEN];
    build_redirect(x->redirect, p->code, redirect, sizeof redirect);
    /* Big enough for any override with every {bonus} filled: never cut mid-character. */
    char sentence[4 * CFG_TEXT_LEN] = "", amount[MONEY_TEXT_MAX] = "";
    if (x->bonus.enabled && x->bonus.show) {
        char described[64];
        bonus_describe(&x->bonus, p->bonus, described, sizeof described);
        text_value v = {"bonus", described};
        texts_fill(texts_for(x, TEXT_END_BONUS), &v, 1, sentence, sizeof sentence);
        money_format(p->bonus, amount);
    }
    char message[CFG_TEXT_LEN + 64];
    return proto_msg_scene_end(p->nroute, p->outcome, p->code, redirect,
                               end_message(f, p, message, sizeof message), sentence, amount);
}

/* At the end of every pass: the end scenes whose outcomes are now durable. */
static void show_due_ends(flow *f, loop_time now)
{
    bool failing = store_failing(f->st);
    for (int i = 0; i < f->ending.n;) {
        struct end_wait w = f->ending.items[i];
        if (!failing && !store_durable(f->st, w.ticket) && now.mono_ms < w.deadline) {
            i++;
            continue;
        }
        f->ending.items[i] = f->ending.items[--f->ending.n];
        send_scene(f, w.p);
    }
}

static void send_scene(flow *f, participant *p)
{
    const experiment *x = f->x;
    if (p->state == P_DONE || p->pos >= p->nroute) {
        if (end_waiting(f, p))
            return; /* show_due_ends sends it */
        send_msg(f, p, end_scene_msg(f, p));
        return;
    }
    const scene_spec *sc = &x->scenes[p->scene];
    const char *html = f->pages[p->scene] ? f->pages[p->scene] : "";
    if (sc->kind == SCENE_PAGE)
        send_msg(f, p, proto_msg_scene_page(p->pos, sc->id, html, sc->form));
    else
        send_msg(f, p, proto_msg_scene_game(p->pos, sc->id, html, sc->waitroom_timeout_s,
                                            sc->game.humans));
}

/* The answer to a message that does not fit where the participant is: where they really
 * are, rate limited (RESEND_GAP_MS). */
static void resend_scene(flow *f, participant *p, loop_time now)
{
    if (p->last_resend != 0 && now.mono_ms - p->last_resend < RESEND_GAP_MS)
        return;
    p->last_resend = now.mono_ms;
    send_scene(f, p);
}

/* The end page, once the outcome's record is committed (END_WAIT_MS). */
static void show_end(flow *f, participant *p, loop_time now)
{
    p->state = P_DONE;
    if (p->outcome_ticket && !store_durable(f->st, p->outcome_ticket) && !store_failing(f->st))
        end_wait_push(f, p, p->outcome_ticket, now.mono_ms);
    send_scene(f, p);
}

static void enter_scene(flow *f, participant *p, int pos, loop_time now);

void flow_finish(flow *f, participant *p, outcome o, outcome_reason why, loop_time now)
{
    if (p->state == P_DONE || p->after_outcome)
        return; /* an outcome is given once */
    partners_gone(f, p, now); /* whoever waits for them goes on alone */
    p->room = NULL;
    p->outcome = o;
    p->reason = why;
    snprintf(p->code, sizeof p->code, "%s", outcome_code(f->x, o));
    condition_counts_outcome(f, p, o);
    /* The bonus is decided with the outcome, whatever it is, and written in its row. */
    const bonus_spec *rule = &f->x->bonus;
    p->bonus = bonus_compute(rule, p->bonus_points, p->bonus_wait_ms).total;
    char amount[MONEY_TEXT_MAX];
    store_bonus paid = {money_format(p->bonus, amount), p->bonus_points, p->bonus_wait_ms};
    p->outcome_ticket = 0;
    if (p->recorded) /* else: excluded at hello, before they ever acted (section 5) */
        p->outcome_ticket = store_outcome_bonus(f->st, p->subject, outcome_name(o), p->code,
                                                why == REASON_NONE ? NULL
                                                                   : outcome_reason_name(why),
                                                rule->enabled ? &paid : NULL, now.wall_ms);
    /* The outcome (and so the code) is recorded now; the exit scenes come before the end
     * page shows it. Someone who never acted has nothing to answer for: the end page. */
    int16_t exits[CFG_MAX_ROUTE];
    int n = o == OUTCOME_COMPLETED ? 0 : experiment_exit_route(f->x, p->condition, o, exits);
    if (n > 0 && p->recorded) {
        memcpy(p->route, exits, (size_t)n * sizeof exits[0]);
        p->nroute = n;
        p->after_outcome = true;
        enter_scene(f, p, 0, now);
        return;
    }
    show_end(f, p, now);
}

static void enter_scene(flow *f, participant *p, int pos, loop_time now)
{
    p->pos = pos;
    p->state = P_PAGE;
    p->quiz_attempts = 0;
    p->quiz_wrong = 0;
    if (pos >= p->nroute) {
        if (!p->after_outcome) {
            flow_finish(f, p, OUTCOME_COMPLETED, REASON_NONE, now);
            return;
        }
        /* Past the last exit scene: a visit without a scene says so, for a restart. */
        store_scene_visit(f->st, p->subject, pos, "", true, now.wall_ms);
        show_end(f, p, now);
        return;
    }
    p->scene = p->route[pos];
    if (p->recorded)
        store_scene_visit(f->st, p->subject, pos, f->x->scenes[p->scene].id, p->after_outcome,
                          now.wall_ms);
    send_scene(f, p);
}

/* On to the scene after this one (or the end, past the last). */
static void next_scene(flow *f, participant *p, loop_time now)
{
    enter_scene(f, p, p->pos + 1, now);
}

void flow_back_to(flow *f, participant *p, int scene_index, loop_time now)
{
    /* The latest place at or before theirs where that scene (their variant of it) is. */
    int base = f->x->scenes[scene_index].base;
    int pos = p->pos;
    while (pos > 0 && f->x->scenes[p->route[pos]].base != base)
        pos--;
    if (f->x->scenes[p->route[pos]].base != base)
        pos = p->pos; /* not on their route (cannot happen: config checks): the quiz again */
    enter_scene(f, p, pos, now);
}

/* ---- comprehension quizzes (docs/EXPERIMENTS.md) ----------------------------------- */

/* quiz_result for the participant's latest attempt at the scene's quiz: the field names
 * judged wrong (unless the quiz hides them), never the answers. */
static void send_quiz_result(flow *f, participant *p, const scene_spec *sc, const quiz_spec *q,
                             bool passed, const char *retry_from)
{
    const char *wrong[CFG_MAX_QUIZ_ANSWERS];
    int nwrong = 0;
    for (int i = 0; q->show_wrong && i < q->nanswers; i++)
        if (p->quiz_wrong & (1u << i))
            wrong[nwrong++] = q->answers[i].field;
    int left = q->max_attempts - p->quiz_attempts;
    quiz_result_info r = {
        .scene = sc->id,
        .passed = passed,
        .attempt = p->quiz_attempts,
        .attempts_left = passed || left < 0 ? 0 : left,
        .feedback = passed ? "" : q->feedback[0] ? q->feedback
                                                 : texts_for(f->x, TEXT_QUIZ_FEEDBACK),
        .nwrong = nwrong,
        .wrong = wrong,
        .retry_from = retry_from,
    };
    send_msg(f, p, proto_msg_quiz_result(&r));
}

/* After a reconnect: a page with wrong attempts behind it shows their feedback again, and
 * the page learns which attempt comes next. */
static void send_quiz_progress(flow *f, participant *p)
{
    const experiment *x = f->x;
    if (p->state != P_PAGE || p->pos >= p->nroute || p->quiz_attempts == 0)
        return;
    const quiz_spec *q = scene_quiz(x, &x->scenes[p->scene]);
    if (q)
        send_quiz_result(f, p, &x->scenes[p->scene], q, false, "");
}

/* An advance on a quiz page is an attempt. True when it passed: the caller records the
 * form and moves on. Otherwise the participant stays on the page (told what was wrong),
 * or, after max_attempts, goes back to retry_from or is finished with quiz_failed.
 * `attempt` in the message is the attempt the page means to make (1 + the last result it
 * saw since its scene arrived): any other number is a doubled click or a message from
 * before the last result or scene, and is not graded again; the page just gets its state
 * again (rate limited). A page that does not say is graded every time. */
static bool quiz_attempt(flow *f, participant *p, const scene_spec *sc, const quiz_spec *q,
                         const client_msg *m, loop_time now)
{
    if (m->attempt != 0 && m->attempt != p->quiz_attempts + 1) {
        if (p->last_resend != 0 && now.mono_ms - p->last_resend < RESEND_GAP_MS)
            return false;
        p->last_resend = now.mono_ms;
        if (p->quiz_attempts > 0)
            send_quiz_result(f, p, sc, q, false, "");
        else
            send_scene(f, p);
        return false;
    }
    uint32_t wrong;
    bool passed = quiz_grade(q, m->form, &wrong);
    p->quiz_attempts++;
    p->quiz_wrong = wrong;
    json_t *names = json_array();
    for (int i = 0; i < q->nanswers; i++)
        if (wrong & (1u << i))
            json_array_append_new(names, json_string(q->answers[i].field));
    char *wj = json_dumps(names, JSON_COMPACT);
    char *fj = m->form ? json_dumps(m->form, JSON_COMPACT) : NULL;
    json_decref(names);
    store_quiz_attempt(f->st, p->subject, sc->id, p->quiz_attempts, passed, wj ? wj : "[]",
                       fj ? fj : "{}", now.wall_ms);
    free(wj);
    free(fj);
    bool out = !passed && p->quiz_attempts >= q->max_attempts;
    bool retry = out && q->on_fail == QUIZ_RETRY;
    send_quiz_result(f, p, sc, q, passed, retry ? f->x->scenes[q->retry_from].id : "");
    if (retry)
        flow_back_to(f, p, q->retry_from, now);
    else if (out)
        flow_finish(f, p, OUTCOME_QUIZ_FAILED, REASON_NONE, now);
    return passed;
}

/* ---- waiting rooms ---------------------------------------------------------------- */

static void send_waiting(flow *f, participant *p, loop_time now)
{
    if (partners_send_waiting(f, p, now))
        return;
    lobby *l = f->lobbies[p->scene];
    send_msg(f, p, proto_msg_waiting(f->x->scenes[p->scene].id, lobby_count(l),
                                     lobby_group_size(l), lobby_remaining_ms(l, p, now.mono_ms)));
}

/* The count changed: everyone in that room hears it once, at the end of the pass, however
 * many arrived or left during it. */
static void waiting_changed(flow *f, int scene) { f->waiting_changed[scene] = true; }

static void send_waiting_all(flow *f, int scene, loop_time now)
{
    lobby *l = f->lobbies[scene];
    for (int i = 0; i < lobby_count(l); i++)
        send_waiting(f, lobby_at(l, i), now);
}

void end_wait(flow *f, participant *p, wait_end how, const char *gid, loop_time now)
{
    /* The bonus counts the wait exactly as its row does (t_end - t_start). */
    if (now.wall_ms > p->wait_start_wall)
        p->bonus_wait_ms += now.wall_ms - p->wait_start_wall;
    store_wait(f->st, p->subject, f->x->scenes[p->scene].id, p->wait_start_wall, now.wall_ms,
               wait_end_name(how), gid);
}

static void leave_waitroom(flow *f, participant *p, wait_end how, loop_time now)
{
    if (p->state != P_WAITING)
        return;
    if (!partners_leave(f, p, now))
        lobby_leave(f->lobbies[p->scene], p);
    end_wait(f, p, how, NULL, now);
    p->state = P_PAGE;
    waiting_changed(f, p->scene);
}

/* ---- game rooms ------------------------------------------------------------------- */

static void hook_send_text(void *peer, const char *json, void *ud)
{
    send_text(ud, peer, json);
}

static void hook_send_binary(void *peer, const void *buf, size_t len, void *ud)
{
    flow *f = ud;
    participant *p = peer;
    if (p && p->conn)
        f->io->send_binary(p->conn, buf, len);
}

static void hook_event(const game_event *ev, void *ud)
{
    event_list *l = &((flow *)ud)->events;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        game_event *grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (!grown)
            abort();
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = *ev;
}

/* A room on another loop refused their INPUT: as conn_error for one of home's (on_binary). */
static void hook_input_refused(void *peer, loop_time now, void *ud)
{
    flow *f = ud;
    participant *p = peer;
    if (p->conn)
        conn_error(f, p->conn, "bad_input", "input for a frame too far ahead", now);
}

static const games_hooks GAME_HOOKS = {
    .send_text = hook_send_text,
    .send_binary = hook_send_binary,
    .event = hook_event,
    .input_refused = hook_input_refused,
};

static outcome_reason removal_reason(seat_removal why)
{
    switch (why) {
    case REMOVAL_FOCUS_LOSS:
        return REASON_FOCUS_LOSS;
    case REMOVAL_INACTIVE:
        return REASON_INACTIVE;
    case REMOVAL_LATENCY:
        return REASON_LATENCY;
    case REMOVAL_BROWSER:
        return REASON_BROWSER;
    default:
        return REASON_DROPPED;
    }
}

static void handle_game_event(flow *f, const game_event *ev, loop_time now)
{
    if (ev->kind == GAME_EV_SEAT_REMOVED) {
        participant *p = ev->peer;
        p->room = NULL;
        if (p->state != P_DONE) /* a seat removed as they ended elsewhere: counted there */
            p->bonus_points += ev->team_points;
        flow_finish(f, p, ev->removal == REMOVAL_DROPPED ? OUTCOME_ABANDONED : OUTCOME_EXCLUDED,
                    removal_reason(ev->removal), now);
        return;
    }
    if (ev->kind == GAME_EV_FAILED) {
        log_error("game %s could not start (out of memory)", game_id(ev->game));
        store_game_end(f->st, game_id(ev->game), game_end_name(GAME_ABANDONED), now.wall_ms);
    } else {
        store_game_end(f->st, game_id(ev->game), game_end_name(ev->end), now.wall_ms);
    }
    if (ev->kind == GAME_EV_OVER && ev->end == GAME_COMPLETED) {
        participant *seated[ENV_MAX_PLAYERS];
        for (int i = 0; i < ev->npeers; i++)
            seated[i] = ev->peers[i];
        partners_form(f, game_id(ev->game), seated, ev->npeers, now);
    }
    for (int i = 0; i < ev->npeers; i++) {
        participant *p = ev->peers[i];
        p->room = NULL;
        p->bonus_points += ev->team_points;
        if (ev->kind == GAME_EV_FAILED)
            flow_finish(f, p, OUTCOME_ABANDONED, REASON_SERVER_ERROR, now);
        else if (ev->end == GAME_COMPLETED)
            next_scene(f, p, now);
        else if (ev->end == GAME_PARTNER_DROPPED)
            flow_finish(f, p, OUTCOME_PARTNER_DROPPED, REASON_PARTNER_DROPPED, now);
        else if (ev->end == GAME_STALLED)
            flow_finish(f, p, OUTCOME_ABANDONED, REASON_STALLED, now);
        else
            flow_finish(f, p, OUTCOME_ABANDONED, REASON_ABANDONED, now);
    }
    if (list_remove(&f->rooms, ev->game)) /* once: flow_free may have moved it already */
        list_push(&f->dead, ev->game);
}

void start_game(flow *f, int scene, participant **group, int n, const char *party_game,
                loop_time now)
{
    const scene_spec *sc = &f->x->scenes[scene];
    const env_def *env = env_find(sc->game.env);
    char game_id[32], hex[17];
    random_hex(hex, 8);
    snprintf(game_id, sizeof game_id, "g-%s", hex);

    room_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.game_id = game_id;
    cfg.scene_id = sc->id;
    cfg.condition = sc->condition >= 0 ? f->x->conditions[sc->condition] : "";
    cfg.scene = sc;
    cfg.env = env;
    cfg.seed = random_u64();
    cfg.nseats = sc->game.nseats;
    json_t *subjects = json_array(), *rtts = json_array();
    store_seat seats[ENV_MAX_PLAYERS];
    char ai_names[ENV_MAX_PLAYERS][80];
    int next = 0;
    for (int s = 0; s < sc->game.nseats; s++) {
        if (sc->game.seats[s].kind == SEAT_HUMAN && next < n) {
            participant *p = group[next++];
            cfg.peers[s] = p;
            cfg.names[s] = p->subject;
            p->seat = s;
            json_array_append_new(subjects, json_string(p->subject));
            json_array_append_new(rtts, json_integer(p->rtt_ms));
            seats[s].name = p->subject;
            seats[s].human = true;
        } else {
            snprintf(ai_names[s], sizeof ai_names[s], "ai:%s", sc->game.seats[s].policy);
            seats[s].name = ai_names[s];
            seats[s].human = false;
        }
    }
    char *sj = json_dumps(subjects, JSON_COMPACT), *rj = json_dumps(rtts, JSON_COMPACT);
    store_match(f->st, game_id, sc->id, sj, rj, party_game, now.wall_ms);
    store_game(f->st, game_id, sc->id, sc->game.env, cfg.condition, seats, sc->game.nseats,
               now.wall_ms);
    free(sj);
    free(rj);
    json_decref(subjects);
    json_decref(rtts);

    for (int i = 0; i < n; i++) {
        participant *p = group[i];
        if (p->state == P_WAITING)
            end_wait(f, p, WAIT_MATCHED, game_id, now);
        p->state = P_PLAYING;
        send_msg(f, p, proto_msg_matched(game_id, p->seat, sc->game.countdown_s * 1000));
    }
    net_conn *conns[ENV_MAX_PLAYERS] = {0};
    for (int s = 0; s < sc->game.nseats; s++)
        if (cfg.peers[s])
            conns[s] = ((participant *)cfg.peers[s])->conn;
    game *r = game_start(f->games, &cfg, conns, now);
    if (!r) {
        log_error("out of memory starting game %s", game_id);
        for (int i = 0; i < n; i++)
            flow_finish(f, group[i], OUTCOME_ABANDONED, REASON_SERVER_ERROR, now);
        return;
    }
    for (int i = 0; i < n; i++)
        group[i]->room = r;
    list_push(&f->rooms, r);
    f->games_started++;
    log_info("game %s started (%s, %d seats) on event loop %d", game_id, sc->id, sc->game.nseats,
             game_loop(r));
}

void join_waitroom(flow *f, participant *p, loop_time now)
{
    lobby *l = f->lobbies[p->scene];
    void *group[CFG_MAX_SEATS];
    p->started_game = true;
    p->wait_start_mono = now.mono_ms;
    p->wait_start_wall = now.wall_ms;
    int got = lobby_arrive(l, p, p->rtt_ms, now.mono_ms, group);
    if (got > 0) {
        /* Members that waited say so in their wait record; the arrival waited 0 ms. */
        for (int i = 0; i < got; i++)
            if (group[i] != p)
                ((participant *)group[i])->state = P_WAITING;
        p->state = P_WAITING;
        start_game(f, p->scene, (participant **)group, got, NULL, now);
    } else {
        p->state = P_WAITING;
    }
    waiting_changed(f, p->scene);
}

/* ---- messages --------------------------------------------------------------------- */

static void bind_conn(flow *f, participant *p, net_conn *c, client *cl, loop_time now)
{
    if (p->conn && p->conn != c) {
        /* Another tab of the same subject takes over; the old one is told and closed. */
        client *old = f->io->user(p->conn);
        if (old)
            old->p = NULL;
        send_conn(f, p->conn, proto_msg_replaced());
        f->io->close(p->conn, texts_for(f->x, TEXT_REPLACED));
        note_session(f, p, "replaced", NULL, now);
    }
    participant_unidle(f, p);
    p->conn = c;
    p->conn_wall = now.wall_ms;
    cl->p = p;
    if (cl->rtt.n > 0)
        p->rtt_ms = rtt_median(&cl->rtt);
}

/* welcome, with the experiment's words for the page (its overrides of the browser's texts,
 * its language), for that token. */
static char *welcome_msg(flow *f, const char *subject, const char *token, bool resumed)
{
    const experiment *x = f->x;
    const char *keys[CFG_MAX_TEXTS], *values[CFG_MAX_TEXTS];
    welcome_words w = {0, keys, values, x->language, x->direction};
    for (int i = 0; i < x->ntexts; i++)
        if (texts_is_client(x->texts[i].key)) {
            keys[w.ntexts] = x->texts[i].key;
            values[w.ntexts++] = x->texts[i].value;
        }
    return proto_msg_welcome(subject, token, x->id, resumed, &w);
}

static void send_welcome(flow *f, participant *p, bool resumed)
{
    send_msg(f, p, welcome_msg(f, p->subject, p->token, resumed));
}

/* A newcomer while the store cannot write (a full disk): nothing they did could be
 * recorded, so they are turned away politely before anything of theirs exists. Not a
 * protocol error, and not logged per hello: the store already says it is failing. */
static void refuse_try_later(flow *f, net_conn *c)
{
    const char *why = texts_for(f->x, TEXT_TRY_LATER);
    send_conn(f, c, proto_msg_error("try_later", why));
    f->io->close(c, why);
}

static void *lookup_token(const char *token, void *ctx)
{
    return map_get(((flow *)ctx)->by_token, token);
}
static void *lookup_subject(const char *subject, void *ctx)
{
    return map_get(((flow *)ctx)->by_subject, subject);
}
static const char *lookup_subject_of(void *who, void *ctx) { return ((participant *)who)->subject; }
static bool lookup_connected(void *who, void *ctx) { return ((participant *)who)->conn != NULL; }
static bool lookup_finished(void *who, void *ctx) { return ((participant *)who)->state == P_DONE; }
static bool lookup_started(void *who, void *ctx) { return ((participant *)who)->started_game; }
static bool lookup_acted(void *who, void *ctx) { return ((participant *)who)->recorded; }

/* Room for one more participant under the experiment's limits: the unrecorded who have
 * been away longest are forgotten first (nothing of them is on disk, and they would
 * expire anyway). False when there is none, with the refusal's code and text. */
static bool make_room(flow *f, const char **code, text_id *text)
{
    const limits_spec *lim = &f->x->limits;
    while ((int)map_size(f->by_subject) >= lim->participants || f->unrecorded >= lim->unacted) {
        if (participant_forget_oldest(f, INT64_MAX))
            continue;
        bool full = (int)map_size(f->by_subject) >= lim->participants;
        *code = full ? "study_full" : "busy";
        *text = full ? TEXT_STUDY_FULL : TEXT_BUSY;
        return false;
    }
    return true;
}

static participant *new_participant(flow *f, const char *subject, int condition,
                                    json_t *params, loop_time now)
{
    participant *p = participant_create(f, subject, NULL, false);
    p->created_wall = now.wall_ms;
    p->condition = condition;
    condition_route(f, p);
    condition_counts_assigned(f, p);
    json_t *kept = identity_stored_params(f->x, params);
    p->params_json = kept ? json_dumps(kept, JSON_COMPACT) : NULL;
    json_decref(kept);
    return p;
}

/* An end they never acted past (nothing of it was recorded) is forgotten: they start
 * again at the first scene. */
static void forget_unrecorded_end(flow *f, participant *p)
{
    condition_counts_reopened(f, p);
    p->state = P_PAGE;
    p->pos = 0;
    p->scene = p->nroute > 0 ? p->route[0] : 0;
    p->outcome = OUTCOME_COMPLETED; /* unused until they finish again */
    p->reason = REASON_NONE;
    p->code[0] = '\0';
}

/* The same person from another browser, without the token (identity.h, rule 4): a new
 * token, so the old browser's stops working; an exclusion they never acted past is
 * forgotten (it was never recorded), so they start afresh and this browser is checked. */
static void reclaim(flow *f, participant *p, net_conn *c, loop_time now)
{
    participant_new_token(f, p);
    if (!p->recorded && p->state == P_DONE) {
        forget_unrecorded_end(f, p);
        return;
    }
    if (!p->recorded)
        return;
    store_participant(f->st, p->subject, p->token, NULL, NULL, NULL, now.wall_ms); /* the new token */
    json_t *d = json_pack("{s:s}", "peer", f->io->peer(c));
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    note_event(f, p, NULL, "resumed_without_token", detail ? detail : "{}", now);
    free(detail);
}

/* A finished participant's end page for a browser without their token: shown, and that
 * is all (not their token, no binding, their own tab untouched). The browser contract
 * wants a welcome first (docs/DESIGN.md section 10: window.cohort.connected), so it gets
 * one whose token is fresh and names nobody: keeping it opens nothing, and a later hello
 * with it counts as one without a token. */
static void show_end_only(flow *f, net_conn *c, client *cl, participant *p)
{
    cl->viewer = true;
    f->io->admit(c);
    char nobody[PROTO_TOKEN_LEN + 1];
    random_hex(nobody, PROTO_TOKEN_LEN / 2);
    send_conn(f, c, welcome_msg(f, p->subject, nobody, true));
    send_conn(f, c, end_scene_msg(f, p));
}

/* Entry check: this browser cannot run the game. End politely now rather than let them
 * wait for a partner and then fail. */
static void exclude_browser(flow *f, participant *p, const char *missing, loop_time now)
{
    json_t *why = json_pack("{s:s}", "missing", missing);
    char *detail = why ? json_dumps(why, JSON_COMPACT) : NULL;
    json_decref(why);
    note_event(f, p, NULL, "excluded_browser", detail ? detail : "{}", now);
    free(detail);
    if (p->state == P_WAITING)
        leave_waitroom(f, p, WAIT_LEFT, now);
    if (p->state == P_PLAYING && p->room) {
        /* The seat's removal, when the room says so (at the end of this pass for a room
         * on this loop, a moment later for one elsewhere), finishes them as excluded by
         * their browser, with the points the game had earned up to then. */
        game_seat_remove(p->room, p->seat, REMOVAL_BROWSER, now);
        return;
    }
    flow_finish(f, p, OUTCOME_EXCLUDED, REASON_BROWSER, now);
}

/* Device screening at a hello (require:, screen.h; docs/DESIGN.md section 5). Screened:
 * a new arrival, a browser taking over someone who never acted (reclaim), and anyone
 * screened out who comes back. They never acted, so nothing of them is on disk and the
 * screening can simply be done again: a window made larger lets them in (*readmitted:
 * they start at the first scene). Whoever passed and has acted is not screened again.
 * True when the participant is (still) screened out and has been shown the end page. */
static bool screen_at_hello(flow *f, participant *p, const device_facts *d, hello_verdict v,
                            bool *readmitted, loop_time now)
{
    *readmitted = false;
    const require_spec *req = &f->x->require;
    if (!screen_required(req) || p->recorded)
        return false;
    bool returning = p->state == P_DONE && p->outcome == OUTCOME_SCREENED_OUT;
    if (!returning && v != HELLO_NEW && v != HELLO_RECLAIM)
        return false;
    outcome_reason why = screen_device(req, d);
    p->screen_width = d->present ? d->width : -1;
    p->screen_height = d->present ? d->height : -1;
    p->screenings++;
    if (why != REASON_NONE || returning) {
        /* Counted for the researcher: events without a name (the stranger's budget),
         * `attempt` 1 once per person. */
        char *detail = screen_detail(req, d, why, p->screenings);
        note_event(f, p, NULL, why == REASON_NONE ? "screened_in" : "screened_out",
                   detail ? detail : "{}", now);
        free(detail);
    }
    if (why == REASON_NONE) {
        if (returning) {
            forget_unrecorded_end(f, p);
            *readmitted = true;
        }
        return false;
    }
    if (returning) {
        p->reason = why; /* the page again, saying what this browser lacks */
        send_scene(f, p);
    } else {
        flow_finish(f, p, OUTCOME_SCREENED_OUT, why, now);
    }
    return true;
}

static void on_hello(flow *f, net_conn *c, client *cl, client_msg *m, loop_time now)
{
    if (cl->p || cl->viewer) {
        conn_error(f, c, "bad_message", "hello was already sent", now);
        return;
    }
    identity_lookup lookup = {.by_token = lookup_token,
                              .by_subject = lookup_subject,
                              .subject_of = lookup_subject_of,
                              .connected = lookup_connected,
                              .finished = lookup_finished,
                              .started_game = lookup_started,
                              .acted = lookup_acted,
                              .ctx = f};
    hello_claims claims = {.params = m->params,
                           .subject = m->has_subject ? m->subject : NULL,
                           .token = m->has_token ? m->token : NULL,
                           .missing = m->missing[0] != '\0',
                           .unfit_device = screen_required(&f->x->require) &&
                                           screen_device(&f->x->require, &m->device) !=
                                               REASON_NONE};
    hello_decision d;
    identity_decide(f->x, &lookup, &claims, &d);
    if (d.verdict == HELLO_REFUSE) {
        conn_error(f, c, d.code, d.err, now);
        return;
    }
    if (d.verdict == HELLO_VIEW) {
        show_end_only(f, c, cl, d.who);
        return;
    }
    participant *p = d.who;
    if (d.verdict == HELLO_NEW) {
        /* Returning participants go on: their records are small and the store retries
         * them. A newcomer could have nothing recorded: turned away politely. */
        if (store_failing(f->st)) {
            refuse_try_later(f, c);
            return;
        }
        if (f->draining) {
            /* Nobody new while the study closes: they have done nothing yet, so there is
             * no outcome to record, only a page to show. */
            send_conn(f, c, proto_msg_scene_closed(texts_for(f->x, TEXT_STUDY_CLOSED)));
            f->io->close(c, texts_for(f->x, TEXT_STUDY_CLOSED));
            return;
        }
        const char *code;
        text_id why;
        if (!make_room(f, &code, &why)) {
            conn_error(f, c, code, texts_for(f->x, why), now);
            return;
        }
        int condition = condition_choose(f, m->params, &code, &why);
        if (condition < 0 && f->x->nconditions > 0) {
            conn_error(f, c, code, texts_for(f->x, why), now);
            return;
        }
        p = new_participant(f, d.subject, condition, m->params, now);
    } else if (d.verdict == HELLO_RECLAIM) {
        reclaim(f, p, c, now);
    }
    bool resumed = d.verdict != HELLO_NEW;
    bind_conn(f, p, c, cl, now);
    f->io->admit(c); /* a participant's connection: net's hello deadline no longer applies */
    note_session(f, p, resumed ? "resumed" : "connect", f->io->peer(c), now);
    send_welcome(f, p, resumed);
    bool readmitted;
    if (screen_at_hello(f, p, &m->device, d.verdict, &readmitted, now))
        return;
    if (d.claims_count && m->missing[0] && p->state != P_DONE) {
        exclude_browser(f, p, m->missing, now);
        return;
    }
    if (d.verdict == HELLO_NEW || readmitted) {
        enter_scene(f, p, 0, now);
        return;
    }
    send_scene(f, p);
    send_quiz_progress(f, p);
    if (p->state == P_WAITING)
        send_waiting(f, p, now);
    if (p->state == P_PLAYING && p->room)
        game_seat_reconnected(p->room, p->seat, p->conn, now);
}

static void on_advance(flow *f, participant *p, client_msg *m, loop_time now)
{
    const experiment *x = f->x;
    if (p->state != P_PAGE || p->pos >= p->nroute || x->scenes[p->scene].kind != SCENE_PAGE ||
        strcmp(m->scene, x->scenes[p->scene].id) != 0) {
        resend_scene(f, p, now); /* a stale or doubled click: show where they really are */
        return;
    }
    record_first_act(f, p, now);
    const scene_spec *sc = &x->scenes[p->scene];
    const quiz_spec *q = scene_quiz(x, sc);
    if (q && !quiz_attempt(f, p, sc, q, m, now))
        return; /* still on the page, sent back, or failed out */
    if (sc->form) {
        char *fj = m->form ? json_dumps(m->form, JSON_COMPACT) : strdup("{}");
        store_form(f->st, p->subject, sc->id, fj ? fj : "{}", now.wall_ms);
        free(fj);
    }
    next_scene(f, p, now);
}

static void on_start(flow *f, participant *p, client_msg *m, loop_time now)
{
    const experiment *x = f->x;
    if (p->state != P_PAGE || p->pos >= p->nroute || x->scenes[p->scene].kind != SCENE_GAME ||
        strcmp(m->scene, x->scenes[p->scene].id) != 0) {
        if (p->state == P_WAITING)
            send_waiting(f, p, now);
        else if (p->state != P_PLAYING) /* a start in flight as the game began: ignore */
            resend_scene(f, p, now);
        return;
    }
    record_first_act(f, p, now); /* pressing Start is an act, whatever follows */
    if (f->draining) { /* no game may start that the drain would cut */
        flow_finish(f, p, OUTCOME_WAITROOM_TIMEOUT, REASON_STUDY_CLOSING, now);
        return;
    }
    /* Entry check: the median of the last few pings must be within the limit. Nobody is
     * matched with a partner whose game would feel broken from the first frame. */
    const scene_spec *sc = &x->scenes[p->scene];
    if (sc->entry_max_rtt_ms > 0 && p->rtt_ms > (uint32_t)sc->entry_max_rtt_ms) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"rtt_ms\":%u,\"limit_ms\":%d}", p->rtt_ms,
                 sc->entry_max_rtt_ms);
        note_event(f, p, NULL, "excluded_latency", detail, now);
        flow_finish(f, p, OUTCOME_EXCLUDED, REASON_LATENCY, now);
        return;
    }
    if (!partners_start(f, p, now)) /* a scene that keeps groups: theirs, else this */
        join_waitroom(f, p, now);
}

static void on_text(net_conn *c, const char *text, size_t len, loop_time now, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    client_msg m;
    char err[200];
    if (proto_decode(text, len, &m, err, sizeof err) != 0) {
        conn_error(f, c, "bad_message", err, now);
        return;
    }
    participant *p = cl->p;
    if (m.type != MSG_HELLO && !p) {
        /* A viewer (shown an end page, bound to nobody) has nothing to do: its page's
         * visibility changes and stray clicks are ignored. */
        if (!cl->viewer)
            conn_error(f, c, "bad_message", "the first message must be hello", now);
        proto_client_msg_free(&m);
        return;
    }
    switch (m.type) {
    case MSG_HELLO:
        on_hello(f, c, cl, &m, now);
        break;
    case MSG_ADVANCE:
        on_advance(f, p, &m, now);
        break;
    case MSG_START:
        on_start(f, p, &m, now);
        break;
    case MSG_LEAVE:
        if (p->state == P_WAITING) {
            leave_waitroom(f, p, WAIT_LEFT, now);
            send_scene(f, p);
        }
        break;
    case MSG_VISIBILITY:
        if (p->state == P_PLAYING && p->room)
            game_seat_visibility(p->room, p->seat, m.visible, now);
        break;
    case MSG_COUNT_: /* not a type proto_decode returns */
        break;
    }
    proto_client_msg_free(&m);
}

static void on_binary(net_conn *c, const uint8_t *buf, size_t len, loop_time now, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    input_msg in;
    if (proto_decode_input(buf, len, &in) != 0) {
        conn_error(f, c, "bad_message", "binary messages must be 24-byte INPUTs", now);
        return;
    }
    participant *p = cl->p;
    if (!p) {
        if (!cl->viewer)
            conn_error(f, c, "bad_message", "the first message must be hello", now);
        return;
    }
    if (p->state != P_PLAYING || !p->room)
        return; /* in flight when the game ended: harmless */
    if (game_input(p->room, p->seat, &in, now) != 0)
        conn_error(f, c, "bad_input", "input for a frame too far ahead", now);
}

static void on_open(net_conn *c, loop_time now, void *ud)
{
    flow *f = ud;
    client *cl = calloc(1, sizeof *cl);
    if (!cl) {
        f->io->close(c, "server out of memory");
        return;
    }
    f->io->set_user(c, cl);
}

static void on_close(net_conn *c, loop_time now, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    if (!cl)
        return;
    participant *p = cl->p;
    if (p && p->conn == c) {
        p->conn = NULL;
        note_session(f, p, "disconnect", NULL, now);
        participant_idle(f, p, now.mono_ms); /* only the unrecorded: they may expire */
        if (p->state == P_WAITING)
            leave_waitroom(f, p, WAIT_DROPPED, now);
        else if (p->state == P_PLAYING && p->room)
            game_seat_disconnected(p->room, p->seat, now);
    }
    free(cl);
    f->io->set_user(c, NULL);
}

static void on_violation(net_conn *c, const char *kind, const char *detail, loop_time now,
                         void *ud)
{
    flow *f = ud;
    if (strcmp(kind, "send_queue_full") == 0 || strcmp(kind, "ping_timeout") == 0) {
        client *cl = f->io->user(c);
        note_event(f, cl ? cl->p : NULL, NULL, kind, NULL, now);
        log_warn("connection %u (%s): %s", f->io->id(c), f->io->peer(c), kind);
        return;
    }
    conn_error(f, c, kind, detail, now);
}

static void on_rtt(net_conn *c, uint32_t rtt, loop_time now, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    if (!cl)
        return;
    rtt_add(&cl->rtt, rtt);
    participant *p = cl->p;
    if (!p)
        return;
    p->rtt_ms = rtt_median(&cl->rtt);
    /* Continuous check: a connection that stays slow makes the game unplayable for the
     * partner too. Judged on the median of a full window, so one spike is forgiven. */
    if (p->state == P_PLAYING && p->room && rtt_full(&cl->rtt)) {
        int limit = f->x->scenes[p->scene].continuous_max_rtt_ms;
        if (limit > 0 && p->rtt_ms > (uint32_t)limit) {
            char detail[96];
            snprintf(detail, sizeof detail, "{\"rtt_ms\":%u,\"limit_ms\":%d}", p->rtt_ms, limit);
            note_event(f, p, game_id(p->room), "excluded_latency", detail, now);
            game_seat_remove(p->room, p->seat, REMOVAL_LATENCY, now);
        }
    }
}

/* The drain: begun on the first tick after flow_request_drain, over when no game is left. */
static void drain_tick(flow *f, loop_time now)
{
    if (f->drain_requested && !f->draining) {
        f->draining = true;
        f->drain_deadline = now.mono_ms + f->drain_limit_ms;
        log_info("draining: no new participants; %d games running may finish (at most %lld s)",
                 f->rooms.n, (long long)(f->drain_limit_ms / 1000));
        for (int s = 0; s < f->x->nscenes; s++) {
            lobby *l = f->lobbies[s];
            while (l && lobby_count(l) > 0) {
                participant *p = lobby_at(l, 0);
                leave_waitroom(f, p, WAIT_TIMEOUT, now);
                flow_finish(f, p, OUTCOME_WAITROOM_TIMEOUT, REASON_STUDY_CLOSING, now);
            }
        }
        partners_drain(f, now);
    }
    /* Over once no game runs and every end scene held for its outcome's commit has gone
     * out: stopping sooner would cut off the codes of the last game's players. */
    if (f->draining && !f->drained &&
        ((f->rooms.n == 0 && f->ending.n == 0) || now.mono_ms >= f->drain_deadline)) {
        f->drained = true;
        log_info("drained: %s", f->rooms.n == 0 ? "every game finished"
                                                : "the drain limit passed; the rest are cut");
        if (f->on_drained)
            f->on_drained(f->drained_ctx);
    }
}

void flow_request_drain(flow *f) { f->drain_requested = 1; }
bool flow_draining(const flow *f) { return f->draining; }

void flow_on_drained(flow *f, int64_t limit_ms, void (*drained)(void *ctx), void *ctx)
{
    f->drain_limit_ms = limit_ms;
    f->on_drained = drained;
    f->drained_ctx = ctx;
}

static void on_tick(loop_time now, void *ud)
{
    flow *f = ud;
    drain_tick(f, now);
    /* The unrecorded who have been away longer than the expiry are forgotten (both maps);
     * the queue is oldest first, so this looks at one entry when nobody is due. */
    int64_t due = now.mono_ms - (int64_t)f->x->limits.unacted_expiry_s * 1000;
    while (participant_forget_oldest(f, due))
        ;
    for (int s = 0; s < f->x->nscenes; s++) {
        lobby *l = f->lobbies[s];
        if (!l)
            continue;
        void *expired[64];
        int n;
        while ((n = lobby_expire(l, now.mono_ms, expired, 64)) > 0) {
            for (int i = 0; i < n; i++) {
                participant *p = expired[i];
                end_wait(f, p, WAIT_TIMEOUT, NULL, now);
                p->state = P_PAGE;
                flow_finish(f, p, OUTCOME_WAITROOM_TIMEOUT, REASON_NONE, now);
            }
            waiting_changed(f, s);
            if (n < 64)
                break;
        }
    }
    partners_tick(f, now);
    if (now.mono_ms >= f->next_waiting_refresh) {
        f->next_waiting_refresh = now.mono_ms + WAITING_REFRESH_MS;
        for (int s = 0; s < f->x->nscenes; s++)
            if (f->lobbies[s])
                waiting_changed(f, s);
    }
    games_tick(f->games, now);
}

/* The end of every loop pass: send what was confirmed, act on what rooms said, tell the
 * waiting rooms their counts, free the rooms that are over. */
static void on_pass_end(loop_time now, void *ud)
{
    flow *f = ud;
    games_flush(f->games, now);
    /* Handling an event never makes a room queue another (flow only finishes or moves
     * participants here), but walk by index in case a later change does. */
    for (int i = 0; i < f->events.n; i++)
        handle_game_event(f, &f->events.items[i], now);
    f->events.n = 0;
    for (int s = 0; s < f->x->nscenes; s++)
        if (f->waiting_changed[s]) {
            f->waiting_changed[s] = false;
            send_waiting_all(f, s, now);
        }
    for (int i = 0; i < f->dead.n; i++)
        game_free(f->dead.items[i]);
    f->dead.n = 0;
    if (f->ending.n > 0)
        show_due_ends(f, now);
}

net_handlers flow_net_handlers(void)
{
    return (net_handlers){
        .on_open = on_open,
        .on_text = on_text,
        .on_binary = on_binary,
        .on_violation = on_violation,
        .on_close = on_close,
        .on_rtt = on_rtt,
        .on_tick = on_tick,
        .on_pass_end = on_pass_end,
    };
}

/* ---- what the admin pages show ---------------------------------------------------- */

static const char *state_name(pstate s)
{
    static const char *const names[] = {"page", "waiting", "playing", "done"};
    return names[s];
}

static void count_one(const char *key, void *value, void *ctx)
{
    participant *p = value;
    flow_census *c = ctx;
    c->total++;
    c->connected += p->conn != NULL;
    c->waiting += p->state == P_WAITING;
    c->playing += p->state == P_PLAYING;
    if (p->state == P_DONE) {
        c->done++;
        c->outcomes[p->outcome]++;
    }
}

void flow_get_stats(flow *f, loop_time now, flow_stats *out)
{
    memset(out, 0, sizeof *out);
    out->experiment = f->x->id;
    out->uptime_s = (now.mono_ms - f->started_mono) / 1000;
    map_each(f->by_subject, count_one, &out->people);
    out->games_running = f->rooms.n;
    out->games_started = f->games_started;
    out->protocol_errors = f->protocol_errors;
    out->store = store_get_stats(f->st);
}

void flow_each_game(flow *f, void (*fn)(const flow_game_view *g, void *ctx), void *ctx)
{
    for (int i = 0; i < f->rooms.n; i++) {
        game *r = f->rooms.items[i];
        flow_game_view g = {game_id(r), game_scene(r), game_episode(r), game_frame(r),
                            game_stats(r)};
        fn(&g, ctx);
    }
}

void flow_each_waitroom(flow *f, void (*fn)(const char *scene, int waiting, void *ctx), void *ctx)
{
    for (int s = 0; s < f->x->nscenes; s++) {
        if (!f->lobbies[s])
            continue;
        /* A condition's own waiting room is named for it: "game (ai)". */
        const scene_spec *sc = &f->x->scenes[s];
        char label[2 * CFG_ID_LEN + 4];
        if (sc->condition >= 0)
            snprintf(label, sizeof label, "%s (%s)", sc->id, f->x->conditions[sc->condition]);
        else
            snprintf(label, sizeof label, "%s", sc->id);
        fn(label, lobby_count(f->lobbies[s]), ctx);
    }
}

void flow_each_condition(flow *f, void (*fn)(const flow_condition_view *c, void *ctx), void *ctx)
{
    for (int c = 0; c < f->x->nconditions; c++) {
        flow_condition_view v = {f->x->conditions[c], f->cond_open[c], f->cond_completed[c],
                                 f->cond_other[c]};
        fn(&v, ctx);
    }
}

typedef struct {
    flow *f;
    bool (*fn)(const flow_person_view *p, void *ctx);
    void *ctx;
    bool stopped;
} person_walk;

static void view_one(const char *key, void *value, void *ctx)
{
    person_walk *w = ctx;
    participant *p = value;
    if (w->stopped)
        return;
    const experiment *x = w->f->x;
    flow_person_view v = {
        .subject = p->subject,
        .state = state_name(p->state),
        .scene = p->state != P_DONE && p->pos < p->nroute ? x->scenes[p->scene].id : "end",
        .condition = p->condition >= 0 ? x->conditions[p->condition] : "",
        .game = p->room ? game_id(p->room) : "",
        .outcome = p->state == P_DONE ? outcome_name(p->outcome) : "",
        .connected = p->conn != NULL,
        .rtt_ms = p->rtt_ms,
    };
    w->stopped = !w->fn(&v, w->ctx);
}

void flow_each_person(flow *f, bool (*fn)(const flow_person_view *p, void *ctx), void *ctx)
{
    person_walk w = {f, fn, ctx, false};
    map_each(f->by_subject, view_one, &w);
}

/* ---- life ------------------------------------------------------------------------- */

const flow_io *flow_net_io(void)
{
    static const flow_io io = {net_send_text, net_send_binary, net_close, net_conn_set_user,
                               net_conn_user, net_conn_peer, net_conn_id, net_conn_admit};
    return &io;
}

flow *flow_new(const experiment *x, store *st, const flow_io *io, loop_time now, char *err,
               size_t errlen)
{
    flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->x = x;
    f->io = io;
    f->st = st;
    f->games = games_new(st, &GAME_HOOKS, f);
    f->by_subject = map_new();
    f->by_token = map_new();
    if (!f->games) {
        snprintf(err, errlen, "out of memory");
        flow_free(f, now);
        return NULL;
    }
    f->started_mono = now.mono_ms;
    f->stranger_budget = STRANGER_BURST;
    f->stranger_refill_mono = now.mono_ms;
    for (int s = 0; s < x->nscenes; s++) {
        const scene_spec *sc = &x->scenes[s];
        if (sc->page[0]) {
            size_t len;
            file_status rc = file_read_all(sc->page, MAX_PAGE_BYTES, &f->pages[s], &len);
            if (rc != FILE_OK) {
                snprintf(err, errlen, "page %s %s", sc->page, file_status_text(rc));
                flow_free(f, now);
                return NULL;
            }
        }
        if (sc->kind == SCENE_GAME && experiment_scene_used(x, s)) {
            if (!env_find(sc->game.env)) {
                snprintf(err, errlen, "unknown env %s", sc->game.env);
                flow_free(f, now);
                return NULL;
            }
            matchmaker mm = sc->matchmaker == MATCH_LATENCY_FIFO
                                ? matchmaker_latency_fifo(sc->max_rtt_ms)
                                : matchmaker_fifo();
            f->lobbies[s] = lobby_new(mm, sc->game.humans, (int64_t)sc->waitroom_timeout_s * 1000);
        }
    }
    partners_init(f);
    int known = flow_restore(f, now, err, errlen);
    if (known < 0) {
        flow_free(f, now);
        return NULL;
    }
    if (known > 0)
        log_info("restored %d participants from an earlier run", known);
    return f;
}

void flow_use_loops(flow *f, net *home) { games_use_loops(f->games, home); }
void flow_loops_ended(flow *f) { games_loops_ended(f->games); }

void flow_free(flow *f, loop_time now)
{
    if (!f)
        return;
    /* Rooms still running: cut their episodes so the data on disk is complete. */
    for (int i = 0; i < f->rooms.n; i++) {
        game_abort(f->rooms.items[i], GAME_SERVER_STOPPED, now);
        list_push(&f->dead, f->rooms.items[i]);
    }
    f->rooms.n = 0;
    on_pass_end(now, f);
    for (int s = 0; s < CFG_MAX_SCENES; s++) {
        lobby_free(f->lobbies[s]);
        free(f->pages[s]);
    }
    participants_free(f);
    partners_free(f);
    map_free(f->by_subject);
    map_free(f->by_token);
    games_free(f->games);
    free(f->rooms.items);
    free(f->dead.items);
    free(f->events.items);
    free(f->ending.items);
    free(f);
}
