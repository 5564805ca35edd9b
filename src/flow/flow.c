#include "flow.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../envs/registry.h"
#include "../lobby/lobby.h"
#include "../proto/proto.h"
#include "../room/room.h"
#include "../store/store_recover.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/map.h"
#include "identity.h"

#define RTT_SAMPLES 5
/* Far above any study, but a script opening sockets without an id cannot grow memory
 * without bound. */
#define MAX_PARTICIPANTS 200000
#define WAITING_REFRESH_MS 1000

typedef enum { P_PAGE, P_WAITING, P_PLAYING, P_DONE } pstate;

typedef struct participant {
    struct flow *f;
    char subject[PROTO_SUBJECT_MAX + 1];
    char token[PROTO_TOKEN_LEN + 1];
    int scene;                  /* index into x->scenes; nscenes = past the last */
    pstate state;
    net_conn *conn;             /* NULL while disconnected */
    room *room;
    int seat;
    int64_t wait_start_mono;
    int64_t wait_start_wall;
    uint32_t rtt_ms;            /* median of the connection's recent samples */
    char outcome[24];
    char code[CFG_ID_LEN];
    char reason[64];
} participant;

/* What net_conn's user pointer holds: one per WebSocket. */
typedef struct {
    participant *p;             /* NULL until hello, or after another tab took over */
    uint32_t rtts[RTT_SAMPLES];
    int nrtt;
} client;

typedef struct {
    room **items;
    int n, cap;
} room_list;

struct flow {
    const experiment *x;
    const flow_io *io;
    store *st;
    map *by_subject;
    map *by_token;
    lobby *lobbies[CFG_MAX_SCENES];   /* game scenes only */
    char *pages[CFG_MAX_SCENES];      /* page html, read once at start */
    room_list rooms;                  /* live */
    room_list dirty;                  /* need room_flush this pass */
    room_list dead;                   /* over; freed at the end of the pass */
    int64_t started_mono;
    int64_t next_waiting_refresh;
    uint64_t games_started, protocol_errors;
    flow_http_fn http;
    void *http_ctx;
};

void flow_set_http(flow *f, flow_http_fn fn, void *ctx)
{
    f->http = fn;
    f->http_ctx = ctx;
}

static int64_t now_ms(void) { return clock_mono_ms(); }

static void list_push(room_list *l, room *r)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        room **grown = realloc(l->items, (size_t)cap * sizeof(room *));
        if (!grown)
            abort();
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = r;
}

static void list_remove(room_list *l, room *r)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i] == r) {
            l->items[i] = l->items[--l->n];
            return;
        }
}

/* ---- sending ---------------------------------------------------------------------- */

static void send_json(participant *p, json_t *msg)
{
    if (p && p->conn && msg) {
        char *text = json_dumps(msg, JSON_COMPACT);
        if (text) {
            p->f->io->send_text(p->conn, text, strlen(text));
            free(text);
        }
    }
    json_decref(msg);
}

static void conn_error(flow *f, net_conn *c, const char *code, const char *message)
{
    json_t *msg = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", message);
    char *text = json_dumps(msg, JSON_COMPACT);
    if (text) {
        f->io->send_text(c, text, strlen(text));
        free(text);
    }
    json_decref(msg);
    f->io->close(c, message);
    f->protocol_errors++;
    client *cl = f->io->user(c);
    char detail[300];
    json_t *d = json_pack("{s:s, s:s, s:s}", "code", code, "message", message, "peer",
                          f->io->peer(c));
    char *dt = json_dumps(d, JSON_COMPACT);
    snprintf(detail, sizeof detail, "%s", dt ? dt : "{}");
    free(dt);
    json_decref(d);
    store_event(f->st, cl && cl->p ? cl->p->subject : NULL, NULL, "protocol_error", detail,
                clock_wall_ms());
    log_warn("connection %u (%s): %s: %s", f->io->id(c), f->io->peer(c), code, message);
}

static const char *outcome_code(const experiment *x, const char *outcome)
{
    if (strcmp(outcome, "completed") == 0)
        return x->codes.completed;
    if (strcmp(outcome, "partner_dropped") == 0)
        return x->codes.partner_dropped;
    if (strcmp(outcome, "waitroom_timeout") == 0)
        return x->codes.waitroom_timeout;
    if (strcmp(outcome, "excluded") == 0)
        return x->codes.excluded;
    return x->codes.abandoned;
}

