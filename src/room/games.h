/*
 * Games: every room, placed on an event loop and driven there (docs/DESIGN.md section 14).
 *
 * Flow starts a game here and from then on talks to its `game` handle only; where the room
 * runs is this module's business:
 *   - With one event loop (or no net at all, as in the unit tests) every room runs on the
 *     caller's loop, and its messages go out through the caller's hooks.
 *   - With workers (games_use_loops), a formed group whose connections are on home goes to
 *     the quietest loop (home included), and one with some already on a worker goes to
 *     that worker. On a worker its connections are lent there and the room runs there: the
 *     inputs are read, confirmed, recorded and answered on that loop, and home never sees
 *     them. What
 *     flow says to the room (a seat dropped, came back, was removed) is mail to that loop;
 *     what the room says (a seat removed, the game over) is mail to home, handed to the
 *     owner's event hook as a local room's would be. Home keeps a copy of what the admin
 *     page shows (episode, frame, counters), refreshed once a second.
 *   - A group spread over several workers (people from different earlier games) plays on
 *     home, as every room did before rooms moved to the loops.
 * Nothing here takes a lock: a room belongs to one loop, and everything else is mail.
 */
#ifndef COHORT_GAMES_H
#define COHORT_GAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "../net/net.h"
#include "room.h"

typedef struct games games;
typedef struct game game;

typedef enum {
    GAME_EV_SEAT_REMOVED, /* a person left the game for good */
    GAME_EV_OVER,         /* the game is over: the owner calls game_free after handling it */
    GAME_EV_FAILED        /* the room could not be made (out of memory): likewise */
} game_event_kind;

typedef struct {
    game_event_kind kind;
    game *game;
    void *peer;               /* SEAT_REMOVED: who left */
    seat_removal removal;     /* SEAT_REMOVED: why */
    game_end end;             /* OVER: why */
    int npeers;               /* OVER, FAILED: every person still seated, in peers */
    void *peers[ENV_MAX_PLAYERS];
    int64_t team_points;      /* as room_event's */
} game_event;

typedef struct {
    /* A room on the owner's loop reaches its people through these (peer: room_config's). */
    void (*send_text)(void *peer, const char *json, void *ud);
    void (*send_binary)(void *peer, const void *buf, size_t len, void *ud);
    /* What a room said, wherever it runs, on the owner's loop and never inside a game_
     * call: the owner queues it and acts at the end of its pass. */
    void (*event)(const game_event *ev, void *ud);
    /* A room on a worker refused that person's INPUT (a frame too far ahead): the owner
     * cuts their connection off as it does for one of its own rooms. */
    void (*input_refused)(void *peer, loop_time now, void *ud);
} games_hooks;

/* st and everything a game's room_config points to (scene, env) must outlive it. */
games *games_new(store *st, const games_hooks *hooks, void *ud);
/* From now on rooms go to home's workers (call before net_run; home: the loop net_run
 * runs). Without this, or with one loop, every room runs on the caller's loop. */
void games_use_loops(games *gs, net *home);
/* net_run has returned (call before net_destroy): the workers have ended, and what they
 * ran is the caller's to touch; net is not touched again. */
void games_loops_ended(games *gs);
/* After every game has been freed (game_free). */
void games_free(games *gs);

/* A game for cfg's group. conns[s]: the connection of human seat s (NULL: none). The
 * strings cfg names are copied. NULL when out of memory. */
game *game_start(games *gs, const room_config *cfg, net_conn *const conns[ENV_MAX_PLAYERS],
                 loop_time now);
/* An INPUT that reached the owner (one that a worker's room reads itself never does).
 * -1: a protocol error from a room on this loop; a room elsewhere answers through
 * input_refused. */
int game_input(game *g, int seat, const input_msg *in, loop_time now);
void game_seat_disconnected(game *g, int seat, loop_time now);
/* The person is back, on c (a connection on home: it follows them to their game's loop). */
void game_seat_reconnected(game *g, int seat, net_conn *c, loop_time now);
void game_seat_visibility(game *g, int seat, bool visible, loop_time now);
void game_seat_remove(game *g, int seat, seat_removal why, loop_time now);
/* Server shutdown, after net_run: the episode is saved as cut (room_abort). */
void game_abort(game *g, game_end why, loop_time now);
void game_free(game *g);

/* Home's own rooms: their deadlines, once a tick; what they confirmed, at the end of each
 * pass. */
void games_tick(games *gs, loop_time now);
void games_flush(games *gs, loop_time now);

const char *game_id(const game *g);
const char *game_scene(const game *g);
/* Where the room runs: 0 home, else a worker. */
int game_loop(const game *g);
/* As room_episode, room_frame, room_get_stats: exact on home, up to a second old for a
 * room on a worker. */
int game_episode(const game *g);
uint32_t game_frame(const game *g);
room_stats game_stats(const game *g);

#endif
