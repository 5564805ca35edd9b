#include "bot.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../envs/registry.h"
#include "../proto/proto.h"

#define SENT_RING 256      /* send times of INPUTs in flight, indexed by frame */
#define MAX_FORM_FIELDS 50

typedef enum {
    B_IDLE,       /* not connected; may have a join scheduled */
    B_CONNECTING,
    B_HELLO,      /* hello sent, no scene yet */
    B_PAGE,       /* a static scene: advance pending */
    B_GAME_PAGE,  /* a game scene's page: start pending */
    B_WAITING,    /* in the waiting room */
    B_PLAYING,    /* matched: game_start .. game_end */
    B_DONE,       /* end scene seen, or left on purpose */
} bphase;

typedef enum { LEAVE_NONE, LEAVE_PAGE, LEAVE_WAITING, LEAVE_GAME } leave_plan;
typedef enum { ACT_NONE, ACT_ADVANCE, ACT_START } act_kind;

typedef struct {
    int64_t us;
    uint32_t frame;
    uint8_t action;
    uint8_t valid;
} sent_slot;

struct bot {
    const bot_config *cfg;
    int index;
    const bot_io *io;
    void *ctx;
    swarm_stats *st;
    uint64_t rng;
    int gen;                 /* participants this bot has been, so far */

    bphase phase;
    bool connected;
    bool quiet_close;        /* the coming close is ours or expected: not an error */
    bool stopping;
    bool gauge_waiting, gauge_playing;
    char subject[PROTO_SUBJECT_MAX + 1];
    leave_plan leave;
    uint32_t leave_frame;

    int64_t join_at;         /* -1: none */
    int64_t act_at;          /* -1: none */
    act_kind act;
    char act_scene[PROTO_SCENE_MAX + 1];
    int last_scene_index;    /* the last page/game scene acted on, -1 none */
    json_t *act_form;        /* advance: form values (owned) */

    /* game */
    const env_def *env;
    int policy_index;        /* greedy: the env's policy index; -1 random */
    int seat, nseats;
    /* The game clock as an exact rate: tick k of a run falls at tick_t0 + k * period_num /
     * period_den microseconds (fps 30: 1000000/30; step_ms 150: 150000/1), so no rounded
     * period drifts over an episode. */
    int64_t period_num, period_den;
    uint32_t D, P, max_steps;
    uint8_t *state;
    uint32_t state_cap;
    /* Model seats this bot's page would run (docs/AGENTS.md): it sends their actions as a
     * browser does, one hosted INPUT per frame, so a swarm loads the server as people
     * playing with trained agents do. */
    int nhosted;
    int hosted[ENV_MAX_PLAYERS];

    /* episode */
    bool ep_active;
    uint32_t episode;
    uint32_t f;              /* local frame: frames this bot has "simulated" (ticked past) */
    uint32_t next_input;     /* next frame an INPUT may be sent for */
    uint32_t next_hosted;    /* next frame the model seats' actions go for */
    uint32_t cc;             /* confirmed frames applied to state: state == S(cc) */
    uint64_t last_hash;      /* hash(S(cc)) = the hash of frame cc-1 */
    bool desynced;
    int64_t ep_t0;
    int64_t next_tick;
    int64_t tick_t0;
    int64_t ticks;           /* ticks fired since tick_t0 */
    sent_slot sent[SENT_RING];

    uint32_t echo_seq;
};

/* ---- small things ----------------------------------------------------------------- */

void tally_add(tally *t, const char *kind)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->items[i].kind, kind) == 0) {
            t->items[i].count++;
            return;
        }
    if (t->n == TALLY_MAX) { /* full: the last slot becomes "other" */
        snprintf(t->items[TALLY_MAX - 1].kind, sizeof t->items[0].kind, "other");
        t->items[TALLY_MAX - 1].count++;
        return;
    }
    snprintf(t->items[t->n].kind, sizeof t->items[0].kind, "%s", kind);
    t->items[t->n++].count = 1;
}