static const char *outcome_message(const participant *p)
{
    if (strcmp(p->outcome, "completed") == 0)
        return "Thank you! You have finished the study.";
    if (strcmp(p->reason, "server_restart") == 0)
        return "The study server restarted during your game, so the game could not go on. "
               "Thank you for taking part: you will be paid for your time.";
    if (strcmp(p->outcome, "partner_dropped") == 0)
        return "Your partner left the game, so it ended early. Thank you for taking part: "
               "you will be paid for your time.";
    if (strcmp(p->outcome, "waitroom_timeout") == 0)
        return "We could not find a partner for you in time. Thank you for waiting: you will "
               "be paid for your time.";
    if (strcmp(p->outcome, "excluded") == 0) {
        if (strcmp(p->reason, "inactive") == 0)
            return "The study ended because no key was pressed for too long.";
        if (strcmp(p->reason, "browser") == 0)
            return "This study needs a browser that can run its game (a recent Chrome, "
                   "Firefox, Safari or Edge), so you cannot take part with this one. Thank "
                   "you for your interest.";
        if (strcmp(p->reason, "latency") == 0)
            return "Your connection to the study server is too slow for this real-time game, "
                   "so you cannot take part. Thank you for your interest.";
        return "The study ended because the game tab was hidden for too long.";
    }
    return "The game ended because you were away for too long.";
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

static void send_scene(flow *f, participant *p)
{
    const experiment *x = f->x;
    if (p->state == P_DONE || p->scene >= x->nscenes) {
        char redirect[CFG_PATH_LEN + CFG_ID_LEN];
        build_redirect(x->redirect, p->code, redirect, sizeof redirect);
        send_json(p, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "type", "scene",
                               "index", x->nscenes, "id", "end", "kind", "end", "outcome",
                               p->outcome, "code", p->code, "redirect", redirect, "message",
                               outcome_message(p), "form", 0));
        return;
    }
    const scene_spec *sc = &x->scenes[p->scene];
    const char *html = f->pages[p->scene] ? f->pages[p->scene] : "";
    if (sc->kind == SCENE_PAGE) {
        send_json(p, json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "type", "scene", "index",
                               p->scene, "id", sc->id, "kind", "page", "html", html, "form",
                               sc->form));
    } else {
        send_json(p, json_pack("{s:s, s:i, s:s, s:s, s:s, s:b, s:i, s:i}", "type", "scene",
                               "index", p->scene, "id", sc->id, "kind", "game", "html", html,
                               "form", 0, "waitroom_timeout_s", sc->waitroom_timeout_s,
                               "players", sc->game.humans));
    }
}

static void finish(flow *f, participant *p, const char *outcome, const char *reason)
{
    if (p->state == P_DONE)
        return;
    p->state = P_DONE;
    p->room = NULL;
    snprintf(p->outcome, sizeof p->outcome, "%s", outcome);
    snprintf(p->reason, sizeof p->reason, "%s", reason ? reason : "");
    snprintf(p->code, sizeof p->code, "%s", outcome_code(f->x, outcome));
    store_outcome(f->st, p->subject, outcome, p->code, reason, clock_wall_ms());
    send_scene(f, p);
}

static void enter_scene(flow *f, participant *p, int index)
{
    p->scene = index;
    p->state = P_PAGE;
    if (index >= f->x->nscenes) {
        finish(f, p, "completed", NULL);
        return;
    }
    store_scene_visit(f->st, p->subject, index, f->x->scenes[index].id, clock_wall_ms());
    send_scene(f, p);
}

/* ---- waiting rooms ---------------------------------------------------------------- */

static void send_waiting(flow *f, participant *p, int64_t now)
{
    lobby *l = f->lobbies[p->scene];
    send_json(p, json_pack("{s:s, s:s, s:i, s:i, s:I}", "type", "waiting", "scene",
                           f->x->scenes[p->scene].id, "count", lobby_count(l), "needed",
                           lobby_group_size(l), "remaining_ms",
                           (json_int_t)lobby_remaining_ms(l, p, now)));
}

static void broadcast_waiting(flow *f, int scene, int64_t now)
{
    lobby *l = f->lobbies[scene];
    for (int i = 0; i < lobby_count(l); i++)
        send_waiting(f, lobby_at(l, i), now);
}

