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

/* Seats of one game. The per-seat arrays of env_step_out and of the store's frame rows are
 * this wide; the wire carries the game's own seat count (docs/PROTOCOL.md). */
#define ENV_MAX_PLAYERS 8
#define ENV_MAX_INFO 8
#define ENV_MAX_POLICIES 4
#define ENV_MAX_DRAW 512
#define ENV_TEXT_LEN 24
#define ENV_MAX_FIELDS 128 /* decoded state fields (columns) of one env */
#define ENV_FIELD_NAME 32
#define ENV_MAX_OBS 4            /* named observation encodings of one env */
#define ENV_MAX_OBS_VALUES 16384 /* int32 values of one observation, at most */

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

/*
 * State description (docs/DESIGN.md section 7): the fields a state decodes into, one
 * integer each, so that exports and codebooks come from the env itself. A field is one
 * column of an exported frame table.
 *   INT   a count, coordinate or fixed-point number in `unit`, within min..max
 *   ENUM  a code within min..max; labels[v - min] names value v (nlabels = max - min + 1)
 *   BOOL  0 or 1
 */
enum { ENV_FIELD_INT = 0, ENV_FIELD_ENUM = 1, ENV_FIELD_BOOL = 2 };

typedef struct {
    char name[ENV_FIELD_NAME]; /* column name: [a-z0-9_.], unique within the env */
    uint32_t type;             /* ENV_FIELD_* */
    int32_t min, max;          /* decode of any state that reset and step can reach gives
                                  a value within min..max */
    const char *unit;          /* "cell", "1/256 world unit", "step", "" for none */
    const char *meaning;       /* one sentence for the codebook */
    uint32_t nlabels;          /* ENUM only */
    const char *const *labels;
} env_field;

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

    /* ---- Description for exports and codebooks (all may be NULL / 0) ---- */
    /* Reward convention: what rewards[k] pays seat k for. Every env credits each reward
     * to the seat that earned it, so that the team's reward is the plain sum of the
     * seats' rewards (never the same points counted for two seats). */
    const char *reward_meaning;
    const char *info_meanings[ENV_MAX_INFO]; /* one sentence per info field */
    /* The state's fields: returns how many there are (at most ENV_MAX_FIELDS) and, when
     * i is below that, fills *out with field i. Deterministic, freestanding. */
    uint32_t (*fields)(uint32_t i, env_field *out);
    /* Decodes a state into its field values, in field order, at most `cap` of them;
     * returns how many it wrote. Reads the state only; any bytes are safe. */
    uint32_t (*decode)(const void *state, int32_t *values, uint32_t cap);

    /* ---- Observations for trained agents (all may be 0 / NULL) ---- */
    /* A game may encode its state the way a published agent was trained to see it, so that
     * the browser (wasm) and the server (native) feed the agent identical tensors. Each
     * observation k has a name ("lossless2019") and dims [width (x), height (y), channels];
     * dims[0] * dims[1] * dims[2] is at most ENV_MAX_OBS_VALUES. */
    uint32_t nobs;
    const char *obs_names[ENV_MAX_OBS];
    uint32_t obs_dims[ENV_MAX_OBS][3];
    /* Writes observation k of `state` as seen by `seat` into out: dims[0]*dims[1]*dims[2]
     * int32 values, index ((x * height) + y) * channels + c. Returns how many it wrote: 0
     * if k or seat is out of range, cap is too small, or the state is not one of this env
     * (the env says which). Deterministic; reads the state only; any bytes are safe. */
    uint32_t (*observe)(uint32_t k, const void *state, uint32_t seat, int32_t *out, uint32_t cap);
} env_def;

/* A fixed 64-bit hash (FNV-1a) of the state bytes; the same on every target. */
uint64_t env_hash(const void *state, uint32_t size);

/* Freestanding helpers for building field names (envs/describe.c): append text or a
 * decimal integer to a NUL-terminated name, cutting at ENV_FIELD_NAME - 1 characters. */
void env_name_add(char *name, const char *text);
void env_name_add_int(char *name, int32_t v);
/* Fills *out with name prefix + suffix; a helper for `fields` functions. labels is used
 * for ENV_FIELD_ENUM only (max - min + 1 of them). */
void env_field_set(env_field *out, const char *prefix, const char *suffix, uint32_t type,
                   int32_t min, int32_t max, const char *unit, const char *meaning,
                   const char *const *labels);

#endif