uint64_t tally_total(const tally *t)
{
    uint64_t n = 0;
    for (int i = 0; i < t->n; i++)
        n += t->items[i].count;
    return n;
}

static uint64_t rng_next(bot *b)
{
    /* splitmix64 */
    uint64_t z = (b->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng01(bot *b) { return (double)(rng_next(b) >> 11) * (1.0 / 9007199254740992.0); }

/* A pause of mean ms, uniform in 0.5x .. 1.5x, in microseconds. */
static int64_t pause_us(bot *b, int ms)
{
    if (ms <= 0)
        return 0;
    return (int64_t)((0.5 + rng01(b)) * ms * 1000.0);
}

static void error_kind(bot *b, const char *kind) { tally_add(&b->st->errors, kind); }

static void rearm(bot *b)
{
    int64_t t = -1;
    if (b->join_at >= 0)
        t = b->join_at;
    if (b->act_at >= 0 && (t < 0 || b->act_at < t))
        t = b->act_at;
    if (b->ep_active && (t < 0 || b->next_tick < t))
        t = b->next_tick;
    b->io->wake(b->ctx, t);
}

static void send_json(bot *b, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    b->io->send(b->ctx, false, text, strlen(text));
    free(text);
}

static void set_waiting(bot *b, bool on)
{
    if (b->gauge_waiting != on)
        b->st->now_waiting += on ? 1 : -1;
    b->gauge_waiting = on;
}

static void set_playing(bot *b, bool on)
{
    if (b->gauge_playing != on)
        b->st->now_playing += on ? 1 : -1;
    b->gauge_playing = on;
}

/* Close on purpose (finished, or left): the close that follows is not an error. */
static void close_quietly(bot *b)
{
    b->quiet_close = true;
    b->ep_active = false;
    b->act_at = -1;
    set_waiting(b, false);
    set_playing(b, false);
    b->io->close(b->ctx);
}

static void leave_now(bot *b, const char *where)
{
    b->st->left++;
    char kind[40];
    snprintf(kind, sizeof kind, "left_%s", where);
    tally_add(&b->st->outcomes, kind);
    b->phase = B_DONE;
    close_quietly(b);
}

/* ---- lifecycle -------------------------------------------------------------------- */

bot *bot_new(const bot_config *cfg, int index, const bot_io *io, void *ctx, swarm_stats *st)
{
    bot *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cfg = cfg;
    b->index = index;
    b->io = io;
    b->ctx = ctx;
    b->st = st;
    b->rng = cfg->seed ^ (0x632be59bd9b4e019ULL * (uint64_t)(index + 1));
    b->join_at = b->act_at = -1;
    b->last_scene_index = -1;
    b->policy_index = -1;
    return b;
}

void bot_free(bot *b)
{
    if (!b)
        return;
    json_decref(b->act_form);
    free(b->state);
    free(b);
}

void bot_schedule_join(bot *b, int64_t at_us)
{
    b->join_at = at_us;
    rearm(b);
}

/* A new participant: fresh subject, fresh plan. */
static void begin_participant(bot *b)
{
    b->gen++;
    if (b->gen == 1)
        snprintf(b->subject, sizeof b->subject, "bot-%s-%d", b->cfg->run_id, b->index);
    else
        snprintf(b->subject, sizeof b->subject, "bot-%s-%d-%d", b->cfg->run_id, b->index, b->gen);
    b->phase = B_CONNECTING;
    b->quiet_close = false;
    b->last_scene_index = -1;
    b->act_at = -1;
    b->act = ACT_NONE;
    b->ep_active = false;
    b->env = NULL;
    b->leave = LEAVE_NONE;
    if (!b->cfg->echo && b->cfg->churn > 0 && rng01(b) < b->cfg->churn)
        b->leave = (leave_plan)(LEAVE_PAGE + (int)(rng_next(b) % 3));
    b->io->connect(b->ctx);
}

static int64_t period_us(const bot *b) { return b->period_num / b->period_den; }

/* Ticks from now on: the first one period away. */
static void restart_clock(bot *b, int64_t now)
{
    b->tick_t0 = now;
    b->ticks = 0;
    b->next_tick = now + b->period_num / b->period_den;
}

static void start_ticking(bot *b, int64_t now)
{
    b->ep_active = true;
    restart_clock(b, now);
}

/* fps frames a second, or one step every step_ms ms (the other <= 0). */
static void set_pace(bot *b, int fps, int step_ms)
{
    if (step_ms > 0) {
        b->period_num = (int64_t)step_ms * 1000;
        b->period_den = 1;
    } else {
        b->period_num = 1000000;
        b->period_den = fps > 0 ? fps : 30;
    }
}

void bot_on_open(bot *b, int64_t now)
{
    b->connected = true;
    b->st->connects++;
    b->st->now_connected++;
    if (b->cfg->echo) {
        b->phase = B_PLAYING;
        set_pace(b, b->cfg->fps, 0);
        start_ticking(b, now);
        rearm(b);
        return;
    }
    b->phase = B_HELLO;
    b->st->participants++;
    send_json(b, json_pack("{s:s, s:n, s:n, s:{s:s}}", "type", "hello", "subject", "token",
                           "params", "PROLIFIC_PID", b->subject));
}

/* After a close or a failed connect: come back as a new participant, or rest. */
static void after_connection(bot *b, int64_t now)
{
    b->connected = false;
    b->ep_active = false;
    b->act_at = -1;
    set_waiting(b, false);
    set_playing(b, false);
    if (b->cfg->loop && !b->stopping) {
        b->phase = B_IDLE;
        b->join_at = now + pause_us(b, b->cfg->rejoin_ms);
    } else {
        b->phase = B_DONE;
        b->join_at = -1;
    }
    rearm(b);
}

void bot_on_connect_failed(bot *b, const char *why, int64_t now)
{
    if (!b->stopping) {
        b->st->connect_failures++;
        error_kind(b, "connect_failed");
    }
    after_connection(b, now);
}

void bot_on_closed(bot *b, int64_t now)
{
    if (b->connected)
        b->st->now_connected--;
    if (!b->quiet_close && !b->stopping && b->phase != B_DONE)
        error_kind(b, "closed_early"); /* the server hung up without an error or an end */
    after_connection(b, now);
}

bool bot_stop(bot *b)
{
    bool unfinished = b->phase != B_DONE && b->phase != B_IDLE;
    b->stopping = true;
    b->join_at = -1;
    b->act_at = -1;
    b->ep_active = false;
    b->io->wake(b->ctx, -1);
    if (b->connected || b->phase == B_CONNECTING)
        b->io->close(b->ctx);
    return unfinished && !b->cfg->echo;
}

bool bot_idle(const bot *b)
{
    return !b->connected && b->phase != B_CONNECTING && b->join_at < 0;
}

/* ---- scenes ----------------------------------------------------------------------- */

/* Value of attribute `name` inside the tag text [p, end) (p at its '<'), or false. */
static bool tag_attr(const char *p, const char *end, const char *name, char *out, size_t len)
{
    size_t nl = strlen(name);
    for (const char *s = p + 1; s + nl + 1 < end; s++) { /* s[-1] stays inside the tag */
        if ((s[-1] == ' ' || s[-1] == '\t' || s[-1] == '\n' || s[-1] == '\r') &&
            strncmp(s, name, nl) == 0 && s[nl] == '=') {
            const char *v = s + nl + 1;
            char q = *v == '"' || *v == '\'' ? *v++ : 0;
            size_t o = 0;
            while (v < end && o + 1 < len && (q ? *v != q : (*v != ' ' && *v != '>' && *v != '/')))
                out[o++] = *v++;
            out[o] = '\0';
            return true;
        }
    }
    return false;
}

/* Answers for the form in a page, the way a person would fill it in: the first choice of
 * each radio group, checkboxes ticked, numbers at their minimum or 30, text "bot". */
static json_t *fill_form(const char *html)
{
    json_t *form = json_object();
    int fields = 0;
    for (const char *p = html ? strchr(html, '<') : NULL; p && fields < MAX_FORM_FIELDS;
         p = strchr(p + 1, '<')) {
        bool input = strncmp(p, "<input", 6) == 0, area = strncmp(p, "<textarea", 9) == 0,
             select = strncmp(p, "<select", 7) == 0;
        if (!input && !area && !select)
            continue;
        const char *end = strchr(p, '>');
        if (!end)
            break;
        char name[64], type[32] = "text", value[64] = "", min[32] = "";
        if (!tag_attr(p, end, "name", name, sizeof name) || !name[0] ||
            json_object_get(form, name))
            continue;
        if (input) {
            tag_attr(p, end, "type", type, sizeof type);
            tag_attr(p, end, "value", value, sizeof value);
            tag_attr(p, end, "min", min, sizeof min);
        }
        const char *answer = "bot";
        if (strcmp(type, "radio") == 0)
            answer = value;
        else if (strcmp(type, "checkbox") == 0)
            answer = value[0] ? value : "true";
        else if (strcmp(type, "number") == 0 || strcmp(type, "range") == 0)
            answer = min[0] ? min : "30";
        else if (strcmp(type, "submit") == 0 || strcmp(type, "button") == 0 ||
                 strcmp(type, "hidden") == 0)
            continue;
        json_object_set_new(form, name, json_string(answer));
        fields++;
    }
    if (fields == 0)
        json_object_set_new(form, "answer", json_string("bot"));
    return form;
}

static void on_scene(bot *b, json_t *m, int64_t now)
{
    const char *kind = json_string_value(json_object_get(m, "kind"));
    const char *id = json_string_value(json_object_get(m, "id"));
    json_t *jindex = json_object_get(m, "index");
    if (!kind || !id || !json_is_integer(jindex)) {
        error_kind(b, "bad_scene");
        return;
    }
    int index = (int)json_integer_value(jindex);
    set_waiting(b, false);
    if (strcmp(kind, "end") == 0) {
        const char *got = json_string_value(json_object_get(m, "outcome"));
        const char *code = json_string_value(json_object_get(m, "code"));
        tally_add(&b->st->outcomes, got ? got : "none");
        if (got && strcmp(got, "completed") == 0)
            b->st->completed++;
        if (!code || !code[0])
            error_kind(b, "no_code");
        b->phase = B_DONE;
        close_quietly(b); /* a person follows the redirect and the tab goes */
        return;
    }
    if (strcmp(kind, "page") != 0 && strcmp(kind, "game") != 0) {
        error_kind(b, "bad_scene");
        return;
    }
    if (index == b->last_scene_index) {
        /* We answered this scene already and the server shows it again: a stale click, or
         * (after a game) the server put us back. Either way a person would be stuck. */
        error_kind(b, "scene_repeat");
        return;
    }
    b->last_scene_index = index;
    set_playing(b, false);
    if (b->leave == LEAVE_PAGE) {
        leave_now(b, "page");
        return;
    }
    bool game = strcmp(kind, "game") == 0;
    b->phase = game ? B_GAME_PAGE : B_PAGE;
    b->act = game ? ACT_START : ACT_ADVANCE;
    snprintf(b->act_scene, sizeof b->act_scene, "%s", id);
    json_decref(b->act_form);
    b->act_form = NULL;
    if (!game && json_is_true(json_object_get(m, "form")))
        b->act_form = fill_form(json_string_value(json_object_get(m, "html")));
    b->act_at = now + pause_us(b, b->cfg->think_ms);
}

static void do_action(bot *b)
{
    if (b->act == ACT_ADVANCE && b->phase == B_PAGE) {
        json_t *m = json_pack("{s:s, s:s}", "type", "advance", "scene", b->act_scene);
        if (b->act_form) {
            json_object_set_new(m, "form", b->act_form);
            b->act_form = NULL;
        }
        send_json(b, m);
    } else if (b->act == ACT_START && b->phase == B_GAME_PAGE) {
        send_json(b, json_pack("{s:s, s:s}", "type", "start", "scene", b->act_scene));
    }
    b->act = ACT_NONE;
}

/* ---- the game --------------------------------------------------------------------- */

static int json_int(json_t *m, const char *key, int dflt)
{
    json_t *v = json_object_get(m, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void on_game_start(bot *b, json_t *m)
{
    const char *name = json_string_value(json_object_get(m, "env"));
    const env_def *env = name ? env_find(name) : NULL;
    json_t *seats = json_object_get(m, "seats");
    if (!env || !json_is_array(seats)) {
        error_kind(b, env ? "bad_game_start" : "unknown_env");
        close_quietly(b);
        return;
    }
    b->env = env;
    b->seat = json_int(m, "seat", -1);
    b->nseats = (int)json_array_size(seats);
    /* The game's clock (fps or step_ms, the other null), unless --fps overrides it. */
    if (b->cfg->fps > 0)
        set_pace(b, b->cfg->fps, 0);
    else
        set_pace(b, json_int(m, "fps", 30), json_int(m, "step_ms", 0));
    int d = json_int(m, "input_delay", 0), w = json_int(m, "confirm_window", 15);
    int p = json_int(m, "prediction_limit", 2 * w);
    b->D = d > 0 ? (uint32_t)d : 0;
    b->P = p > 0 ? (uint32_t)p : 1;
    int ms = json_int(m, "max_steps", (int)env->horizon);
    b->max_steps = ms > 0 ? (uint32_t)ms : env->horizon;
    if (b->seat < 0 || b->seat >= b->nseats || b->nseats != (int)env->players ||
        json_int(m, "default_action", -1) != (int)env->default_action) {
        error_kind(b, "bad_game_start");
        close_quietly(b);
        return;
    }
    if (b->state_cap < env->state_size) {
        free(b->state);
        b->state = malloc(env->state_size);
        b->state_cap = b->state ? env->state_size : 0;
        if (!b->state) {
            error_kind(b, "out_of_memory");
            close_quietly(b);
            return;
        }
    }
    b->nhosted = 0;
    json_t *models = json_object_get(m, "models");
    if (json_int(m, "model_host", -1) == b->seat && json_is_array(models)) {
        size_t i;
        json_t *mo;
        json_array_foreach(models, i, mo) {
            int s = json_int(mo, "seat", -1);
            if (s >= 0 && s < b->nseats && s != b->seat && b->nhosted < ENV_MAX_PLAYERS)
                b->hosted[b->nhosted++] = s;
        }
    }
    b->policy_index = b->cfg->policy == POLICY_GREEDY ? env_policy_find(env, "greedy") : -1;
    if (b->cfg->policy == POLICY_GREEDY && b->policy_index < 0 && env->policy && env->npolicies)
        b->policy_index = 0; /* the env's first scripted policy */
    b->phase = B_PLAYING;
    b->st->games_started++;
    set_playing(b, true);
    if (b->leave == LEAVE_WAITING)
        b->leave = LEAVE_GAME; /* matched at once: there was no waiting room to leave */
    if (b->leave == LEAVE_GAME)
        b->leave_frame = 1 + (uint32_t)(rng_next(b) % (b->max_steps > 1 ? b->max_steps - 1 : 1));
}

static void send_input(bot *b, uint32_t frame, int32_t action, int64_t now)
{
    input_msg in;
    memset(&in, 0, sizeof in);
    in.episode = (uint8_t)b->episode;
    in.frame = frame;
    in.action = action;
    if (b->cc > 0) {
        in.flags = PROTO_INPUT_HAS_HASH;
        in.confirmed = b->cc - 1;
        in.hash = b->last_hash;
    }
    uint8_t buf[PROTO_INPUT_SIZE];
    proto_encode_input(buf, &in);
    b->io->send(b->ctx, true, buf, sizeof buf);
    b->st->inputs_sent++;
    sent_slot *s = &b->sent[frame % SENT_RING];
    s->us = now;
    s->frame = frame;
    s->action = (uint8_t)action;
    s->valid = 1;
}

/* A model seat's action for frame, as the hosting page sends it (PROTOCOL.md, INPUT). */
static void send_hosted(bot *b, int seat, uint32_t frame, int32_t action)
{
    input_msg in;
    memset(&in, 0, sizeof in);
    in.episode = (uint8_t)b->episode;
    in.frame = frame;
    in.action = action;
    in.flags = (uint16_t)(PROTO_INPUT_HOSTED | seat << 8);
    uint8_t buf[PROTO_INPUT_SIZE];
    proto_encode_input(buf, &in);
    b->io->send(b->ctx, true, buf, sizeof buf);
    b->st->inputs_sent++;
}

static void on_episode_start(bot *b, json_t *m, int64_t now)
{
    const char *seed_s = json_string_value(json_object_get(m, "seed"));
    if (!b->env || b->phase != B_PLAYING || !seed_s) {
        error_kind(b, "bad_episode_start");
        return;
    }
    char *endp;
    unsigned long long seed = strtoull(seed_s, &endp, 10);
    if (*seed_s == '\0' || *endp != '\0') {
        error_kind(b, "bad_episode_start");
        return;
    }
    b->episode = (uint32_t)json_int(m, "episode", 0);
    b->env->reset(b->state, (uint64_t)seed, b->max_steps);
    b->f = 0;
    b->cc = 0;
    b->next_input = 0;
    b->next_hosted = 0;
    b->last_hash = 0;
    b->desynced = false;
    b->ep_t0 = now;
    memset(b->sent, 0, sizeof b->sent);
    b->st->episodes++;
    for (uint32_t k = 0; k < b->D && k < b->max_steps; k++)
        send_input(b, k, (int32_t)b->env->default_action, now);
    b->next_input = b->D;
    start_ticking(b, now);
}

static void on_episode_end(bot *b, json_t *m, int64_t now)
{
    if (!b->ep_active || json_int(m, "episode", -1) != (int)b->episode)
        return;
    b->ep_active = false;
    int frames = json_int(m, "frames", -1);
    const char *reason = json_string_value(json_object_get(m, "reason"));
    if (frames != (int)b->cc)
        error_kind(b, "episode_frames"); /* episode_end must follow every CONFIRM */
    if (reason && strcmp(reason, "cut") != 0)
        b->st->episodes_full++;
    double secs = (double)(now - b->ep_t0) / 1e6;
    if (secs > 0.5 && b->cc > 0) {
        b->st->episode_fps_sum += (double)b->cc / secs;
        b->st->episode_fps_n++;
    }
}

static int32_t choose_action(bot *b)
{
    const env_def *e = b->env;
    if (b->policy_index >= 0) {
        int32_t a = e->policy((uint32_t)b->policy_index, b->state, (uint32_t)b->seat);
        return a >= 0 && (uint32_t)a < e->actions ? a : (int32_t)e->default_action;
    }
    return (int32_t)(rng_next(b) % (e->actions ? e->actions : 1));
}

/* One tick of the game clock: the browser's order (web/game.js, web/rollback.js). */
static void game_tick(bot *b, int64_t now)
{
    uint32_t t = b->f + b->D;
    if (t >= b->next_input && t < b->max_steps) {
        send_input(b, t, choose_action(b), now);
        b->next_input = t + 1;
    }
    /* Behind the server (it defaulted us): catch up to D short of the frontier. */
    if (b->cc > b->D && b->f < b->cc - b->D)
        b->f = b->cc - b->D;
    if (b->f < b->max_steps) {
        int64_t last_confirmed = (int64_t)(b->f < b->cc ? b->f : b->cc) - 1;
        if ((int64_t)b->f - last_confirmed < (int64_t)b->P) {
            /* The page decides the models' actions for frame f just before simulating it. */
            if (b->f >= b->next_hosted) {
                for (int i = 0; i < b->nhosted; i++)
                    send_hosted(b, b->hosted[i], b->f,
                                (int32_t)(rng_next(b) % (b->env->actions ? b->env->actions : 1)));
                b->next_hosted = b->f + 1;
            }
            b->f++;
        } else {
            b->st->stalls++;
        }
    }
}

/* `lag {lead}`: our inputs arrive after their frames were defaulted. Jump ahead (never
 * past the prediction limit) until our next input frame, f + D, reaches lead; the
 * skipped frames' inputs are not sent (web/rollback.js catchUpTo does the same). */
static void on_lag(bot *b, json_t *m)
{
    json_t *jl = json_object_get(m, "lead");
    if (!json_is_integer(jl) || json_integer_value(jl) < 0) {
        error_kind(b, "bad_lag");
        return;
    }
    b->st->lag_hints++;
    if (!b->ep_active)
        return;
    int64_t lead = json_integer_value(jl);
    while ((int64_t)b->f + b->D < lead && b->f < b->max_steps &&
           (int64_t)b->f - ((int64_t)(b->f < b->cc ? b->f : b->cc) - 1) < (int64_t)b->P) {
        b->f++;
        b->st->frames_skipped++;
    }
}

static void echo_tick(bot *b, int64_t now)
{
    input_msg in;
    memset(&in, 0, sizeof in);
    in.frame = b->echo_seq++;
    in.hash = (uint64_t)now;
    uint8_t buf[PROTO_INPUT_SIZE];
    proto_encode_input(buf, &in);
    b->io->send(b->ctx, true, buf, sizeof buf);
    b->st->echo_sent++;
}

static void on_confirm(bot *b, const uint8_t *buf, size_t len, int64_t now)
{
    uint8_t ep, nseats;
    uint32_t first;
    uint16_t count;
    if (proto_decode_confirm_header(buf, len, &ep, &nseats, &first, &count) != 0) {
        error_kind(b, "bad_confirm");
        return;
    }
    if (!b->ep_active && b->phase != B_PLAYING)
        return;
    if (!b->env || ep != (uint8_t)b->episode)
        return; /* another episode's: ignored, as the protocol says */
    if (nseats != b->nseats || nseats > ENV_MAX_PLAYERS) {
        error_kind(b, "bad_confirm");
        return;
    }
    for (uint16_t i = 0; i < count; i++) {
        uint32_t k = first + i;
        uint8_t acts[ENV_MAX_PLAYERS];
        uint64_t theirs;
        if (proto_decode_confirm_entry(buf, len, i, acts, &theirs) != 0) {
            error_kind(b, "bad_confirm"); /* not reached: the header said count entries */
            return;
        }
        if (k < b->cc) {
            error_kind(b, "confirm_repeat");
            continue;
        }
        if (k > b->cc) {
            error_kind(b, "confirm_gap");
            return;
        }
        int32_t actions[ENV_MAX_PLAYERS];
        for (int s = 0; s < nseats; s++)
            actions[s] = acts[s];
        env_step_out out;
        memset(&out, 0, sizeof out);
        b->env->step(b->state, actions, &out);
        uint64_t mine = env_hash(b->state, b->env->state_size);
        if (mine != theirs && !b->desynced) {
            b->desynced = true; /* counted once until the server's STATE */
            b->st->desyncs++;
        }
        b->last_hash = mine;
        b->cc++;
        b->st->confirmed_frames++;
        sent_slot *s = &b->sent[k % SENT_RING];
        if (s->valid && s->frame == k) {
            latency_add(b->st->lat, now - s->us);
            if (acts[b->seat] != s->action)
                b->st->own_defaulted++; /* our INPUT arrived after the frame was confirmed */
            s->valid = 0;
        }
    }
    if (b->leave == LEAVE_GAME && b->cc >= b->leave_frame)
        leave_now(b, "game"); /* the tab is closed mid-game */
}

static void on_state(bot *b, const uint8_t *buf, size_t len)
{
    uint8_t ep;
    uint32_t frame, size;
    if (proto_decode_state_header(buf, len, &ep, &frame, &size) != 0) {
        error_kind(b, "bad_state");
        return;
    }
    if (!b->env || !b->ep_active || ep != (uint8_t)b->episode)
        return;
    if (size != b->env->state_size) {
        error_kind(b, "bad_state");
        return;
    }
    memcpy(b->state, buf + PROTO_STATE_HEADER, size);
    b->cc = frame;
    b->last_hash = env_hash(b->state, size);
    b->desynced = false;
    b->st->resyncs++;
}

/* ---- input from the driver -------------------------------------------------------- */

void bot_on_text(bot *b, const char *text, size_t len, int64_t now)
{
    if (b->cfg->echo)
        return;
    json_error_t jerr;
    json_t *m = json_loadb(text, len, 0, &jerr);
    const char *type = m ? json_string_value(json_object_get(m, "type")) : NULL;
    if (!type) {
        error_kind(b, "bad_json");
        json_decref(m);
        return;
    }
    if (strcmp(type, "welcome") == 0) {
        const char *subject = json_string_value(json_object_get(m, "subject"));
        if (!subject || strcmp(subject, b->subject) != 0)
            error_kind(b, "wrong_subject");
    } else if (strcmp(type, "scene") == 0) {
        on_scene(b, m, now);
    } else if (strcmp(type, "waiting") == 0) {
        if (b->phase == B_GAME_PAGE || b->phase == B_WAITING) {
            b->phase = B_WAITING;
            set_waiting(b, true);
            if (b->leave == LEAVE_WAITING) {
                send_json(b, json_pack("{s:s}", "type", "leave"));
                leave_now(b, "waitroom");
            }
        }
    } else if (strcmp(type, "matched") == 0) {
        b->st->matched++;
        set_waiting(b, false);
    } else if (strcmp(type, "game_start") == 0) {
        on_game_start(b, m);
    } else if (strcmp(type, "episode_start") == 0) {
        on_episode_start(b, m, now);
    } else if (strcmp(type, "episode_end") == 0) {
        on_episode_end(b, m, now);
    } else if (strcmp(type, "lag") == 0) {
        on_lag(b, m);
    } else if (strcmp(type, "game_end") == 0) {
        b->ep_active = false;
        set_playing(b, false);
    } else if (strcmp(type, "error") == 0) {
        const char *code = json_string_value(json_object_get(m, "code"));
        error_kind(b, code && code[0] ? code : "error");
        b->quiet_close = true; /* counted here; the server closes next */
        b->ep_active = false;
    } else if (strcmp(type, "replaced") == 0) {
        error_kind(b, "replaced");
        b->quiet_close = true;
    } else if (strcmp(type, "countdown") != 0 && strcmp(type, "partner") != 0 &&
               strcmp(type, "notice") != 0) {
        error_kind(b, "unknown_message");
    }
    json_decref(m);
    rearm(b);
}

void bot_on_binary(bot *b, const uint8_t *buf, size_t len, int64_t now)
{
    if (b->cfg->echo) {
        input_msg in;
        if (proto_decode_input(buf, len, &in) != 0) {
            error_kind(b, "bad_echo");
            return;
        }
        latency_add(b->st->lat, now - (int64_t)in.hash);
        b->st->echo_received++;
        return;
    }
    if (len == 0) {
        error_kind(b, "bad_binary");
        return;
    }
    if (buf[0] == BIN_CONFIRM)
        on_confirm(b, buf, len, now);
    else if (buf[0] == BIN_STATE)
        on_state(b, buf, len);
    else
        error_kind(b, "bad_binary");
    rearm(b);
}

void bot_on_timer(bot *b, int64_t now)
{
    if (b->stopping)
        return;
    if (b->join_at >= 0 && now >= b->join_at && !b->connected && b->phase != B_CONNECTING) {
        b->join_at = -1;
        begin_participant(b);
    }
    if (b->act_at >= 0 && now >= b->act_at) {
        b->act_at = -1;
        do_action(b);
    }
    if (b->ep_active && now >= b->next_tick) {
        if (b->cfg->echo)
            echo_tick(b, now);
        else
            game_tick(b, now);
        b->ticks++;
        b->next_tick = b->tick_t0 + (b->ticks + 1) * b->period_num / b->period_den;
        /* Far behind (the machine stalled): skip ahead rather than fire a burst. */
        if (now - b->next_tick > 4 * period_us(b))
            restart_clock(b, now);
    }
    rearm(b);
}