static void leave_waitroom(flow *f, participant *p, const char *outcome, int64_t now)
{
    if (p->state != P_WAITING)
        return;
    lobby_leave(f->lobbies[p->scene], p);
    store_wait(f->st, p->subject, f->x->scenes[p->scene].id, p->wait_start_wall,
               clock_wall_ms(), outcome, NULL);
    p->state = P_PAGE;
    broadcast_waiting(f, p->scene, now);
}

/* ---- game rooms ------------------------------------------------------------------- */

static void hook_send_text(void *peer, const char *json, void *ud)
{
    flow *f = ud;
    participant *p = peer;
    if (p && p->conn)
        f->io->send_text(p->conn, json, strlen(json));
}

static void hook_send_binary(void *peer, const void *buf, size_t len, void *ud)
{
    flow *f = ud;
    participant *p = peer;
    if (p && p->conn)
        f->io->send_binary(p->conn, buf, len);
}

static void hook_mark_dirty(room *r, void *ud) { list_push(&((flow *)ud)->dirty, r); }

static void hook_seat_removed(room *r, void *peer, const char *reason, void *ud)
{
    flow *f = ud;
    participant *p = peer;
    p->room = NULL;
    if (strcmp(reason, "excluded") == 0)
        finish(f, p, "excluded", "focus_loss");
    else if (strcmp(reason, "inactive") == 0 || strcmp(reason, "latency") == 0 ||
             strcmp(reason, "browser") == 0)
        finish(f, p, "excluded", reason);
    else
        finish(f, p, "abandoned", reason);
}

static void hook_game_over(room *r, const char *reason, void **peers, int n, void *ud)
{
    flow *f = ud;
    int64_t now = now_ms();
    store_game_end(f->st, room_id(r), reason, clock_wall_ms());
    for (int i = 0; i < n; i++) {
        participant *p = peers[i];
        p->room = NULL;
        if (strcmp(reason, "completed") == 0)
            enter_scene(f, p, p->scene + 1);
        else
            finish(f, p, strcmp(reason, "partner_dropped") == 0 ? "partner_dropped" : "abandoned",
                   reason);
    }
    (void)now;
    list_remove(&f->rooms, r);
    list_push(&f->dead, r);
}

static const room_hooks ROOM_HOOKS = {
    .send_text = hook_send_text,
    .send_binary = hook_send_binary,
    .mark_dirty = hook_mark_dirty,
    .seat_removed = hook_seat_removed,
    .game_over = hook_game_over,
};

static void start_game(flow *f, int scene, participant **group, int n, int64_t now)
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
        } else {
            snprintf(ai_names[s], sizeof ai_names[s], "ai:%s", sc->game.seats[s].policy);
            seats[s].name = ai_names[s];
        }
        seats[s].human = sc->game.seats[s].kind == SEAT_HUMAN;
    }
    char *sj = json_dumps(subjects, JSON_COMPACT), *rj = json_dumps(rtts, JSON_COMPACT);
    int64_t wall = clock_wall_ms();
    store_match(f->st, game_id, sc->id, sj, rj, wall);
    store_game(f->st, game_id, sc->id, sc->game.env, seats, sc->game.nseats, wall);
    free(sj);
    free(rj);
    json_decref(subjects);
    json_decref(rtts);

    for (int i = 0; i < n; i++) {
        participant *p = group[i];
        if (p->state == P_WAITING)
            store_wait(f->st, p->subject, sc->id, p->wait_start_wall, wall, "matched", game_id);
        p->state = P_PLAYING;
        send_json(p, json_pack("{s:s, s:s, s:i, s:i}", "type", "matched", "game", game_id,
                               "seat", p->seat, "countdown_ms", sc->game.countdown_s * 1000));
    }
    room *r = room_new(&cfg, &ROOM_HOOKS, f, f->st, now);
    if (!r) {
        log_error("out of memory starting game %s", game_id);
        for (int i = 0; i < n; i++)
            finish(f, group[i], "abandoned", "server_error");
        return;
    }
    for (int i = 0; i < n; i++)
        group[i]->room = r;
    list_push(&f->rooms, r);
    f->games_started++;
    log_info("game %s started (%s, %d seats)", game_id, sc->id, sc->game.nseats);
}

