/*
 * Experiment files (docs/DESIGN.md section 4): loading and validation.
 *
 * config_load reads one YAML file into an `experiment`. Any problem yields a message
 * "FILE:LINE:COL: what was expected" and no experiment. The loader never calls into the
 * env registry directly: the caller passes hooks, so tests can use fakes.
 */
#ifndef COHORT_CONFIG_H
#define COHORT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/names.h"

#define CFG_MAX_SEATS 8 /* ENV_MAX_PLAYERS: a game of up to eight seats */
#define CFG_MAX_TEXTS 64
#define CFG_TEXT_LEN 1024
#define CFG_LANG_LEN 36
#define CFG_MAX_KEYS 32
#define CFG_MAX_PARAMS 8
/* The scene table holds every scene once per repetition (`repeat:`) and per condition
 * variant; one participant's route holds at most CFG_MAX_ROUTE of them. */
#define CFG_MAX_SCENES 128
#define CFG_MAX_ROUTE 64
#define CFG_MAX_CONDITIONS 16
#define CFG_MAX_PLAN 256
#define CFG_ID_LEN 64
#define CFG_PATH_LEN 1024

typedef enum { SCENE_PAGE, SCENE_GAME } scene_kind;
typedef enum { QUIZ_EXCLUDE, QUIZ_RETRY } quiz_on_fail;
/* SEAT_AI: a scripted policy of the env, run by the server. SEAT_MODEL: a trained model,
 * run in the browser of the game's first human seat (docs/AGENTS.md). */
typedef enum { SEAT_HUMAN, SEAT_AI, SEAT_MODEL } seat_kind;
typedef enum { DROP_END, DROP_DEFAULT, DROP_AI } drop_policy;
typedef enum { MATCH_FIFO, MATCH_LATENCY_FIFO } matchmaker_kind;
typedef enum { WAITROOM_END } waitroom_on_timeout; /* `end`: outcome waitroom_timeout */
/* identity.resume_without_token: may a hello that names a known subject but lacks its
 * token take that participant over? (src/flow/identity.h has the whole rule.) */
typedef enum {
    RESUME_UNTIL_GAME, /* default: only while they are away and have not started a game */
    RESUME_NEVER       /* never: another browser needs the token */
} resume_policy;

/* limits: what one study holds in memory (src/flow, docs/EXPERIMENTS.md "Limits"). */
#define CFG_DEFAULT_PARTICIPANTS 200000
#define CFG_DEFAULT_UNACTED 10000
#define CFG_DEFAULT_UNACTED_EXPIRY_S 600
typedef struct {
    int participants;     /* everyone held at once, recorded or not; 1..1000000 */
    int unacted;          /* of whom not yet acted (nothing on disk); 1..participants */
    int unacted_expiry_s; /* a disconnected one who never acted is forgotten; 10..86400 */
} limits_spec;

/* require: what a participant's device must offer, checked before the first scene
 * (src/flow/screen.h; docs/EXPERIMENTS.md "Device requirements"). All off by default. */
#define CFG_MAX_WINDOW_PX 10000
typedef struct {
    bool desktop;          /* no phone or tablet */
    bool keyboard;         /* a mouse or trackpad as the main input: a keyboard is likely */
    int min_width;         /* the window's inner size, CSS pixels; both 0 = no minimum, */
    int min_height;        /* else both 1..CFG_MAX_WINDOW_PX */
} require_spec;

/* A trained model in a seat (docs/AGENTS.md). */
#define CFG_URL_LEN 256
#define CFG_MAX_MODEL_ACTIONS 16
#define CFG_MAX_MODEL_BYTES (64 * 1024 * 1024)
typedef enum { MODEL_TFJS, MODEL_ONNX } model_format;
typedef enum { PICK_ARGMAX, PICK_SAMPLE } model_pick;
typedef struct {
    char url[CFG_URL_LEN];   /* what browsers fetch: /models/... (shipped) or /pages/... */
    model_format format;
    char obs[CFG_ID_LEN];    /* the env observation it reads: "lossless2019" */
    int nactions;
    int8_t actions[CFG_MAX_MODEL_ACTIONS]; /* model output i -> env action */
    model_pick pick;         /* argmax (the 2019 site's rule), or a seeded sample */
} model_spec;

typedef struct {
    seat_kind kind;
    char policy[CFG_ID_LEN]; /* SEAT_AI: "greedy"; SEAT_MODEL: as written ("ppo_sp", or the
                                model file's path) */
    model_spec model;        /* SEAT_MODEL */
} seat_spec;

typedef struct {
    char key[CFG_ID_LEN]; /* KeyboardEvent.key: "ArrowUp", " ", "w" */
    int32_t action;
} key_binding;

