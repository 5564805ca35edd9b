#include "games.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"

enum { SNAPSHOT_MS = 1000 }; /* how often a worker refreshes home's copy of its rooms */

/* A growing list of games, unordered (removal swaps the last in). */
typedef struct {
    game **items;
    int n, cap;
} game_list;

/* The rooms one loop runs, and the ones it flushes this pass. */
typedef struct {
    games *gs;
    net *net;            /* a worker's, as its own calls give it; NULL on home */
    game_list rooms, dirty, over;
    int64_t next_snapshot_ms;
} games_loop;

struct games {
    store *st;
    games_hooks hooks;
    void *ud;
    net *home;           /* NULL: every room on the caller's loop */
    bool ended;          /* the workers have ended (games_loops_ended) */
    int nloops;          /* 1 + workers */
    games_loop *loops;   /* [0] home */
};

/* The bind handler's argument: which seat of which game a connection plays. */
typedef struct {
    game *g;
    int seat;
} seat_ref;

/* Fields are partitioned by thread: a game on a worker is made on home (everything up
 * to `room`), then its loop owns the room and the seat connections; home keeps only the
 * copy below `view` fresh, from the loop's mail. */
struct game {
    games *gs;
    int loop;
    room_config cfg;     /* its strings point into the copies below */
    char id[64], condition[64];
    char names[ENV_MAX_PLAYERS][PROTO_SUBJECT_MAX + 1];
    /* home: what it shows and what it has posted */
    struct {
        int episode;
        uint32_t frame;
        room_stats stats;
    } view;
    bool freed;          /* home: game_free was called (remote: FREE is in the mail) */
    /* the room's loop */
    room *room;
    net_conn *conns[ENV_MAX_PLAYERS];
    bool refused[ENV_MAX_PLAYERS]; /* its connection's INPUT was refused: it is being cut off */
    seat_ref seats[ENV_MAX_PLAYERS];
    bool over;           /* the room said GAME_OVER: it is freed at the end of the pass */
};

/* ---- lists ---------------------------------------------------------------------------- */

static void list_push(game_list *l, game *g)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        game **grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (!grown)
            abort(); /* a game lost from its loop's list would never end */
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = g;
}

static void list_remove(game_list *l, game *g)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i] == g) {
            l->items[i] = l->items[--l->n];
            return;
        }
}

static games_loop *loop_of(const game *g) { return &g->gs->loops[g->loop]; }

/* ---- what a room says ------------------------------------------------------------------ */

static game_event event_of(game *g, const room_event *ev)
{
    game_event e = {
        .kind = ev->kind == ROOM_SEAT_REMOVED ? GAME_EV_SEAT_REMOVED : GAME_EV_OVER,
        .game = g,
        .peer = ev->peer,
        .removal = ev->removal,
        .end = ev->end,
        .npeers = ev->npeers,
        .team_points = ev->team_points,
    };
    memcpy(e.peers, ev->peers, sizeof e.peers);
    return e;
}

/* A room on the owner's loop: the owner's hooks. */
static void here_send_text(void *peer, const char *json, void *ud)
{
    game *g = ud;
    g->gs->hooks.send_text(peer, json, g->gs->ud);
}

static void here_send_binary(void *peer, const void *buf, size_t len, void *ud)
{
    game *g = ud;
    g->gs->hooks.send_binary(peer, buf, len, g->gs->ud);
}

static void mark_dirty(room *r, void *ud)
{
    game *g = ud;
    list_push(&loop_of(g)->dirty, g);
}

static void here_queue_event(const room_event *ev, void *ud)
{
    game *g = ud;
    game_event e = event_of(g, ev);
    g->gs->hooks.event(&e, g->gs->ud);
}

static const room_hooks HERE = {
    .send_text = here_send_text,
    .send_binary = here_send_binary,
    .mark_dirty = mark_dirty,
    .queue_event = here_queue_event,
};

/* A room on a worker: its own connections, and mail to home. */
static net_conn *seat_conn(const game *g, const void *peer)
{
    for (int s = 0; s < g->cfg.nseats; s++)
        if (g->cfg.peers[s] == peer)
            return g->conns[s];
    return NULL;
}

static void loop_send_text(void *peer, const char *json, void *ud)
{
    net_conn *c = seat_conn(ud, peer);
    if (c)
        net_here_send_text(c, json, strlen(json));
}