static void join_waitroom(flow *f, participant *p, int64_t now)
{
    lobby *l = f->lobbies[p->scene];
    void *group[CFG_MAX_SEATS];
    p->wait_start_mono = now;
    p->wait_start_wall = clock_wall_ms();
    int got = lobby_arrive(l, p, p->rtt_ms, now, group);
    if (got > 0) {
        /* Members that waited say so in their wait record; the arrival waited 0 ms. */
        for (int i = 0; i < got; i++)
            if (group[i] != p)
                ((participant *)group[i])->state = P_WAITING;
        p->state = P_WAITING;
        start_game(f, p->scene, (participant **)group, got, now);
        broadcast_waiting(f, p->scene, now);
        return;
    }
    p->state = P_WAITING;
    broadcast_waiting(f, p->scene, now);
}

/* ---- messages --------------------------------------------------------------------- */

static participant *participant_new(flow *f, const char *subject)
{
    participant *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->f = f;
    snprintf(p->subject, sizeof p->subject, "%s", subject);
    random_hex(p->token, PROTO_TOKEN_LEN / 2);
    p->seat = -1;
    map_put(f->by_subject, p->subject, p);
    map_put(f->by_token, p->token, p);
    return p;
}

static void bind_conn(flow *f, participant *p, net_conn *c, client *cl)
{
    if (p->conn && p->conn != c) {
        /* Another tab of the same subject takes over; the old one is told and closed. */
        client *old = f->io->user(p->conn);
        if (old)
            old->p = NULL;
        json_t *m = json_pack("{s:s}", "type", "replaced");
        char *t = json_dumps(m, JSON_COMPACT);
        f->io->send_text(p->conn, t, strlen(t));
        free(t);
        json_decref(m);
        f->io->close(p->conn, "this study was opened in another tab");
        store_session(f->st, p->subject, "replaced", NULL, clock_wall_ms());
    }
    p->conn = c;
    cl->p = p;
    if (cl->nrtt > 0)
        p->rtt_ms = cl->rtts[cl->nrtt / 2];
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

static void record_new_participant(flow *f, participant *p, json_t *params)
{
    json_t *study = identity_study_params(f->x, params);
    json_t *all = json_pack("{s:O, s:O}", "params", params ? params : json_null(), "study", study);
    char *pj = json_dumps(all, JSON_COMPACT);
    store_participant(f->st, p->subject, p->token, pj, clock_wall_ms());
    free(pj);
    json_decref(all);
    json_decref(study);
}

static void on_hello(flow *f, net_conn *c, client *cl, client_msg *m, int64_t now)
{
    if (cl->p) {
        conn_error(f, c, "bad_message", "hello was already sent");
        return;
    }
    identity_lookup lookup = {.by_token = lookup_token,
                              .by_subject = lookup_subject,
                              .subject_of = lookup_subject_of,
                              .connected = lookup_connected,
                              .finished = lookup_finished,
                              .ctx = f};
    hello_decision d;
    identity_decide(f->x, &lookup, m->params, m->has_subject ? m->subject : NULL,
                    m->has_token ? m->token : NULL, &d);
    if (d.verdict == HELLO_REFUSE) {
        conn_error(f, c, d.code, d.err);
        return;
    }
    participant *p = d.who;
    bool resumed = d.verdict != HELLO_NEW;
    if (!p && map_size(f->by_subject) >= MAX_PARTICIPANTS) {
        conn_error(f, c, "study_full", "this study is not taking new participants");
        return;
    }
    if (!p) {
        p = participant_new(f, d.subject);
        record_new_participant(f, p, m->params);
    }
    bind_conn(f, p, c, cl);
    store_session(f->st, p->subject, resumed ? "resumed" : "connect", f->io->peer(c),
                  clock_wall_ms());
    send_json(p, json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "welcome", "subject", p->subject,
                           "token", p->token, "experiment", f->x->id, "resumed", resumed));
    if (m->missing[0] && p->state != P_DONE) {
        /* Entry check: this browser cannot run the game. End politely now rather than
         * let them wait for a partner and then fail. */
        json_t *why = json_pack("{s:s}", "missing", m->missing);
        char *detail = json_dumps(why, JSON_COMPACT);
        json_decref(why);
        store_event(f->st, p->subject, NULL, "excluded_browser", detail ? detail : "{}",
                    clock_wall_ms());
        free(detail);
        if (p->state == P_WAITING)
            leave_waitroom(f, p, "left", now);
        if (p->state == P_PLAYING && p->room)
            room_seat_remove(p->room, p->seat, "browser", now);
        finish(f, p, "excluded", "browser");
        return;
    }
    if (!resumed) {
        enter_scene(f, p, 0);
        return;
    }
    send_scene(f, p);
    if (p->state == P_WAITING)
        send_waiting(f, p, now);
    if (p->state == P_PLAYING && p->room)
        room_seat_reconnected(p->room, p->seat, now);
}

