/*
 * The cohort environment ABI.
 *
 * An environment is plain C with no libc, no floats and no pointers in its state. Its
 * state is one fixed-size struct of fixed-width integers whose bytes are identical on
 * x86-64 and wasm32, so the server and every browser can hash it, snapshot it with a
 * byte copy and send it over the wire. The same sources compile into the server and into
 * build/web/envs/FAMILY.wasm.
 *
 * Only <stdint.h> and <stddef.h> may be included: both are freestanding headers.
 */
#ifndef COHORT_ENV_H
#define COHORT_ENV_H

#include <stddef.h>
#include <stdint.h>

#define ENV_MAX_PLAYERS 4
#define ENV_MAX_INFO 8
#define ENV_MAX_POLICIES 4
#define ENV_MAX_DRAW 512
#define ENV_TEXT_LEN 24

/* What one step produced. Rewards are integers (fixed point if an env needs fractions). */
typedef struct {
    int32_t rewards[ENV_MAX_PLAYERS];
    uint8_t terminated; /* the game reached a natural end */
    uint8_t truncated;  /* the step limit was reached */
    uint8_t pad[2];
    int32_t info[ENV_MAX_INFO]; /* values of the env's named info fields */
} env_step_out;

enum { DRAW_RECT = 1, DRAW_CIRCLE = 2, DRAW_SPRITE = 3, DRAW_TEXT = 4 };

/*
 * One draw command in view units (the env's view_w x view_h box; the browser scales it to
 * its canvas). RECT: x,y,w,h. CIRCLE: centre x,y, radius w. SPRITE: sprite id in `id`,
 * box x,y,w,h, facing/variant in `h2`. TEXT: text at x,y, pixel height h.
 * Colours are 0xRRGGBBAA.
 */
typedef struct {
    uint8_t kind;
    uint8_t variant;
    uint16_t id;
    uint32_t color;
    int32_t x, y, w, h;
    char text[ENV_TEXT_LEN];
} env_draw;

typedef struct {
    uint32_t count;
    env_draw items[ENV_MAX_DRAW];
} env_drawlist;

typedef struct env_def {
    const char *name;        /* "cooking/cramped_room" */
    uint32_t players;
    uint32_t actions;        /* valid actions are 0 .. actions-1 (at most 256) */
    uint32_t default_action; /* used for a missing input and any out-of-range action */
    uint32_t state_size;     /* sizeof the state struct */
    uint32_t horizon;        /* default step limit when reset is given 0 */
    uint32_t ninfo;
    const char *info_names[ENV_MAX_INFO];
    int32_t view_w, view_h;
    const char *action_names[16];

    /* horizon: steps until `truncated` (0 = the env's default). */
    void (*reset)(void *state, uint64_t seed, uint32_t horizon);
    /* actions: one per player; any int32 value is safe. */
    void (*step)(void *state, const int32_t *actions, env_step_out *out);
    void (*render)(const void *state, env_drawlist *out);

    uint32_t npolicies;
    const char *policy_names[ENV_MAX_POLICIES];
    /* Scripted AI: the action `seat` takes in `state`. Deterministic; may be NULL. */
    int32_t (*policy)(uint32_t policy_index, const void *state, uint32_t seat);
} env_def;

/* A fixed 64-bit hash (FNV-1a) of the state bytes; the same on every target. */
uint64_t env_hash(const void *state, uint32_t size);

#endif