/* game.input: what a key press is (docs/EXPERIMENTS.md "Games"). */
typedef enum {
    INPUT_HELD, /* default: each step takes the key held then (a tap between steps counts once) */
    INPUT_PRESS /* each keydown is one action for the next step; a step with none stays */
} input_mode;

typedef struct {
    char env[CFG_ID_LEN];            /* "cooking/cramped_room" */
    int nseats;
    seat_spec seats[CFG_MAX_SEATS];
    int humans;                      /* number of SEAT_HUMAN seats (>= 1) */
    /* The step clock: `fps` frames a second or one step every `step_ms` ms, never both.
     * Exactly one is non-zero (neither in the file: fps 30). game_frames_at and
     * game_ms_for read it as an exact rate; nothing rounds it to a period. */
    int fps;                         /* 1..120, 0 when step_ms is set */
    int step_ms;                     /* 8..2000, 0 when paced by fps */
    input_mode input;                /* default INPUT_HELD */
    int episodes;                    /* 1..1000, default 1 */
    int max_steps;                   /* 1..1000000, default: the env's horizon */
    int input_delay;                 /* 0..30 frames, default 2 */
    int confirm_window;              /* 1..300 frames, default 15 */
    int prediction_limit;            /* > confirm_window, default 2 * confirm_window */
    int countdown_s;                 /* before each episode, 0..60, default 3 */
    int nkeys;
    key_binding keys[CFG_MAX_KEYS];  /* default: arrows, space (env actions 0..4) */
} game_spec;

/* The step clock as an exact rate, frames per millisecond = num / den: fps F is F/1000,
 * step_ms S is 1/S. A spec with neither (a test's hand-made one) counts as 30 fps. */
typedef struct {
    int64_t num, den;
} game_rate;
static inline game_rate game_spec_rate(const game_spec *g)
{
    if (g->step_ms > 0)
        return (game_rate){1, g->step_ms};
    return (game_rate){g->fps > 0 ? g->fps : 30, 1000};
}
/* The frames the clock has reached ms milliseconds into an episode (rounded down). */
static inline int64_t game_frames_at(const game_spec *g, int64_t ms)
{
    game_rate r = game_spec_rate(g);
    return ms * r.num / r.den;
}
/* How long `frames` steps take, in ms (rounded down). */
static inline int64_t game_ms_for(const game_spec *g, int64_t frames)
{
    game_rate r = game_spec_rate(g);
    return frames * r.den / r.num;
}
static inline const char *input_mode_name(input_mode m)
{
    return m == INPUT_PRESS ? "press" : "held";
}

/* A page scene's `quiz:` (docs/EXPERIMENTS.md "Comprehension quizzes"), graded on the
 * server when the participant advances; the answers never leave it. */
#define CFG_MAX_QUIZZES 16
#define CFG_MAX_QUIZ_ANSWERS 32
#define CFG_QUIZ_VALUE_LEN 256
#define CFG_QUIZ_DEFAULT_ATTEMPTS 3
#define CFG_QUIZ_MAX_ATTEMPTS 100
typedef enum {
    QUIZ_FIELD_TEXT,     /* text, number, textarea...: trimmed, case-insensitive; numbers by value */
    QUIZ_FIELD_CHOICE,   /* a radio group or a select: exactly the option's value */
    QUIZ_FIELD_CHECKBOX, /* one checkbox: "true" or "false" */
    QUIZ_FIELD_SET       /* checkboxes sharing a name, a multiple select: the checked set */
} quiz_field_kind;
/* partners: a game scene that seats the groups of an earlier game scene together again
 * (docs/EXPERIMENTS.md "Same partners", src/lobby/party.h). */
typedef enum {
    PARTNERS_REGROUP, /* default: whoever is left is matched afresh in this scene */
    PARTNERS_END      /* whoever is left ends with outcome partner_dropped */
} partners_if_gone;
#define CFG_DEFAULT_PARTNERS_WAIT_S 60
typedef struct {
    bool keep;                       /* false: ordinary matching (the default) */
    int same_as;                     /* the earlier game scene's index */
    int wait_s;                      /* from the first member's arrival, 1..3600 */
    partners_if_gone if_gone;
} partners_spec;

typedef struct {
    char field[CFG_ID_LEN];          /* the form field's name */
    quiz_field_kind kind;            /* from the page's HTML */
    char value[CFG_QUIZ_VALUE_LEN];  /* QUIZ_FIELD_SET: the values joined by ',' */
} quiz_answer;
typedef struct {
    int nanswers;
    quiz_answer answers[CFG_MAX_QUIZ_ANSWERS];
    char feedback[CFG_TEXT_LEN];     /* after a wrong attempt; "" = the text quiz_feedback */
    bool show_wrong;                 /* tell the browser which fields were wrong; default true */
    int max_attempts;                /* 1..100, default 3 */
    quiz_on_fail on_fail;            /* default exclude (outcome quiz_failed) */
    int retry_from;                  /* QUIZ_RETRY: scene index gone back to; default the quiz's */
} quiz_spec;