static void on_advance(flow *f, participant *p, client_msg *m)
{
    const experiment *x = f->x;
    if (p->state != P_PAGE || p->scene >= x->nscenes || x->scenes[p->scene].kind != SCENE_PAGE ||
        strcmp(m->scene, x->scenes[p->scene].id) != 0) {
        send_scene(f, p); /* a stale or doubled click: show where they really are */
        return;
    }
    const scene_spec *sc = &x->scenes[p->scene];
    if (sc->form) {
        char *fj = m->form ? json_dumps(m->form, JSON_COMPACT) : strdup("{}");
        store_form(f->st, p->subject, sc->id, fj ? fj : "{}", clock_wall_ms());
        free(fj);
    }
    enter_scene(f, p, p->scene + 1);
}

static void on_start(flow *f, participant *p, client_msg *m, int64_t now)
{
    const experiment *x = f->x;
    if (p->state != P_PAGE || p->scene >= x->nscenes || x->scenes[p->scene].kind != SCENE_GAME ||
        strcmp(m->scene, x->scenes[p->scene].id) != 0) {
        if (p->state == P_WAITING)
            send_waiting(f, p, now);
        else if (p->state != P_PLAYING) /* a start in flight as the game began: ignore */
            send_scene(f, p);
        return;
    }
    /* Entry check: the median of the last few pings must be within the limit. Nobody is
     * matched with a partner whose game would feel broken from the first frame. */
    const scene_spec *sc = &x->scenes[p->scene];
    if (sc->entry_max_rtt_ms > 0 && p->rtt_ms > (uint32_t)sc->entry_max_rtt_ms) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"rtt_ms\":%u,\"limit_ms\":%d}", p->rtt_ms,
                 sc->entry_max_rtt_ms);
        store_event(f->st, p->subject, NULL, "excluded_latency", detail, clock_wall_ms());
        finish(f, p, "excluded", "latency");
        return;
    }
    join_waitroom(f, p, now);
}

static void on_text(net_conn *c, const char *text, size_t len, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    client_msg m;
    char err[200];
    int64_t now = now_ms();
    if (proto_decode(text, len, &m, err, sizeof err) != 0) {
        conn_error(f, c, "bad_message", err);
        return;
    }
    if (m.type != MSG_HELLO && !cl->p) {
        conn_error(f, c, "bad_message", "the first message must be hello");
    } else {
        participant *p = cl->p;
        switch (m.type) {
        case MSG_HELLO:
            on_hello(f, c, cl, &m, now);
            break;
        case MSG_ADVANCE:
            on_advance(f, p, &m);
            break;
        case MSG_START:
            on_start(f, p, &m, now);
            break;
        case MSG_LEAVE:
            if (p->state == P_WAITING) {
                leave_waitroom(f, p, "left", now);
                send_scene(f, p);
            }
            break;
        case MSG_VISIBILITY:
            if (p->state == P_PLAYING && p->room)
                room_seat_visibility(p->room, p->seat, m.visible, now);
            break;
        }
    }
    proto_msg_free(&m);
}

static void on_binary(net_conn *c, const uint8_t *buf, size_t len, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    input_msg in;
    if (proto_decode_input(buf, len, &in) != 0) {
        conn_error(f, c, "bad_message", "binary messages must be 24-byte INPUTs");
        return;
    }
    participant *p = cl->p;
    if (!p) {
        conn_error(f, c, "bad_message", "the first message must be hello");
        return;
    }
    if (p->state != P_PLAYING || !p->room)
        return; /* in flight when the game ended: harmless */
    if (room_on_input(p->room, p->seat, &in, now_ms()) != 0)
        conn_error(f, c, "bad_input", "input for a frame too far ahead");
}

static void on_open(net_conn *c, void *ud)
{
    flow *f = ud;
    client *cl = calloc(1, sizeof *cl);
    if (!cl) {
        f->io->close(c, "server out of memory");
        return;
    }
    f->io->set_user(c, cl);
}