static void loop_send_binary(void *peer, const void *buf, size_t len, void *ud)
{
    net_conn *c = seat_conn(ud, peer);
    if (c)
        net_here_send_binary(c, buf, len);
}

static void home_hears_event(net *home, const void *arg, size_t len, loop_time now)
{
    game_event e;
    memcpy(&e, arg, sizeof e);
    games *gs = e.game->gs;
    gs->hooks.event(&e, gs->ud);
}

static void unbind_seats(game *g)
{
    for (int s = 0; s < g->cfg.nseats; s++)
        if (g->conns[s]) {
            net_here_bind(g->conns[s], NULL, NULL);
            g->conns[s] = NULL;
        }
}

static void bind_seat(game *g, int s, net_conn *c);

static void loop_queue_event(const room_event *ev, void *ud)
{
    game *g = ud;
    game_event e = event_of(g, ev);
    if (e.kind == GAME_EV_SEAT_REMOVED) { /* what they still send goes to home, who ignores it */
        for (int s = 0; s < g->cfg.nseats; s++)
            if (g->cfg.peers[s] == e.peer)
                bind_seat(g, s, NULL);
    } else if (!g->over) {
        g->over = true; /* freed after this pass's flush; home frees the handle */
        list_push(&loop_of(g)->over, g);
        unbind_seats(g);
    }
    net_call(loop_of(g)->net, 0, home_hears_event, &e, sizeof e);
}

static const room_hooks ON_LOOP = {
    .send_text = loop_send_text,
    .send_binary = loop_send_binary,
    .mark_dirty = mark_dirty,
    .queue_event = loop_queue_event,
};

/* ---- calls from home to a room's loop -------------------------------------------------- */

typedef struct {
    game *g;
    int seat;
    int arg;             /* visible, a seat_removal or a game_end */
    net_conn *c;         /* RECONNECTED */
    input_msg in;        /* INPUT */
} game_call;

static void home_hears_refusal(net *home, const void *arg, size_t len, loop_time now)
{
    game_call m;
    memcpy(&m, arg, sizeof m);
    games *gs = m.g->gs;
    if (!m.g->freed)
        gs->hooks.input_refused(m.g->cfg.peers[m.seat], now, gs->ud);
}

static void refuse(game *g, int seat)
{
    game_call m = {.g = g, .seat = seat};
    net_call(loop_of(g)->net, 0, home_hears_refusal, &m, sizeof m);
}

/* On the room's loop: a seat's INPUT, read there. One that is not an INPUT goes to home,
 * whose handler tells the sender what is wrong with it. */
static bool loop_input(net_conn *c, const uint8_t *buf, size_t len, loop_time now, void *ud)
{
    seat_ref *ref = ud;
    game *g = ref->g;
    input_msg in;
    if (proto_decode_input(buf, len, &in) != 0)
        return false;
    if (g->refused[ref->seat]) /* home is closing it: one refusal is enough */
        return true;
    if (g->room && !g->over && room_on_input(g->room, ref->seat, &in, now) != 0) {
        g->refused[ref->seat] = true;
        refuse(g, ref->seat);
    }
    return true;
}

static void bind_seat(game *g, int s, net_conn *c)
{
    if (g->conns[s] && g->conns[s] != c)
        net_here_bind(g->conns[s], NULL, NULL);
    g->conns[s] = c;
    g->refused[s] = false;
    if (c)
        net_here_bind(c, loop_input, &g->seats[s]);
}

static games_loop *arrive(net *loop, game *g)
{
    games_loop *l = loop_of(g);
    l->net = loop;
    return l;
}

static void call_create(net *loop, const void *arg, size_t len, loop_time now)
{
    game_call m;
    memcpy(&m, arg, sizeof m);
    game *g = m.g;
    games_loop *l = arrive(loop, g);
    g->room = room_new(&g->cfg, &ON_LOOP, g, g->gs->st, now);
    if (!g->room) {
        log_error("out of memory starting game %s on event loop %d", g->id, g->loop);
        g->over = true;
        game_event e = {.kind = GAME_EV_FAILED, .game = g};
        for (int s = 0; s < g->cfg.nseats; s++)
            if (g->cfg.peers[s])
                e.peers[e.npeers++] = g->cfg.peers[s];
        net_call(loop, 0, home_hears_event, &e, sizeof e);
        return;
    }
    list_push(&l->rooms, g);
    for (int s = 0; s < g->cfg.nseats; s++)
        if (g->conns[s]) {
            net_conn *c = g->conns[s];
            g->conns[s] = NULL;
            bind_seat(g, s, c);
        }
}