typedef struct {
    char id[CFG_ID_LEN];             /* [A-Za-z0-9_-]+, unique in the file; a repetition's
                                        is the written id and "-N" (round-1, round-2...) */
    scene_kind kind;
    /* Where it stands in the design: `base` is the index of the scene it is a variant of
     * (itself for a base scene); `condition` the condition it belongs to, -1 for a scene
     * every condition shares. Variants share their base's id. */
    int base;
    int condition;
    bool exit_only;                  /* from exit_scenes: reached only after an outcome */
    char page[CFG_PATH_LEN];         /* absolute path, resolved against the file's folder;
                                        empty if none (a game scene may have no page) */
    bool form;
    int quiz;                        /* page scenes: 1 + index into x->quizzes; 0 = no quiz */
    /* game scenes only: */
    game_spec game;
    int waitroom_timeout_s;          /* default 180 */
    waitroom_on_timeout waitroom_on_timeout;
    matchmaker_kind matchmaker;      /* default fifo */
    int max_rtt_ms;                  /* latency_fifo: default 250 */
    drop_policy on_partner_drop;     /* default end */
    char drop_ai[CFG_ID_LEN];        /* DROP_AI: policy name */
    int reconnect_grace_s;           /* default 10 */
    int focus_loss_timeout_s;        /* default 30; 0 = never exclude */
    int inactivity_timeout_s;        /* default 0 = off */
    int no_input_timeout_s;          /* no person's input reaches the room this long: the
                                        episode and game end (stalled); default 60, 0 = off */
    int entry_max_rtt_ms;            /* default 0 = no entry check */
    int continuous_max_rtt_ms;       /* during play, median of recent pings; 0 = off */
    partners_spec partners;
} scene_spec;

/* end.codes: the completion code per outcome, indexed by outcome (proto/names.h); ""
 * = no code for that outcome. */
typedef char completion_codes[outcome_COUNT_][CFG_ID_LEN];

/* conditions: how a participant gets theirs. */
typedef enum {
    ASSIGN_BALANCED, /* default: to the condition with the fewest completed or in progress */
    ASSIGN_RANDOM,   /* uniformly at random */
    ASSIGN_PARAM     /* named by a URL parameter (assignment_param) */
} assignment_kind;

/* The order of scenes, as a tree in prefix order: each node is followed by its subtree
 * (`size` nodes in all, itself included). The root, plan[0], is a sequence. */
typedef enum {
    PLAN_SCENE,    /* one base scene (`scene`) */
    PLAN_SEQUENCE, /* its children in order (a repeat block, a [list] inside a shuffle) */
    PLAN_SHUFFLE   /* its children in a random order per participant */
} plan_kind;
typedef struct {
    plan_kind kind;
    int scene;
    int size;
} plan_node;
/* bonus: money per point of team score and per minute waited (docs/EXPERIMENTS.md
 * "Bonus"; src/flow/bonus.h computes it). Amounts are integers in 1/MONEY_SCALE of the
 * currency unit (src/util/money.h): never floats. */
#define CFG_NO_CAP (-1)
typedef struct {
    bool enabled;                    /* the file has a bonus: block */
    int64_t per_point;               /* per point of team score; 0 = no score part */
    int64_t max_score;               /* cap of the score part; CFG_NO_CAP = none */
    int64_t per_minute_waited;       /* per minute in waiting rooms, pro rata to the second */
    int64_t max_waiting;             /* cap of the waiting part; CFG_NO_CAP = none */
    bool show;                       /* the end page says the amount (default false) */
    char currency[4];                /* ISO 4217 code such as "GBP"; "" = not said */
} bonus_spec;