static void on_close(net_conn *c, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    if (!cl)
        return;
    participant *p = cl->p;
    if (p && p->conn == c) {
        int64_t now = now_ms();
        p->conn = NULL;
        store_session(f->st, p->subject, "disconnect", NULL, clock_wall_ms());
        if (p->state == P_WAITING)
            leave_waitroom(f, p, "dropped", now);
        else if (p->state == P_PLAYING && p->room)
            room_seat_disconnected(p->room, p->seat, now);
    }
    free(cl);
    f->io->set_user(c, NULL);
}

static void on_violation(net_conn *c, const char *kind, const char *detail, void *ud)
{
    flow *f = ud;
    if (strcmp(kind, "send_queue_full") == 0 || strcmp(kind, "ping_timeout") == 0) {
        client *cl = f->io->user(c);
        store_event(f->st, cl && cl->p ? cl->p->subject : NULL, NULL, kind, NULL,
                    clock_wall_ms());
        log_warn("connection %u (%s): %s", f->io->id(c), f->io->peer(c), kind);
        return;
    }
    conn_error(f, c, kind, detail);
}

static void on_rtt(net_conn *c, uint32_t rtt, void *ud)
{
    flow *f = ud;
    client *cl = f->io->user(c);
    if (!cl)
        return;
    if (cl->nrtt == RTT_SAMPLES) {
        memmove(cl->rtts, cl->rtts + 1, (RTT_SAMPLES - 1) * sizeof(uint32_t));
        cl->nrtt--;
    }
    cl->rtts[cl->nrtt++] = rtt;
    uint32_t sorted[RTT_SAMPLES];
    memcpy(sorted, cl->rtts, (size_t)cl->nrtt * sizeof(uint32_t));
    for (int i = 1; i < cl->nrtt; i++)
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            uint32_t t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    participant *p = cl->p;
    if (!p)
        return;
    p->rtt_ms = sorted[cl->nrtt / 2];
    /* Continuous check: a connection that stays slow makes the game unplayable for the
     * partner too. Judged on the median of a full window, so one spike is forgiven. */
    if (p->state == P_PLAYING && p->room && cl->nrtt == RTT_SAMPLES) {
        int limit = f->x->scenes[p->scene].continuous_max_rtt_ms;
        if (limit > 0 && p->rtt_ms > (uint32_t)limit) {
            char detail[96];
            snprintf(detail, sizeof detail, "{\"rtt_ms\":%u,\"limit_ms\":%d}", p->rtt_ms, limit);
            store_event(f->st, p->subject, room_id(p->room), "excluded_latency", detail,
                        clock_wall_ms());
            room_seat_remove(p->room, p->seat, "latency", clock_mono_ms());
        }
    }
}

static void on_tick(int64_t now, void *ud)
{
    flow *f = ud;
    for (int s = 0; s < f->x->nscenes; s++) {
        lobby *l = f->lobbies[s];
        if (!l)
            continue;
        void *expired[64];
        int n;
        while ((n = lobby_expire(l, now, expired, 64)) > 0) {
            for (int i = 0; i < n; i++) {
                participant *p = expired[i];
                store_wait(f->st, p->subject, f->x->scenes[s].id, p->wait_start_wall,
                           clock_wall_ms(), "timeout", NULL);
                p->state = P_PAGE;
                finish(f, p, "waitroom_timeout", NULL);
            }
            broadcast_waiting(f, s, now);
            if (n < 64)
                break;
        }
    }
    if (now >= f->next_waiting_refresh) {
        f->next_waiting_refresh = now + WAITING_REFRESH_MS * 5;
        for (int s = 0; s < f->x->nscenes; s++)
            if (f->lobbies[s])
                broadcast_waiting(f, s, now);
    }
    for (int i = 0; i < f->rooms.n; i++) {
        room *r = f->rooms.items[i];
        room_tick(r, now);
        if (i < f->rooms.n && f->rooms.items[i] != r)
            i--; /* it ended and was removed: this slot now holds another room */
    }
}

static void on_pass_end(void *ud)
{
    flow *f = ud;
    int64_t now = now_ms();
    for (int i = 0; i < f->dirty.n; i++) /* may grow while we walk it */
        room_flush(f->dirty.items[i], now);
    f->dirty.n = 0;
    for (int i = 0; i < f->dead.n; i++)
        room_free(f->dead.items[i]);
    f->dead.n = 0;
}