static bool live(net *loop, const void *arg, game_call *m)
{
    memcpy(m, arg, sizeof *m);
    arrive(loop, m->g);
    return m->g->room && !m->g->over;
}

static void call_input(net *loop, const void *arg, size_t len, loop_time now)
{
    game_call m;
    if (live(loop, arg, &m) && room_on_input(m.g->room, m.seat, &m.in, now) != 0)
        refuse(m.g, m.seat);
}

static void call_disconnected(net *loop, const void *arg, size_t len, loop_time now)
{
    game_call m;
    if (!live(loop, arg, &m))
        return;
    bind_seat(m.g, m.seat, NULL);
    room_seat_disconnected(m.g->room, m.seat, now);
}

static void call_reconnected(net *loop, const void *arg, size_t len, loop_time now)
{
    game_call m;
    if (!live(loop, arg, &m))
        return;
    bind_seat(m.g, m.seat, m.c);
    room_seat_reconnected(m.g->room, m.seat, now);
}

static void call_visibility(net *loop, const void *arg, size_t len, loop_time now)
{
    game_call m;
    if (live(loop, arg, &m))
        room_seat_visibility(m.g->room, m.seat, m.arg != 0, now);
}

static void call_remove(net *loop, const void *arg, size_t len, loop_time now)
{
    game_call m;
    if (!live(loop, arg, &m))
        return;
    bind_seat(m.g, m.seat, NULL);
    room_seat_remove(m.g->room, m.seat, (seat_removal)m.arg, now);
}

static void free_game(game *g)
{
    room_free(g->room);
    free(g);
}

/* Home has handled the game's end and let go of its handle. */
static void call_free(net *loop, const void *arg, size_t len, loop_time now)
{
    game_call m;
    memcpy(&m, arg, sizeof m);
    games_loop *l = arrive(loop, m.g);
    unbind_seats(m.g);
    list_remove(&l->rooms, m.g);
    list_remove(&l->dirty, m.g);
    list_remove(&l->over, m.g);
    free_game(m.g);
}

/* Where an owner's call goes: by mail to a worker's room while the workers run; else to
 * the room on the owner's loop (own_room), or nowhere for a worker's room once the
 * workers have ended (the server is stopping: game_abort cuts it). */
static bool by_mail(const game *g) { return g->loop != 0 && !g->gs->ended; }
static room *own_room(const game *g) { return g->loop == 0 ? g->room : NULL; }

static void post(game *g, net_call_fn fn, const game_call *m)
{
    net_call(g->gs->home, g->loop, fn, m, sizeof *m);
}

/* ---- snapshots: home's copy of a worker's rooms ------------------------------------------ */

typedef struct {
    game *g;
    int episode;
    uint32_t frame;
    room_stats stats;
} game_snapshot;

static void home_hears_snapshot(net *home, const void *arg, size_t len, loop_time now)
{
    game_snapshot v;
    memcpy(&v, arg, sizeof v);
    v.g->view.episode = v.episode;
    v.g->view.frame = v.frame;
    v.g->view.stats = v.stats;
}

static void snapshot(net *loop, game *g)
{
    game_snapshot v = {g, room_episode(g->room), room_frame(g->room), room_get_stats(g->room)};
    net_call(loop, 0, home_hears_snapshot, &v, sizeof v);
}

/* ---- a worker's own work -------------------------------------------------------------------- */

static void loop_tick(net *loop, loop_time now, void *ud)
{
    games *gs = ud;
    games_loop *l = &gs->loops[net_loop_index(loop)];
    l->net = loop;
    bool refresh = now.mono_ms >= l->next_snapshot_ms;
    if (refresh)
        l->next_snapshot_ms = now.mono_ms + SNAPSHOT_MS;
    for (int i = 0; i < l->rooms.n; i++) {
        game *g = l->rooms.items[i];
        if (g->over)
            continue;
        room_tick(g->room, now);
        if (refresh)
            snapshot(loop, g);
    }
}

