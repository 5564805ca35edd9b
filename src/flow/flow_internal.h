/*
 * What the stager's files share (flow.c, participant.c, restore.c): the participant and
 * the flow itself. Nothing outside src/flow includes this.
 */
#ifndef COHORT_FLOW_INTERNAL_H
#define COHORT_FLOW_INTERNAL_H

#include <signal.h>
#include <stdint.h>

#include "../lobby/lobby.h"
#include "../lobby/party.h"
#include "../proto/names.h"
#include "../proto/proto.h"
#include "../room/games.h"
#include "../texts/texts.h"
#include "../util/map.h"
#include "../util/rtt.h"
#include "flow.h"

typedef enum { P_PAGE, P_WAITING, P_PLAYING, P_DONE } pstate;

typedef struct participant {
    char subject[PROTO_SUBJECT_MAX + 1];
    char token[PROTO_TOKEN_LEN + 1];
    /* Where they are (docs/DESIGN.md section 4): their route is the list of scenes they go
     * through (table indices, shuffles drawn, their condition's variants); pos their place
     * in it, nroute once past the last. After an outcome with exit scenes (on_outcome) the
     * route is replaced by those and after_outcome is set. scene = route[pos] while
     * pos < nroute. */
    int scene;
    int16_t route[CFG_MAX_ROUTE];
    int nroute;
    int pos;
    bool after_outcome;
    int condition;              /* index into x->conditions; -1 when there are none */
    uint64_t outcome_ticket;    /* store_outcome's: the end page waits for it to commit */
    pstate state;
    net_conn *conn;             /* NULL while disconnected */
    game *room;                 /* the game they play in, wherever it runs */
    int seat;
    int64_t wait_start_mono;
    int64_t wait_start_wall;
    uint32_t rtt_ms;            /* median of the connection's recent samples */
    outcome outcome;            /* meaningful once state == P_DONE */
    outcome_reason reason;
    char code[CFG_ID_LEN];
    /* Bonus tallies (src/flow/bonus.h): the team score of the frames confirmed while they
     * held a seat, and their time in waiting rooms as the waits rows have it; bonus is
     * what flow_finish computed from them (minor units), meaningful once P_DONE. */
    int64_t bonus_points;
    int64_t bonus_wait_ms;
    int64_t bonus;
    int64_t last_resend;        /* when a stale message last got the scene again (mono) */
    /* The current scene's quiz, since the participant entered it (flow.c, quiz_attempt). */
    int quiz_attempts;          /* attempts graded */
    uint32_t quiz_wrong;        /* the last one's wrong answers, bit i = answers[i] */
    /* Device screening (screen.h): the window the last screening saw (for the end page's
     * message; -1 = not said) and how many screenings this participant has had. */
    int screen_width, screen_height;
    int screenings;
    /* partners.c: the group of the latest game a later scene keeps (NULL: none), and
     * whether they wait for it now (state P_WAITING, not in the lobby). */
    party *party;
    bool party_waiting;
    /* On disk (docs/DESIGN.md section 5): a participant is written when they first act
     * (an accepted advance or start); until then they live only here. */
    bool recorded;
    bool started_game;          /* joined a waiting room at least once */
    int64_t created_wall;       /* first hello: the row's `created` and first visit's t */
    int64_t conn_wall;          /* when the current connection's hello was taken */
    char *params_json;          /* what the row will store; NULL once recorded */
    /* Unrecorded and disconnected: queued, oldest first, to be forgotten (participant_idle). */
    bool idle_queued;
    int64_t idle_since_mono;
    struct participant *idle_prev, *idle_next;
} participant;

/* What net_conn's user pointer holds: one per WebSocket. */
typedef struct {
    participant *p;             /* NULL until hello, or after another tab took over */
    bool viewer;                /* shown a finished participant's end page, bound to nobody */
    rtt_window rtt;
} client;

typedef struct {
    game **items;
    int n, cap;
} game_list;

typedef struct {
    game_event *items;
    int n, cap;
} event_list;

/* End scenes waiting for their outcome to be durable (flow.c, show_due_ends). */
typedef struct {
    struct end_wait {
        participant *p;
        uint64_t ticket;      /* store_durable */
        int64_t deadline;     /* mono ms: shown by then whatever the store says */
    } *items;
    int n, cap;
} end_list;

struct flow {
    const experiment *x;
    const flow_io *io;
    store *st;
    map *by_subject;
    map *by_token;
    lobby *lobbies[CFG_MAX_SCENES];   /* game scenes only */
    char *pages[CFG_MAX_SCENES];      /* page html, read once at start */
    games *games;                     /* every room, on whichever loop runs it */
    game_list rooms;                  /* live */
    game_list dead;                   /* over; freed at the end of the pass */
    event_list events;                /* what rooms said this pass; handled at its end */
    end_list ending;                  /* end scenes waiting for a durable outcome */
    bool waiting_changed[CFG_MAX_SCENES]; /* send `waiting` to that room's people at pass end */
    volatile sig_atomic_t drain_requested; /* set from a signal handler */
    bool draining, drained;
    int64_t drain_deadline;           /* mono */
    int64_t drain_limit_ms;
    void (*on_drained)(void *ctx);
    void *drained_ctx;
    int unrecorded;                   /* participants in memory who never acted */
    int stranger_budget;              /* events rows left for strangers (note_event) */
    int64_t stranger_refill_mono;
    participant *idle_head, *idle_tail; /* the unrecorded and disconnected, oldest first */
    int64_t started_mono;
    int64_t next_waiting_refresh;
    party_book *parties;              /* partners.c */
    bool forms_parties[CFG_MAX_SCENES]; /* a later scene keeps this game scene's groups */
    int64_t next_party_refresh;
    uint64_t games_started, protocol_errors;
    /* Per condition: assigned and without an outcome yet (in progress, acted or not),
     * completed, and ended otherwise (these free their place: conditions.c). */
    int cond_open[CFG_MAX_CONDITIONS], cond_completed[CFG_MAX_CONDITIONS];
    int cond_other[CFG_MAX_CONDITIONS];
};