static int on_http(const char *path, const char *query, char **body, const char **ctype,
                   void *ud);

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
        .on_http = on_http,
    };
}

/* ---- HTTP ------------------------------------------------------------------------- */

typedef struct {
    int total, connected, waiting, playing, done;
} census;

typedef struct {
    json_t *people;
    json_t *outcomes;
    const experiment *x;
} roster;

static const char *state_name(pstate s)
{
    static const char *names[] = {"page", "waiting", "playing", "done"};
    return names[s];
}

static void list_one(const char *key, void *value, void *ctx)
{
    participant *p = value;
    roster *r = ctx;
    if (p->state == P_DONE) {
        json_t *n = json_object_get(r->outcomes, p->outcome);
        json_object_set_new(r->outcomes, p->outcome,
                            json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    if (json_array_size(r->people) >= 1000)
        return; /* the dashboard shows the first thousand; counts cover everyone */
    const char *scene = p->scene < r->x->nscenes ? r->x->scenes[p->scene].id : "end";
    json_array_append_new(r->people,
                          json_pack("{s:s, s:s, s:s, s:b, s:i, s:s, s:s}", "subject", p->subject,
                                    "state", state_name(p->state), "scene", scene, "connected",
                                    p->conn != NULL, "rtt_ms", (int)p->rtt_ms, "game",
                                    p->room ? room_id(p->room) : "", "outcome", p->outcome));
}

static void count_one(const char *key, void *value, void *ctx)
{
    participant *p = value;
    census *c = ctx;
    c->total++;
    c->connected += p->conn != NULL;
    c->waiting += p->state == P_WAITING;
    c->playing += p->state == P_PLAYING;
    c->done += p->state == P_DONE;
}

char *flow_health_json(flow *f)
{
    census c = {0};
    map_each(f->by_subject, count_one, &c);
    store_stats ss = store_get_stats(f->st);
    json_t *j = json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I}", "status", "ok",
                          "experiment", f->x->id, "uptime_s",
                          (json_int_t)((now_ms() - f->started_mono) / 1000), "participants",
                          c.total, "connected", c.connected, "waiting", c.waiting, "playing",
                          c.playing, "games", f->rooms.n, "games_started",
                          (json_int_t)f->games_started, "store_errors", (json_int_t)ss.errors,
                          "store_cache_kb", (json_int_t)(ss.sqlite_heap_bytes / 1024));
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

char *flow_state_json(flow *f)
{
    json_t *games = json_array();
    for (int i = 0; i < f->rooms.n; i++) {
        room *r = f->rooms.items[i];
        room_stats st = room_get_stats(r);
        json_array_append_new(
            games, json_pack("{s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I}", "game", room_id(r),
                             "scene", room_scene(r), "episode", room_episode(r), "frame",
                             (int)room_frame(r), "desyncs", (json_int_t)st.desyncs,
                             "late_inputs", (json_int_t)st.late_inputs, "defaulted",
                             (json_int_t)st.defaulted, "hashes_verified",
                             (json_int_t)st.hashes_verified));
    }
    json_t *waiting = json_object();
    for (int s = 0; s < f->x->nscenes; s++)
        if (f->lobbies[s])
            json_object_set_new(waiting, f->x->scenes[s].id,
                                json_integer(lobby_count(f->lobbies[s])));
    census c = {0};
    map_each(f->by_subject, count_one, &c);
    roster ro = {json_array(), json_object(), f->x};
    map_each(f->by_subject, list_one, &ro);
    json_t *j = json_pack("{s:s, s:I, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i}, s:o, s:o, s:I, s:I}",
                          "experiment", f->x->id, "uptime_s",
                          (json_int_t)((now_ms() - f->started_mono) / 1000), "games", games,
                          "waiting", waiting, "participants", "total", c.total, "connected",
                          c.connected, "waiting", c.waiting, "playing", c.playing, "done",
                          c.done, "outcomes", ro.outcomes, "people", ro.people,
                          "games_started", (json_int_t)f->games_started, "protocol_errors",
                          (json_int_t)f->protocol_errors);
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

static int on_http(const char *path, const char *query, char **body, const char **ctype,
                   void *ud)
{
    flow *f = ud;
    if (f->http)
        return f->http(f->http_ctx, path, query, body, ctype);
    *ctype = "application/json";
    if (strcmp(path, "/healthz") == 0) {
        *body = flow_health_json(f);
        return 200;
    }
    return 404;
}

/* ---- life ------------------------------------------------------------------------- */

static char *read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = size >= 0 && size < (1 << 20) ? malloc((size_t)size + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[size] = '\0';
    fclose(fp);
    return buf;
}

/* After a restart: everyone the server knew comes back to where they were. Whoever was
 * in a game when it stopped cannot resume it (its state was in memory): they get the
 * partner_dropped outcome, which researchers pay, with the reason server_restart. */
static void restore_participant(const known_participant *k, void *ctx)
{
    flow *f = ctx;
    if (!proto_valid_subject(k->subject) || !proto_valid_token(k->token) ||
        map_get(f->by_subject, k->subject))
        return;
    participant *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->f = f;
    snprintf(p->subject, sizeof p->subject, "%s", k->subject);
    snprintf(p->token, sizeof p->token, "%s", k->token);
    p->seat = -1;
    p->scene = k->scene_index < 0 ? 0 : k->scene_index;
    if (p->scene > f->x->nscenes)
        p->scene = f->x->nscenes;
    map_put(f->by_subject, p->subject, p);
    map_put(f->by_token, p->token, p);
    if (k->outcome) {
        p->state = P_DONE;
        snprintf(p->outcome, sizeof p->outcome, "%s", k->outcome);
        snprintf(p->code, sizeof p->code, "%s", k->code ? k->code : "");
        snprintf(p->reason, sizeof p->reason, "%s", k->reason ? k->reason : "");
    } else if (p->scene < f->x->nscenes && f->x->scenes[p->scene].kind == SCENE_GAME &&
               k->matched_in_scene) {
        finish(f, p, "partner_dropped", "server_restart");
    } else {
        p->state = P_PAGE;
    }
}

const flow_io *flow_net_io(void)
{
    static const flow_io io = {net_send_text, net_send_binary, net_close, net_conn_set_user,
                               net_conn_user, net_conn_peer, net_conn_id};
    return &io;
}

flow *flow_new(const experiment *x, store *st, const flow_io *io, char *err, size_t errlen)
{
    flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->x = x;
    f->io = io;
    f->st = st;
    f->by_subject = map_new();
    f->by_token = map_new();
    f->started_mono = now_ms();
    for (int s = 0; s < x->nscenes; s++) {
        const scene_spec *sc = &x->scenes[s];
        if (sc->page[0]) {
            f->pages[s] = read_file(sc->page);
            if (!f->pages[s]) {
                snprintf(err, errlen, "cannot read page %s", sc->page);
                flow_free(f, 0);
                return NULL;
            }
        }
        if (sc->kind == SCENE_GAME) {
            if (!env_find(sc->game.env)) {
                snprintf(err, errlen, "unknown env %s", sc->game.env);
                flow_free(f, 0);
                return NULL;
            }
            matchmaker mm = sc->matchmaker == MATCH_LATENCY_FIFO
                                ? matchmaker_latency_fifo(sc->max_rtt_ms)
                                : matchmaker_fifo();
            f->lobbies[s] = lobby_new(mm, sc->game.humans, (int64_t)sc->waitroom_timeout_s * 1000);
        }
    }
    int known = store_load_participants(st, restore_participant, f, err, errlen);
    if (known < 0) {
        flow_free(f, 0);
        return NULL;
    }
    if (known > 0)
        log_info("restored %d participants from an earlier run", known);
    return f;
}

static void free_participant(const char *key, void *value, void *ctx) { free(value); }

void flow_free(flow *f, int64_t now)
{
    if (!f)
        return;
    /* Rooms still running: cut their episodes so the data on disk is complete. */
    for (int i = 0; i < f->rooms.n; i++) {
        room_abort(f->rooms.items[i], "server_stopped", now);
        list_push(&f->dead, f->rooms.items[i]);
    }
    f->rooms.n = 0;
    on_pass_end(f);
    for (int s = 0; s < CFG_MAX_SCENES; s++) {
        lobby_free(f->lobbies[s]);
        free(f->pages[s]);
    }
    if (f->by_subject)
        map_each(f->by_subject, free_participant, NULL);
    map_free(f->by_subject);
    map_free(f->by_token);
    free(f->rooms.items);
    free(f->dirty.items);
    free(f->dead.items);
    free(f);
}
