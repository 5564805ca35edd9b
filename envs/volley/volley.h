/*
 * volley/slime: two-player slime volleyball in integer fixed-point physics.
 *
 * World units: the court is VOLLEY_W wide, y points up from the floor (y = 0). Positions
 * and velocities are Q8 fixed point (VOLLEY_ONE = 1 unit) in int32; products use int64,
 * square roots fx_isqrt64 (envs/fixed.h), so x86-64 and wasm32 compute the very same
 * numbers.
 *
 * Player 0 is the left slime, player 1 the right one; the net stands at VOLLEY_NET_X.
 * Actions (screen directions for both players): 0 stay, 1 left, 2 right, 3 jump,
 * 4 jump+left, 5 jump+right. Any other value is 0 stay.
 *
 * One step is VOLLEY_TICKS physics ticks with the same action. Per tick: each slime
 * moves (walking speed, a jump from the floor, gravity, kept inside its half), then the
 * ball moves (gravity; bounces off the side walls, the net and both slimes, elastically
 * relative to the slime's own motion, speed capped at VOLLEY_BALL_VMAX). A slime is a half
 * disc with a flat bottom. When the ball touches the floor the rally ends: the player on
 * the other side scores (+1 reward, the other -1) and serves next. At a new rally both
 * slimes go back to their start and the ball hangs above the server for
 * VOLLEY_SERVE_WAIT steps, then drops with a small random sideways speed drawn from the
 * PRNG in the state (the seed also picks the first server). The episode terminates when
 * a player reaches VOLLEY_WIN_SCORE, and is truncated at the horizon. Stepping a finished
 * episode changes nothing and reports the end again.
 */
#ifndef COHORT_ENV_VOLLEY_H
#define COHORT_ENV_VOLLEY_H

#include "env.h"

#define VOLLEY_ONE 256
#define VOLLEY_W 1000
#define VOLLEY_NET_X 500
#define VOLLEY_NET_HW 5
#define VOLLEY_NET_H 90
#define VOLLEY_SLIME_R 50
#define VOLLEY_BALL_R 14
#define VOLLEY_CEIL 2000 /* the ball bounces off an invisible ceiling this high */
#define VOLLEY_TICKS 4
#define VOLLEY_SLIME_VX 896    /* Q8 per tick */
#define VOLLEY_SLIME_JUMP 1584 /* Q8 per tick */
#define VOLLEY_SLIME_G 33      /* Q8 per tick per tick */
#define VOLLEY_BALL_G 14       /* Q8 per tick per tick */
#define VOLLEY_BALL_VMAX 1300  /* Q8 per tick */
#define VOLLEY_SERVE_WAIT 20   /* steps */
#define VOLLEY_SERVE_Y 300
#define VOLLEY_WIN_SCORE 7
#define VOLLEY_HORIZON 3600
#define VOLLEY_VIEW_W 1000
#define VOLLEY_VIEW_H 500
#define VOLLEY_GROUND_Y 440 /* view y of the floor */

enum { VOLLEY_STAY, VOLLEY_LEFT, VOLLEY_RIGHT, VOLLEY_JUMP, VOLLEY_JUMP_LEFT, VOLLEY_JUMP_RIGHT };
enum { VOLLEY_INFO_SCORE0, VOLLEY_INFO_SCORE1, VOLLEY_INFO_HITS0, VOLLEY_INFO_HITS1,
       VOLLEY_INFO_RALLIES, VOLLEY_NINFO };

typedef struct {
    int32_t x, y, vx, vy; /* Q8; a slime's x,y is the centre of its flat bottom */
} volley_body;

/* The whole game state: 104 bytes, the same on every target. */
typedef struct {
    uint64_t rng;         /* xorshift64* state */
    uint64_t seed;        /* as given to reset */
    uint32_t t;           /* steps taken */
    uint32_t horizon;
    int32_t score[2];
    uint32_t hits[2];     /* ball touches by each player */
    uint32_t rallies;     /* points played */
    uint32_t serve_wait;  /* steps until the ball drops (0: in play) */
    uint8_t server;       /* who serves this rally */
    uint8_t done;         /* someone reached VOLLEY_WIN_SCORE */
    uint8_t last_hit;     /* who touched the ball last (2: nobody yet) */
    uint8_t contact;      /* bit i: the ball touched slime i in the last tick */
    volley_body slime[2];
    volley_body ball;
    uint32_t pad2;
} volley_state;

_Static_assert(sizeof(volley_state) == 104, "volley_state must be the same on every target");
_Static_assert(offsetof(volley_state, t) == 16, "volley_state layout");
_Static_assert(offsetof(volley_state, server) == 48, "volley_state layout");
_Static_assert(offsetof(volley_state, slime) == 52, "volley_state layout");
_Static_assert(offsetof(volley_state, ball) == 84, "volley_state layout");

/* One tick of ball flight: gravity, walls, ceiling and net (no slimes). Returns 1 when
 * the ball touches the floor. Used by the step and by the tracker's prediction. */
int volley_ball_tick(volley_body *b);
/* Bring any state into the ranges the physics relies on (no-op for reachable states). */
void volley_sanitize(volley_state *s);

uint32_t volley_family_count(void);
const env_def *volley_family_at(uint32_t i);

void volley_render(const void *state, env_drawlist *out);
/* The state description (describe.c). */
uint32_t volley_fields(uint32_t i, env_field *out);
uint32_t volley_decode(const void *state, int32_t *values, uint32_t cap);
int32_t volley_policy(uint32_t policy_index, const void *state, uint32_t seat);

#endif
