/*
 * The stager: carries every participant through the experiment's scenes. It owns the
 * participants, the waiting rooms (one per game scene) and the game rooms, and is the
 * only module that knows all three. net calls in; room and lobby never see a socket.
 */
#ifndef COHORT_FLOW_H
#define COHORT_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "../config/config.h"
#include "../net/net.h"
#include "../proto/names.h"
#include "../room/room.h"
#include "../store/store.h"

typedef struct flow flow;

/* How the stager reaches connections: net.h's functions in the server, fakes in tests. */
typedef struct {
    int (*send_text)(net_conn *c, const char *msg, size_t len);
    int (*send_binary)(net_conn *c, const void *msg, size_t len);
    void (*close)(net_conn *c, const char *reason);
    void (*set_user)(net_conn *c, void *user);
    void *(*user)(const net_conn *c);
    const char *(*peer)(const net_conn *c);
    uint32_t (*id)(const net_conn *c);
    void (*admit)(net_conn *c); /* the connection said a good hello (net_conn_admit) */
} flow_io;

/* The real connections of net.h. */
const flow_io *flow_net_io(void);

/* x, st and io must outlive the flow. Brings back the participants the store knows (an
 * earlier run's). NULL on failure with err filled (e.g. an unreadable page). */
flow *flow_new(const experiment *x, store *st, const flow_io *io, loop_time now, char *err,
               size_t errlen);
/* Games run on home's other event loops from now on (src/room/games.h): call before
 * net_run. Without it every game runs on the flow's own loop. */
void flow_use_loops(flow *f, net *home);
/* net_run has returned: call before net_destroy (games_loops_ended). */
void flow_loops_ended(flow *f);
/* Cuts running games short (their partial episodes are saved) and frees everything. */
void flow_free(flow *f, loop_time now);

/* Stop taking people in, let running games finish, then say so (SIGTERM's drain).
 * flow_request_drain only sets a flag, so a signal handler may call it; the next tick
 * acts on it: newcomers get the closed page (texts: study_closed), whoever is waiting or
 * presses start gets the waitroom_timeout outcome (reason study_closing), games running
 * play on. Once none is left, or limit_ms after the drain began, `drained` is called once
 * (on the loop thread); the caller then stops the loop. */
void flow_request_drain(flow *f);
void flow_on_drained(flow *f, int64_t limit_ms, void (*drained)(void *ctx), void *ctx);
bool flow_draining(const flow *f);

/* The net_handlers that drive it (all but HTTP, which is admin's); ud must be the flow. */
net_handlers flow_net_handlers(void);

/* ---- what the admin pages show, read on demand ---- */

typedef struct {
    int total, connected, waiting, playing, done;
    int outcomes[outcome_COUNT_];   /* the done, by outcome */
} flow_census;

typedef struct {
    const char *experiment;
    int64_t uptime_s;
    flow_census people;
    int games_running;
    uint64_t games_started, protocol_errors;
    store_stats store;
} flow_stats;
void flow_get_stats(flow *f, loop_time now, flow_stats *out);

typedef struct {
    const char *game, *scene;
    int episode;
    uint32_t frame;
    room_stats stats;
} flow_game_view;
void flow_each_game(flow *f, void (*fn)(const flow_game_view *g, void *ctx), void *ctx);

/* Each condition with the counts balanced assignment reads: in progress (assigned, no
 * outcome yet), completed, and ended with another outcome (these freed their place). */
typedef struct {
    const char *id;
    int in_progress, completed, other;
} flow_condition_view;
void flow_each_condition(flow *f, void (*fn)(const flow_condition_view *c, void *ctx), void *ctx);

/* Each game scene's waiting room and how many wait in it. */
void flow_each_waitroom(flow *f, void (*fn)(const char *scene, int waiting, void *ctx), void *ctx);

typedef struct {
    const char *subject;
    const char *state;   /* page, waiting, playing, done */
    const char *scene;   /* the scene's id, or "end" */
    const char *condition; /* "" when the experiment has none */
    const char *game;    /* "" when not in a game */
    const char *outcome; /* "" until done */
    bool connected;
    uint32_t rtt_ms;
} flow_person_view;
/* Every participant, in no particular order; fn returns false to stop. */
void flow_each_person(flow *f, bool (*fn)(const flow_person_view *p, void *ctx), void *ctx);

#endif
