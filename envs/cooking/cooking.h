/*
 * cooking: an Overcooked-style gridworld for two chefs ("cooking/LAYOUT").
 *
 * Tiles (grid characters): ' ' floor, 'X' counter, 'O' onion dispenser, 'D' dish
 * dispenser, 'P' pot, 'S' serving window; '1' and '2' are floor where chef 0 and chef 1
 * start. Only floor can be walked on; outside the grid is a wall.
 *
 * Actions: 0 up, 1 down, 2 left, 3 right, 4 stay, 5 interact. Any other value is 4 stay.
 * A direction turns the chef that way and moves it one cell if that cell is floor.
 * Interact acts on the tile the chef faces:
 *   counter           empty hands take its item; an item is put down if the counter is empty
 *   onion dispenser   empty hands take an onion
 *   dish dispenser    empty hands take a dish
 *   pot               an onion goes in if it holds fewer than 3; the third onion starts
 *                     cooking, and the soup is ready COOKING_COOK_TIME steps later; a dish
 *                     takes a ready soup out (the chef then holds a soup, the pot is empty)
 *   serving window    a soup is served: reward COOKING_SOUP_REWARD to the chef who serves
 *                     it (as Overcooked-AI credits it), so the team's reward is the sum
 *                     of the two chefs' rewards and each soup counts once
 *
 * One step, in this fixed order:
 *   1. interactions, chef 0 first then chef 1 (so chef 0 wins a race for the same item,
 *      counter or last pot slot);
 *   2. turning, then movement: each chef's target is its neighbour cell if that is floor,
 *      else its own cell. If both targets are the same cell, or the chefs would swap
 *      cells, neither moves (both still turn). Otherwise both move, so a chef may step
 *      into the cell the other one is leaving in the same step;
 *   3. every cooking pot advances one step;
 *   4. t increases; at t == horizon the step reports truncated. Stepping a finished
 *      episode changes nothing and reports truncated again.
 * There is no randomness: the seed is only recorded in the state.
 */
#ifndef COHORT_ENV_COOKING_H
#define COHORT_ENV_COOKING_H

#include "env.h"

#define COOKING_MAX_CELLS 64 /* w*h of the largest layout, rounded up */
#define COOKING_COOK_TIME 20
#define COOKING_SOUP_REWARD 20
#define COOKING_HORIZON 400
#define COOKING_NLAYOUTS 6 /* the five of the benchmark, then counter_circuit_site2019 */
#define COOKING_TILE_PX 64 /* view units per cell */
#define COOKING_HUD_PX 48  /* score bar under the grid */

enum { COOK_UP = 0, COOK_DOWN = 1, COOK_LEFT = 2, COOK_RIGHT = 3, COOK_STAY = 4, COOK_INTERACT = 5 };
enum { ITEM_NONE = 0, ITEM_ONION = 1, ITEM_DISH = 2, ITEM_SOUP = 3 };
enum { TILE_FLOOR = 0, TILE_COUNTER, TILE_ONION, TILE_DISH, TILE_POT, TILE_SERVE, TILE_WALL };
enum { COOKING_INFO_SCORE, COOKING_INFO_SOUPS, COOKING_INFO_SERVED0, COOKING_INFO_SERVED1,
       COOKING_INFO_POTTED0, COOKING_INFO_POTTED1, COOKING_NINFO };

typedef struct {
    uint8_t x, y;  /* cell */
    uint8_t dir;   /* facing: COOK_UP .. COOK_RIGHT */
    uint8_t held;  /* ITEM_* */
} cooking_chef;

/* The whole game state: 184 bytes, the same on every target. */
typedef struct {
    uint64_t seed;           /* as given to reset; not used by the rules */
    uint32_t layout;         /* index into the layout table */
    uint32_t t;              /* steps taken */
    uint32_t horizon;        /* step limit */
    int32_t score;           /* team score: COOKING_SOUP_REWARD per soup */
    uint32_t soups_served;
    uint32_t served[2];      /* soups served by each chef */
    uint32_t potted[2];      /* onions put into pots by each chef */
    uint8_t bumped[2];       /* 1 if the chef's last move was cancelled by the other chef */
    uint8_t pad[2];
    cooking_chef chef[2];
    uint8_t item[COOKING_MAX_CELLS]; /* counter: ITEM_* on it; pot: onions in it (0..3) */
    uint8_t cook[COOKING_MAX_CELLS]; /* pot with 3 onions: steps cooked (ready at COOK_TIME) */
} cooking_state;

_Static_assert(sizeof(cooking_state) == 184, "cooking_state must be the same on every target");
_Static_assert(offsetof(cooking_state, layout) == 8, "cooking_state layout");
_Static_assert(offsetof(cooking_state, bumped) == 44, "cooking_state layout");
_Static_assert(offsetof(cooking_state, chef) == 48, "cooking_state layout");
_Static_assert(offsetof(cooking_state, item) == 56, "cooking_state layout");
_Static_assert(offsetof(cooking_state, cook) == 120, "cooking_state layout");

typedef struct {
    const char *name; /* "cramped_room" */
    uint8_t w, h;
    const char *grid; /* w*h characters, row by row */
    /* overcooked_ai's layout file of this grid: at 6eaceb0a ("simple"), and now */
    const char *oc_layout_2019, *oc_layout;
} cooking_layout;

extern const cooking_layout cooking_layouts[COOKING_NLAYOUTS];

/* The layout of a state (an invalid index reads as layout 0). */
const cooking_layout *cooking_layout_of(const cooking_state *s);
/* Tile at x,y: TILE_WALL outside the grid. */
int cooking_tile(const cooking_layout *L, int x, int y);
/* The cell a chef facing `dir` from x,y looks at. */
void cooking_front(int x, int y, int dir, int *fx, int *fy);
int cooking_pot_ready(const cooking_state *s, int cell);

/* The family: cooking/cramped_room, ... in layout order. */
uint32_t cooking_family_count(void);
const env_def *cooking_family_at(uint32_t i);

void cooking_render(const void *state, env_drawlist *out);
/* The state description (describe.c): fields of a layout, and a state's values. */
uint32_t cooking_fields(uint32_t layout, uint32_t i, env_field *out);
/* A state's values in the fields of layout `layout`, whatever layout the state names. */
uint32_t cooking_decode(uint32_t layout, const void *state, int32_t *values, uint32_t cap);
int32_t cooking_policy(uint32_t policy_index, const void *state, uint32_t seat);

/*
 * Observations (observe.c): the state encoded as Overcooked-AI's trained agents see it.
 *   0 "lossless2019"  overcooked_ai's lossless_state_encoding at commit 6eaceb0a, the one
 *                     the 2019 PPO/PBT agents were trained with: w x h x 20
 *   1 "lossless"      the current overcooked_ai's lossless_state_encoding (26 channels,
 *                     tomato channels zero, old dynamics): w x h x 26
 * `seat` is the primary agent, whose layers come first. A state whose layout is not
 * `layout` gives 0 values (observe.c says how each state maps onto overcooked_ai's).
 */
enum { COOKING_OBS_LOSSLESS2019 = 0, COOKING_OBS_LOSSLESS = 1, COOKING_NOBS = 2 };
#define COOKING_OBS2019_CHANNELS 20
#define COOKING_OBS_CHANNELS 26
#define COOKING_URGENCY_STEPS 40 /* "lossless": urgency is 1 when fewer steps are left */
uint32_t cooking_observe(uint32_t layout, uint32_t k, const void *state, uint32_t seat,
                         int32_t *out, uint32_t cap);

#endif
