/*
 * One protocol-level participant (docs/PROTOCOL.md) without a browser: it says hello
 * with an identity param, reads and answers the static scenes, joins the waiting room,
 * plays the game at its pace (fps or step_ms) and finishes with the end scene's code. It
 * keeps an authoritative-only copy of the env: CONFIRMed actions are stepped natively in
 * order, every confirmed hash is checked against the server's, and each INPUT reports the
 * hash of the newest confirmed frame, as a browser does.
 *
 * A bot never touches a socket. The driver (swarm.c) gives it a bot_io to send, close,
 * connect and ask for a wake-up, and feeds it what arrives. Everything runs on one thread.
 */
#ifndef COHORT_BOTS_BOT_H
#define COHORT_BOTS_BOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "latency.h"

#define TALLY_MAX 32

/* Counts by kind ("bad_message", "closed", "completed", ...). */
typedef struct {
    int n;
    struct {
        char kind[40];
        uint64_t count;
    } items[TALLY_MAX];
} tally;

void tally_add(tally *t, const char *kind);
uint64_t tally_total(const tally *t);

typedef enum { POLICY_RANDOM, POLICY_GREEDY } bot_policy;

typedef struct {
    char run_id[24];   /* subjects are bot-RUN-INDEX (and -GEN after the first, with loop) */
    int fps;           /* ticks per second; 0 = the game's clock (fps or step_ms) */
    bot_policy policy;
    int think_ms;      /* mean pause before pressing advance/start (uniform 0.5x..1.5x) */
    double churn;      /* per participant: probability of leaving early (page, waitroom, game) */
    bool loop;         /* after finishing, come back as a new participant */
    int rejoin_ms;     /* loop: mean pause before coming back */
    bool echo;         /* echo mode: only timed 24-byte messages, to an echo server */
    uint64_t seed;
} bot_config;

/* What the whole swarm saw. */
typedef struct {
    uint64_t participants;     /* hellos sent */
    uint64_t connects, connect_failures;
    uint64_t matched, completed, left;
    uint64_t games_started, episodes, episodes_full;
    uint64_t desyncs, resyncs, stalls;
    uint64_t inputs_sent, confirmed_frames, own_defaulted;
    uint64_t lag_hints, frames_skipped; /* the server's `lag` hints, and frames jumped */
    uint64_t echo_sent, echo_received;
    double episode_fps_sum;    /* confirmed frames per second of each finished episode */
    uint64_t episode_fps_n;
    int now_connected, now_waiting, now_playing;
    tally errors;              /* error messages by code, and the bot's own findings */
    tally outcomes;            /* end scene outcomes, and "left" */
    latency *lat;              /* INPUT sent -> CONFIRM received, microseconds */
} swarm_stats;

typedef struct {
    void (*connect)(void *ctx);
    void (*send)(void *ctx, bool binary, const void *buf, size_t len);
    /* Send what is queued, then close. */
    void (*close)(void *ctx);
    /* Call bot_on_timer at at_us (monotonic); replaces any earlier request; -1 cancels. */
    void (*wake)(void *ctx, int64_t at_us);
} bot_io;

typedef struct bot bot;

bot *bot_new(const bot_config *cfg, int index, const bot_io *io, void *ctx, swarm_stats *st);
void bot_free(bot *b);

/* Join at at_us (the ramp): the bot asks its driver to connect then. */
void bot_schedule_join(bot *b, int64_t at_us);
void bot_on_open(bot *b, int64_t now_us);
void bot_on_connect_failed(bot *b, const char *why, int64_t now_us);
void bot_on_text(bot *b, const char *text, size_t len, int64_t now_us);
void bot_on_binary(bot *b, const uint8_t *buf, size_t len, int64_t now_us);
void bot_on_closed(bot *b, int64_t now_us);
void bot_on_timer(bot *b, int64_t now_us);
/* The run is over: stop scheduling, close if connected. Returns true if the bot had
 * not finished its participant (counted as not completed). */
bool bot_stop(bot *b);
/* Nothing more will happen: finished (and not looping), or stopped and closed. */
bool bot_idle(const bot *b);

#endif
