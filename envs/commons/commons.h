/*
 * commons/harvest: the commons-harvest social dilemma for four players (Perolat et al.
 * 2017, "A multi-agent reinforcement learning model of common-pool resource
 * appropriation"; Leibo et al. 2017, "Multi-agent reinforcement learning in sequential
 * social dilemmas"), in integer-only, freestanding C.
 *
 * The grid is COMMONS_W x COMMONS_H cells (commons.c's map): five orchard patches, four
 * diamonds and a small square in the middle, where apples stand and grow; players start
 * in the four corners, player k at corner k (top left, top right, bottom left, bottom
 * right). Every orchard cell holds an apple at reset.
 *
 * Actions: 0 up, 1 down, 2 left, 3 right, 4 stay, 5 tag; any other value is stay.
 *
 * One step, in this order:
 *   1. Players tagged out count down; one whose time is up comes back at its corner, if
 *      no active player stands there (else it tries again next step).
 *   2. Every active player acts, in a rotating order (player t mod 4 first, then the next
 *      seats), so no seat always wins a contested cell:
 *      - a move turns the player to face that way and, unless it moved in the last
 *        COMMONS_MOVE_STEPS - 1 steps or its beam is showing, steps one cell that way when
 *        the cell is inside the grid and no active player stands on it;
 *      - stepping onto an apple eats it: reward +1 to that player (the only reward);
 *      - tag, when the player has not tagged in the last COMMONS_TAG_COOLDOWN steps, fires a
 *        beam COMMONS_TAG_RANGE cells ahead and COMMONS_TAG_WIDTH cells wide (centred on
 *        the player's row or column); every other active player in it is tagged out for
 *        COMMONS_TAG_OUT steps (off the grid, actions ignored). The beam shows for
 *        COMMONS_BEAM_STEPS steps, during which its player stands still. Tagging costs and
 *        pays nothing.
 *   3. Apples regrow: each orchard cell with no apple and no active player on it gets one
 *      with probability P(n) per step, n = the apples within distance 2 (dx*dx + dy*dy <=
 *      4, the cell itself excluded): P = 0 for n = 0, COMMONS_P_FEW/10000 for n = 1-2,
 *      COMMONS_P_SOME/10000 for n = 3-4, COMMONS_P_MANY/10000 for n >= 5. A patch eaten bare
 *      never grows back: that is the tragedy of the commons. The draws come from a
 *      xorshift64* generator in the state, seeded from the episode seed.
 * The episode terminates when no apple is left anywhere (nothing can grow again), and is
 * truncated at the horizon (default COMMONS_HORIZON steps: 60 s at 30 fps). Stepping a
 * finished episode changes nothing and reports the end again.
 *
 * Info fields: apples (standing now), eaten (by everyone so far), tags (hits so far),
 * out (players tagged out now).
 *
 * Policies (policy.c): `sustainable` walks to the nearest apple that has at least
 * COMMONS_KEEP other apples within distance 2, so it never eats a patch's last apples and
 * waits when only such apples are left; `greedy` walks to the nearest apple, whatever it
 * leaves. Neither tags.
 */
#ifndef COHORT_ENV_COMMONS_H
#define COHORT_ENV_COMMONS_H

#include "env.h"

#define COMMONS_W 18
#define COMMONS_H 12
#define COMMONS_CELLS (COMMONS_W * COMMONS_H)
#define COMMONS_PLAYERS 4
#define COMMONS_MOVE_STEPS 4   /* at most one cell per 4 steps: 7.5 cells/s at 30 fps */
#define COMMONS_TAG_RANGE 5
#define COMMONS_TAG_WIDTH 3
#define COMMONS_TAG_OUT 150    /* 5 s at 30 fps */
#define COMMONS_TAG_COOLDOWN 30
#define COMMONS_BEAM_STEPS 5
#define COMMONS_P_FEW 10       /* regrowth per step, in 1/10000 */
#define COMMONS_P_SOME 30
#define COMMONS_P_MANY 60
#define COMMONS_KEEP 2
#define COMMONS_HORIZON 1800
#define COMMONS_CELL_PX 40     /* view units per cell */
#define COMMONS_HUD_H 40
#define COMMONS_VIEW_W (COMMONS_W * COMMONS_CELL_PX)
#define COMMONS_VIEW_H (COMMONS_HUD_H + COMMONS_H * COMMONS_CELL_PX)

enum { COMMONS_UP, COMMONS_DOWN, COMMONS_LEFT, COMMONS_RIGHT, COMMONS_STAY, COMMONS_TAG,
       COMMONS_NACTIONS };
enum { COMMONS_INFO_APPLES, COMMONS_INFO_EATEN, COMMONS_INFO_TAGS, COMMONS_INFO_OUT,
       COMMONS_NINFO };

typedef struct {
    uint8_t x, y;
    uint8_t facing;     /* COMMONS_UP .. COMMONS_RIGHT */
    uint8_t out;        /* steps until it comes back (0: on the grid) */
    uint8_t move_wait;  /* steps until it may move again */
    uint8_t tag_wait;   /* steps until it may tag again */
    uint8_t beam;       /* steps its beam still shows */
    uint8_t pad;
    int32_t eaten;      /* apples eaten this episode */
    uint16_t tags;      /* players it tagged out */
    uint16_t tagged;    /* times it was tagged out */
} commons_player;

/* The whole game state: 312 bytes, the same on every target. */
typedef struct {
    uint64_t rng;       /* xorshift64* state */
    uint64_t seed;      /* as given to reset */
    uint32_t t;         /* steps taken */
    uint32_t horizon;
    uint32_t eaten;     /* by everyone */
    uint32_t tags;      /* tag hits by everyone */
    commons_player p[COMMONS_PLAYERS];
    uint8_t apple[COMMONS_CELLS]; /* 1: an apple stands on cell y * COMMONS_W + x */
} commons_state;

_Static_assert(sizeof(commons_player) == 16, "commons_player layout");
_Static_assert(sizeof(commons_state) == 312, "commons_state must be the same on every target");
_Static_assert(offsetof(commons_state, p) == 32, "commons_state layout");
_Static_assert(offsetof(commons_state, apple) == 96, "commons_state layout");

/* 1 for a cell where apples grow. */
int commons_orchard(int x, int y);
/* Apples within distance 2 of (x, y), the cell itself excluded. */
int commons_neighbours(const commons_state *s, int x, int y);
/* Bring any bytes into the ranges the rules rely on (no-op for reachable states). */
void commons_sanitize(commons_state *s);

uint32_t commons_family_count(void);
const env_def *commons_family_at(uint32_t i);

void commons_render(const void *state, env_drawlist *out);
uint32_t commons_fields(uint32_t i, env_field *out);
uint32_t commons_decode(const void *state, int32_t *values, uint32_t cap);
int32_t commons_policy(uint32_t policy_index, const void *state, uint32_t seat);

#endif