/* participant.c: a new participant with a fresh token (or `token`), in both maps (aborts
 * if memory runs out: a half-registered participant would be worse). `recorded`: it
 * already has its row (restore). */
participant *participant_create(flow *f, const char *subject, const char *token,
                                bool recorded);
/* Its row has been written: it leaves the count and the queue of the unrecorded. */
void participant_mark_recorded(flow *f, participant *p);
/* A fresh token; the old one no longer finds it. */
void participant_new_token(flow *f, participant *p);
/* Disconnected and never acted: queued to be forgotten after the expiry; a reconnect or
 * an act takes it out again (participant_unidle). */
void participant_idle(flow *f, participant *p, int64_t now_mono);
void participant_unidle(flow *f, participant *p);
/* Forgets the unrecorded participant queued longest, if it has been idle since
 * `before_mono` or earlier (INT64_MAX: whatever its age). False when there is none. Such
 * a participant is disconnected, in no waiting room or game, and nothing of it is on
 * disk, so nothing else points at it. */
bool participant_forget_oldest(flow *f, int64_t before_mono);
void participants_free(flow *f);

/* conditions.c: a newcomer's condition: by the experiment's assignment, from the hello's
 * URL parameters for `param`. -1 with *code and *text set when the link names none. */
int condition_choose(flow *f, json_t *params, const char **code, text_id *text);
/* The participant's route for their condition, shuffles drawn now. */
void condition_route(flow *f, participant *p);
/* The counts that balanced assignment reads, at each change of a participant's state:
 * assigned (in progress), given an outcome, forgotten, or back in progress (reclaim). */
void condition_counts_assigned(flow *f, const participant *p);
void condition_counts_outcome(flow *f, const participant *p, outcome o);
void condition_counts_forgotten(flow *f, const participant *p);
void condition_counts_reopened(flow *f, const participant *p);
/* The route as JSON (the scene ids in order), as the participants row keeps it;
 * malloc'd. */
char *condition_route_json(const flow *f, const participant *p);

/* restore.c: everyone the store knew, back where they were. -1 with err set on failure. */
int flow_restore(flow *f, loop_time now, char *err, size_t errlen);

/* flow.c: end the participant's study with an outcome (records it, sends the end scene). */
void flow_finish(flow *f, participant *p, outcome o, outcome_reason why, loop_time now);
/* flow.c: take the participant back to an earlier scene (a quiz's retry_from) and enter it
 * afresh: a new visit, its quiz attempts counted from zero. */
void flow_back_to(flow *f, participant *p, int scene_index, loop_time now);
/* flow.c, for partners.c: send and free; a waits row; the scene's ordinary waiting room;
 * a game for group[0..n) in scene (party: the game whose group it is again, or NULL). */
void send_msg(flow *f, participant *p, char *text);
void end_wait(flow *f, participant *p, wait_end how, const char *gid, loop_time now);
void join_waitroom(flow *f, participant *p, loop_time now);
void start_game(flow *f, int scene, participant **group, int n, const char *party_game,
                loop_time now);

/* partners.c: same partners across game scenes (docs/DESIGN.md section 5, "Same
 * partners"). Each returns at once when the experiment keeps no groups. */
void partners_init(flow *f);
void partners_free(flow *f);
/* A game of p's scene completed with these people still seated: they are a group now,
 * if a later scene keeps this scene's groups (recorded in participants.party). */
void partners_form(flow *f, const char *gid, participant **seated, int n, loop_time now);
/* p pressed Start in their scene: true when the scene keeps groups and p now waits for
 * theirs, plays with it, or went on alone (if_gone); false: the ordinary waiting room. */
bool partners_start(flow *f, participant *p, loop_time now);
/* p, waiting for their group, leaves the waiting room (stays in the group): true if so. */
bool partners_leave(flow *f, participant *p, loop_time now);
bool partners_send_waiting(flow *f, participant *p, loop_time now);
/* p finishes the study: gone from their group, whose waiters go on alone. */
void partners_gone(flow *f, participant *p, loop_time now);
/* Waits that ran out (the others go on alone) and the 5 s refresh of counts. */
void partners_tick(flow *f, loop_time now);
/* The drain: everyone waiting for a group ends as the waiting rooms' people do. */
void partners_drain(flow *f, loop_time now);
/* restore.c: p belonged to group `party` (a game of scene `scene_id`, seat `seat`); seen
 * maps the ids rebuilt so far. partners_restored then completes the groups. */
void partners_restore(flow *f, participant *p, const char *party_game, const char *scene_id,
                      int seat, map *seen);
void partners_restored(flow *f, map *seen);

#endif