typedef struct {
    char path[CFG_PATH_LEN];         /* the file as given */
    char dir[CFG_PATH_LEN];          /* its folder, absolute */
    char id[CFG_ID_LEN];             /* `experiment:` */
    /* Default when `identity` or one of its lists is absent:
     * params [PROLIFIC_PID, workerId, participant],
     * study_params [STUDY_ID, SESSION_ID, assignmentId, hitId]. */
    int nidentity;
    char identity_params[CFG_MAX_PARAMS][CFG_ID_LEN];
    int nstudy;
    char study_params[CFG_MAX_PARAMS][CFG_ID_LEN];
    resume_policy resume_without_token; /* default RESUME_UNTIL_GAME */
    limits_spec limits;                 /* defaults CFG_DEFAULT_* */
    require_spec require;               /* default: nothing required */
    /* The scene table: scenes[0..nbase) are the base scenes (the plan's, in file order,
     * then exit_scenes), then the condition variants. */
    int nscenes;
    int nbase;
    scene_spec scenes[CFG_MAX_SCENES];
    int nplan;
    plan_node plan[CFG_MAX_PLAN];
    /* conditions (none: nconditions 0, everyone in "condition" -1). */
    int nconditions;
    char conditions[CFG_MAX_CONDITIONS][CFG_ID_LEN];
    assignment_kind assignment;
    char assignment_param[CFG_ID_LEN]; /* ASSIGN_PARAM: the URL parameter */
    bool mix_conditions;             /* group people of different conditions together */
    int16_t variant[CFG_MAX_SCENES][CFG_MAX_CONDITIONS]; /* [base][condition]: table index */
    /* on_outcome: the base scenes (page scenes) shown after that outcome, before the end
     * page; nexit 0 = straight to the end page. */
    int nexit[outcome_COUNT_];
    int16_t exits[outcome_COUNT_][CFG_MAX_ROUTE];
    int nquizzes;
    quiz_spec quizzes[CFG_MAX_QUIZZES]; /* scene_quiz() finds a scene's */
    char redirect[CFG_PATH_LEN];     /* may contain {code}; may be empty */
    completion_codes codes;          /* empty string = no code for that outcome */
    /* `texts:`: the participant's words where they differ from the defaults
     * (src/texts/texts.h lists every key). */
    int ntexts;
    struct {
        char key[CFG_ID_LEN];
        char value[CFG_TEXT_LEN];
    } texts[CFG_MAX_TEXTS];
    char language[CFG_LANG_LEN];     /* BCP 47 tag, e.g. "he" or "pt-BR"; "" = not said */
    char direction[4];               /* "ltr", "rtl", or "" = from the language */
    bonus_spec bonus;                /* enabled false: no bonus */
} experiment;

/* The scene's quiz, or NULL when it has none. */
static inline const quiz_spec *scene_quiz(const experiment *x, const scene_spec *s)
{
    return s->quiz > 0 && s->quiz <= x->nquizzes ? &x->quizzes[s->quiz - 1] : NULL;
}

typedef struct {
    /* Return true when an env of that name exists; fill players/actions/horizon. */
    bool (*env_lookup)(const char *env, int *players, int *actions, int *horizon, void *ctx);
    /* Return true when `env` has a scripted policy of that name. */
    bool (*policy_exists)(const char *env, const char *policy, void *ctx);
    /* Optional: the env's natural key map, used when a game sets no `keys`. Returns how
     * many bindings it wrote to out (at most max); 0 = use arrows and space on 0..4. */
    int (*default_keys)(const char *env, key_binding *out, int max, void *ctx);
    /* Optional: does `env` compute the observation `obs` (envs/env.h observe)? Without it
     * no model seat can be checked, so none is accepted. */
    bool (*obs_exists)(const char *env, const char *obs, void *ctx);
    void *ctx;
} config_hooks;

/* 0 on success. On failure returns -1 and writes "FILE:LINE:COL: message" to err. */
int config_load(const char *path, const config_hooks *hooks, experiment *out,
                char *err, size_t errlen);

/* Files larger than this are refused (an experiment file is a few KiB). */
#define CFG_MAX_FILE_BYTES (1024 * 1024)

/*
 * The same from text already in memory (len bytes, need not be NUL-terminated). `path`
 * names the file in messages and its folder is where pages are looked up. Used by the
 * fuzzer; also handy for an admin upload.
 */
int config_load_buffer(const char *path, const char *text, size_t len,
                       const config_hooks *hooks, experiment *out, char *err, size_t errlen);

/* ---- the design (src/config/design.c) ---- */

/* The scene of base scene `base` that condition `condition` (-1: none) goes through. */
int experiment_scene_for(const experiment *x, int base, int condition);
/* A participant's route: the table indices of the scenes they go through, shuffle blocks
 * ordered by `rnd` (uniform 64-bit numbers). Writes at most CFG_MAX_ROUTE; returns the
 * count. */
int experiment_route(const experiment *x, int condition, uint64_t (*rnd)(void *ctx),
                     void *ctx, int16_t *out);
/* The scenes shown after outcome o, before the end page (table indices). */
int experiment_exit_route(const experiment *x, int condition, outcome o, int16_t *out);
/* Whether some participant can reach scene s: a base scene every condition replaces by a
 * variant of its own is on nobody's route (flow makes no waiting room for it). */
bool experiment_scene_used(const experiment *x, int s);
/* The condition of that id, or -1. */
int experiment_condition(const experiment *x, const char *id);
/* The table index of the scene with that id as condition `condition` sees it, or -1. */
int experiment_find_scene(const experiment *x, const char *id, int condition);

/* Hooks backed by the real env registry (envs/registry.h). */
const config_hooks *config_registry_hooks(void);

#endif