static void flush_loop(games_loop *l, loop_time now)
{
    for (int i = 0; i < l->dirty.n; i++) /* may grow while we walk it */
        if (l->dirty.items[i]->room)
            room_flush(l->dirty.items[i]->room, now);
    l->dirty.n = 0;
}

static void loop_pass_end(net *loop, loop_time now, void *ud)
{
    games *gs = ud;
    games_loop *l = &gs->loops[net_loop_index(loop)];
    flush_loop(l, now);
    /* Over: its last frames went out above. The handle waits for home's FREE. */
    for (int i = 0; i < l->over.n; i++) {
        game *g = l->over.items[i];
        list_remove(&l->rooms, g);
        room_free(g->room);
        g->room = NULL;
    }
    l->over.n = 0;
}

/* ---- the owner's calls ---------------------------------------------------------------------- */

games *games_new(store *st, const games_hooks *hooks, void *ud)
{
    games *gs = calloc(1, sizeof *gs);
    if (!gs)
        return NULL;
    gs->st = st;
    gs->hooks = *hooks;
    gs->ud = ud;
    gs->nloops = 1;
    gs->loops = calloc(1, sizeof *gs->loops);
    if (!gs->loops) {
        free(gs);
        return NULL;
    }
    gs->loops[0].gs = gs;
    return gs;
}

void games_use_loops(games *gs, net *home)
{
    int workers = net_workers(home);
    if (workers == 0)
        return;
    games_loop *grown = realloc(gs->loops, (size_t)(workers + 1) * sizeof *grown);
    if (!grown) {
        log_warn("out of memory: every game runs on the home event loop");
        return;
    }
    memset(grown + 1, 0, (size_t)workers * sizeof *grown);
    for (int i = 0; i <= workers; i++)
        grown[i].gs = gs;
    gs->loops = grown;
    gs->nloops = workers + 1;
    gs->home = home;
    net_loop_hooks hooks = {.tick = loop_tick, .pass_end = loop_pass_end};
    net_set_loop_hooks(home, &hooks, gs);
}

void games_loops_ended(games *gs)
{
    gs->ended = true;
    /* Their connections are about to be closed and freed (net_destroy): a room cut at
     * shutdown then says its last to nobody, as home's own rooms do. */
    for (int k = 1; k < gs->nloops; k++)
        for (int i = 0; i < gs->loops[k].rooms.n; i++)
            memset(gs->loops[k].rooms.items[i]->conns, 0, sizeof gs->loops[k].rooms.items[i]->conns);
}

void games_free(games *gs)
{
    if (!gs)
        return;
    for (int i = 0; i < gs->nloops; i++) {
        free(gs->loops[i].rooms.items);
        free(gs->loops[i].dirty.items);
        free(gs->loops[i].over.items);
    }
    free(gs->loops);
    free(gs);
}

/* The loop for a group: the worker that has some of them already, if only one does; the
 * quietest loop if none does (home included: its count is everyone between games as well
 * as its own games' players, so it takes fewer games while many are arriving); -1 if
 * several workers do (the game then runs on home). */
static int place(games *gs, net_conn *const conns[ENV_MAX_PLAYERS], int nseats)
{
    if (!gs->home)
        return 0;
    int at = 0;
    for (int s = 0; s < nseats; s++) {
        int k = conns[s] ? net_conn_loop(conns[s]) : 0;
        if (k != 0 && at != 0 && k != at)
            return -1;
        if (k != 0)
            at = k;
    }
    return at ? at : net_quietest_loop(gs->home);
}

game *game_start(games *gs, const room_config *cfg, net_conn *const conns[ENV_MAX_PLAYERS],
                 loop_time now)
{
    game *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->gs = gs;
    g->cfg = *cfg;
    snprintf(g->id, sizeof g->id, "%s", cfg->game_id);
    snprintf(g->condition, sizeof g->condition, "%s", cfg->condition ? cfg->condition : "");
    g->cfg.game_id = g->id;
    g->cfg.condition = g->condition;
    for (int s = 0; s < cfg->nseats && s < ENV_MAX_PLAYERS; s++) {
        snprintf(g->names[s], sizeof g->names[s], "%s", cfg->names[s] ? cfg->names[s] : "");
        g->cfg.names[s] = g->names[s];
        g->seats[s] = (seat_ref){g, s};
    }
    int k = place(gs, conns, cfg->nseats);
    if (k > 0) {
        /* Each connection is lent (or is already there) before the room is made there:
         * net delivers the loans first. One that cannot go (closing) plays as dropped. */
        for (int s = 0; s < cfg->nseats; s++) {
            net_conn *c = conns[s];
            if (c && (net_conn_loop(c) == k || net_conn_lend(c, k) == 0))
                g->conns[s] = c;
        }
        g->loop = k;
        game_call m = {.g = g};
        post(g, call_create, &m);
        return g;
    }
    g->loop = 0;
    g->room = room_new(&g->cfg, &HERE, g, gs->st, now);
    if (!g->room) {
        free(g);
        return NULL;
    }
    list_push(&gs->loops[0].rooms, g);
    return g;
}

int game_input(game *g, int seat, const input_msg *in, loop_time now)
{
    if (!by_mail(g))
        return own_room(g) ? room_on_input(own_room(g), seat, in, now) : 0;
    game_call m = {.g = g, .seat = seat, .in = *in};
    post(g, call_input, &m);
    return 0;
}

void game_seat_disconnected(game *g, int seat, loop_time now)
{
    if (!by_mail(g)) {
        if (own_room(g))
            room_seat_disconnected(own_room(g), seat, now);
        return;
    }
    game_call m = {.g = g, .seat = seat};
    post(g, call_disconnected, &m);
}

void game_seat_reconnected(game *g, int seat, net_conn *c, loop_time now)
{
    if (!by_mail(g)) {
        if (own_room(g))
            room_seat_reconnected(own_room(g), seat, now);
        return;
    }
    if (c && net_conn_loop(c) != g->loop && net_conn_lend(c, g->loop) != 0) {
        /* Not on home (nor closing): a connection that already played elsewhere. The room
         * cannot reach it; the seat stays dropped until the person comes back again. */
        log_warn("game %s: connection %u is on event loop %d, the game on %d: seat %d stays "
                 "dropped", g->id, net_conn_id(c), net_conn_loop(c), g->loop, seat);
        return;
    }
    game_call m = {.g = g, .seat = seat, .c = c};
    post(g, call_reconnected, &m);
}

void game_seat_visibility(game *g, int seat, bool visible, loop_time now)
{
    if (!by_mail(g)) {
        if (own_room(g))
            room_seat_visibility(own_room(g), seat, visible, now);
        return;
    }
    game_call m = {.g = g, .seat = seat, .arg = visible};
    post(g, call_visibility, &m);
}

void game_seat_remove(game *g, int seat, seat_removal why, loop_time now)
{
    if (!by_mail(g)) {
        if (own_room(g))
            room_seat_remove(own_room(g), seat, why, now);
        return;
    }
    game_call m = {.g = g, .seat = seat, .arg = (int)why};
    post(g, call_remove, &m);
}

void game_abort(game *g, game_end why, loop_time now)
{
    if (g->room && !g->over && !by_mail(g)) /* a worker's too, once the workers have ended */
        room_abort(g->room, why, now);
}

void game_free(game *g)
{
    if (!g || g->freed)
        return;
    g->freed = true;
    if (by_mail(g)) {
        game_call m = {.g = g};
        post(g, call_free, &m); /* its loop frees it: nothing of it is touched here again */
        return;
    }
    games_loop *l = loop_of(g);
    list_remove(&l->rooms, g);
    list_remove(&l->dirty, g);
    list_remove(&l->over, g);
    free_game(g);
}

void games_tick(games *gs, loop_time now)
{
    game_list *l = &gs->loops[0].rooms;
    /* Rooms only queue what they have to say, so none leaves this list while we walk it. */
    for (int i = 0; i < l->n; i++)
        room_tick(l->items[i]->room, now);
}

void games_flush(games *gs, loop_time now) { flush_loop(&gs->loops[0], now); }

const char *game_id(const game *g) { return g->id; }
const char *game_scene(const game *g) { return g->cfg.scene_id; }
int game_loop(const game *g) { return g->loop; }
int game_episode(const game *g) { return g->loop == 0 && g->room ? room_episode(g->room) : g->view.episode; }
uint32_t game_frame(const game *g) { return g->loop == 0 && g->room ? room_frame(g->room) : g->view.frame; }
room_stats game_stats(const game *g)
{
    return g->loop == 0 && g->room ? room_get_stats(g->room) : g->view.stats;
}
