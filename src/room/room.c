#include "room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../envs/registry.h"
#include "../proto/messages.h"
#include "../util/log.h"

/* Inputs are kept in a ring per seat, indexed by frame. It must hold every frame a seat
 * may legally send ahead of the confirmed frontier (see max_ahead) plus the window. */
#define INPUT_RING 1024
#define FINISH_GRACE_MS 1000 /* after the last episode: late hash reports still count */
#define CONFIRM_CHUNK 512    /* frames per CONFIRM message at most */
#define RESYNC_MIN_GAP_MS 1000
#define LAG_HINT_GAP_MS 200
/* Records about one seat's misbehaviour (a clock running fast, a flapping tab) are kept to
 * this many a second: the fact is recorded, a flood of it is not. */
#define SEAT_RECORD_GAP_MS 1000
#define VISIBILITY_RECORD_GAP_MS 200

/* SEAT_IS_MODEL: a trained model whose actions the browser of seat `host` computes and
 * sends (docs/AGENTS.md); the room waits for them like a person's, and defaults them when
 * late. */
typedef enum { SEAT_IS_HUMAN, SEAT_IS_AI, SEAT_IS_DEFAULT, SEAT_IS_MODEL } seat_role;
typedef enum { PHASE_COUNTDOWN, PHASE_PLAYING, PHASE_ENDED, PHASE_OVER } room_phase;

typedef struct {
    uint32_t frame;
    int32_t action;
    bool present;
} input_slot;

typedef struct {
    seat_role role;
    int policy;              /* AI policy index */
    int host;                /* SEAT_IS_MODEL: the human seat whose browser runs the model */
    void *peer;              /* NULL once removed */
    char name[80];
    bool connected;
    bool visible;
    int64_t disconnected_at;
    int64_t hidden_since;
    int64_t last_active;     /* last non-default action: for the inactivity check */
    uint32_t sent;           /* frames [0, sent) of this episode were sent to this seat */
    uint32_t resync_floor;   /* ignore hash reports older than the last STATE we sent */
    int64_t last_resync;     /* when that STATE went out: resyncs are at most one a second */
    int64_t last_lag_hint;   /* when this seat was last told it lags (LAG_HINT_GAP_MS apart) */
    int64_t max_frame;       /* highest input frame received this episode, -1 none */
    int64_t last_clock_record; /* when this seat's running ahead of the clock was recorded */
    uint32_t early_inputs;   /* inputs ahead of the clock dropped since that record */
    int64_t last_visibility_record;
    uint32_t visibility_changes; /* since the last row written about them */
    input_slot ring[INPUT_RING];
} seat;

struct room {
    char id[64];
    char scene_id[64];
    char condition[64];
    const scene_spec *scene;
    const game_spec *spec;
    const env_def *env;
    room_hooks hooks;
    void *ud;
    store *st;
    uint64_t seed;
    int nseats;
    /* nseats of them, allocated: a seat holds its input ring (12 KB), and a two-seat game
     * must not pay for the eight seats a game may have. */
    seat *seats;

    room_phase phase;
    int64_t deadline;        /* countdown end, or record hand-off after an episode */
    uint32_t episode;
    uint64_t episode_seed;
    int64_t episode_t0;
    bool end_announced;
    episode_end end_reason;

    uint8_t *state;          /* S(confirmed) */
    uint32_t confirmed;      /* frames confirmed this episode */
    int64_t team_points;     /* rewards of every seat, every frame confirmed, all episodes */
    int64_t last_progress;   /* when a frame was last confirmed (or the episode began) */
    int64_t last_input;      /* when any person's input last arrived (or the episode began) */
    uint32_t logged;         /* frames handed to the durable log */
    frame_row *rows;
    uint32_t rows_cap;
    bool dirty;
    room_stats stats;
};

static void mark_dirty(room *r)
{
    if (!r->dirty) {
        r->dirty = true;
        r->hooks.mark_dirty(r, r->ud);
    }
}

/* The browser that runs a game's models: the first human seat's (docs/AGENTS.md). */
static int model_host(const game_spec *g)
{
    for (int s = 0; s < g->nseats; s++)
        if (g->seats[s].kind == SEAT_HUMAN)
            return s;
    return 0; /* config requires a human seat */
}

/* Seats whose actions arrive as INPUTs: a person's, and a model's from its host. */
static bool sends_inputs(const seat *st)
{
    return st->role == SEAT_IS_HUMAN || st->role == SEAT_IS_MODEL;
}

uint64_t room_episode_seed(uint64_t game_seed, uint32_t episode)
{
    /* splitmix64 of the pair: well-spread seeds from consecutive episode numbers */
    uint64_t z = game_seed + 0x9e3779b97f4a7c15ULL * (episode + 1ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Sending never takes the text (proto/messages.h): send_to and send_all only read it. */
static void send_to(room *r, int s, const char *text)
{
    seat *st = &r->seats[s];
    if (text && st->role == SEAT_IS_HUMAN && st->peer && st->connected)
        r->hooks.send_text(st->peer, text, r->ud);
}

static void send_all(room *r, const char *text)
{
    for (int s = 0; s < r->nseats; s++)
        send_to(r, s, text);
}

/* The common case: build, send to every seat, free. */
static void broadcast(room *r, char *text)
{
    send_all(r, text);
    free(text);
}

static void send_one(room *r, int s, char *text)
{
    send_to(r, s, text);
    free(text);
}

static void queue_event(room *r, const room_event *ev) { r->hooks.queue_event(ev, r->ud); }

static const char *seat_label(const room *r, int s, char *buf, size_t len)
{
    const seat *st = &r->seats[s];
    if (st->role == SEAT_IS_AI)
        snprintf(buf, len, "ai:%s", r->env->policy_names[st->policy]);
    else if (st->role == SEAT_IS_MODEL)
        snprintf(buf, len, "ai:%s", r->spec->seats[s].policy);
    else
        snprintf(buf, len, "human");
    return buf;
}

static char *game_start_msg(room *r, int s)
{
    char labels[ENV_MAX_PLAYERS][80];
    const char *label_of[ENV_MAX_PLAYERS];
    for (int i = 0; i < r->nseats; i++)
        label_of[i] = seat_label(r, i, labels[i], sizeof labels[i]);
    const char *key_names[CFG_MAX_KEYS];
    int key_actions[CFG_MAX_KEYS];
    for (int i = 0; i < r->spec->nkeys; i++) {
        key_names[i] = r->spec->keys[i].key;
        key_actions[i] = r->spec->keys[i].action;
    }
    game_model_info models[ENV_MAX_PLAYERS];
    int nmodels = 0;
    for (int i = 0; i < r->nseats; i++) {
        const seat_spec *spec = &r->spec->seats[i];
        if (r->seats[i].role != SEAT_IS_MODEL)
            continue;
        models[nmodels++] = (game_model_info){
            .seat = i,
            .url = spec->model.url,
            .format = spec->model.format == MODEL_ONNX ? "onnx" : "tfjs",
            .obs = spec->model.obs,
            .nactions = spec->model.nactions,
            .actions = spec->model.actions,
            .pick = spec->model.pick == PICK_SAMPLE ? "sample" : "argmax",
        };
    }
    game_start_info g = {
        .game = r->id,
        .seat = s,
        .nseats = r->nseats,
        .seat_labels = label_of,
        .env = r->env->name,
        .fps = r->spec->step_ms > 0 ? 0 : r->spec->fps,
        .step_ms = r->spec->step_ms,
        .input = input_mode_name(r->spec->input),
        .input_delay = r->spec->input_delay,
        .confirm_window = r->spec->confirm_window,
        .prediction_limit = r->spec->prediction_limit,
        .episodes = r->spec->episodes,
        .max_steps = r->spec->max_steps,
        .nkeys = r->spec->nkeys,
        .key_names = key_names,
        .key_actions = key_actions,
        .default_action = (int)r->env->default_action,
        .episode = (int)r->episode,
        .nmodels = nmodels,
        .models = models,
        .model_host = model_host(r->spec),
        .seed = r->seed,
    };
    return proto_msg_game_start(&g);
}

static char *episode_start_msg(room *r)
{
    return proto_msg_episode_start((int)r->episode, r->episode_seed);
}

static char *episode_end_msg(room *r)
{
    return proto_msg_episode_end((int)r->episode, r->confirmed, r->end_reason);
}

static void send_state(room *r, int s)
{
    size_t cap = PROTO_STATE_HEADER + r->env->state_size;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return;
    size_t n = proto_encode_state(buf, cap, (uint8_t)r->episode, r->confirmed, r->state,
                                  r->env->state_size);
    r->hooks.send_binary(r->seats[s].peer, buf, n, r->ud);
    free(buf);
    r->seats[s].sent = r->confirmed;
    r->seats[s].resync_floor = r->confirmed;
    r->stats.resyncs++;
}

/* How the game was paced, as its file said: what an episode's record carries. */
static episode_timing room_timing(const room *r)
{
    episode_timing t = {.fps = r->spec->step_ms > 0 ? 0 : (uint32_t)r->spec->fps,
                        .step_ms = (uint32_t)r->spec->step_ms};
    snprintf(t.input, sizeof t.input, "%s", input_mode_name(r->spec->input));
    return t;
}

static void start_countdown(room *r, loop_time now)
{
    r->phase = PHASE_COUNTDOWN;
    r->deadline = now.mono_ms + (int64_t)r->spec->countdown_s * 1000;
    broadcast(r, proto_msg_countdown((int)r->episode, r->spec->countdown_s * 1000));
}

static void start_episode(room *r, loop_time now)
{
    r->episode_seed = room_episode_seed(r->seed, r->episode);
    r->env->reset(r->state, r->episode_seed, (uint32_t)r->spec->max_steps);
    r->confirmed = 0;
    r->logged = 0;
    r->end_announced = false;
    r->episode_t0 = now.mono_ms;
    r->last_progress = now.mono_ms;
    r->last_input = now.mono_ms;
    for (int s = 0; s < r->nseats; s++) {
        seat *st = &r->seats[s];
        memset(st->ring, 0, sizeof st->ring);
        st->sent = 0;
        st->resync_floor = 0;
        st->last_resync = 0;
        st->last_lag_hint = 0;
        st->max_frame = -1;
        st->last_active = now.mono_ms;
        st->last_clock_record = 0;
        st->early_inputs = 0;
    }
    r->phase = PHASE_PLAYING;
    /* What a rebuild after a crash needs to replay this episode from the frame log. */
    if (r->st) {
        episode_timing timing = room_timing(r);
        store_episode_start(r->st, r->id, r->episode, r->episode_seed,
                            (uint32_t)r->spec->max_steps, &timing, now.wall_ms);
    }
    broadcast(r, episode_start_msg(r));
    mark_dirty(r);
}

room *room_new(const room_config *cfg, const room_hooks *hooks, void *ud, store *st,
               loop_time now)
{
    room *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    snprintf(r->id, sizeof r->id, "%s", cfg->game_id);
    snprintf(r->scene_id, sizeof r->scene_id, "%s", cfg->scene_id);
    snprintf(r->condition, sizeof r->condition, "%s", cfg->condition ? cfg->condition : "");
    r->scene = cfg->scene;
    r->spec = &cfg->scene->game;
    r->env = cfg->env;
    r->hooks = *hooks;
    r->ud = ud;
    r->st = st;
    r->seed = cfg->seed;
    r->nseats = cfg->nseats;
    if (r->nseats < 1 || r->nseats > ENV_MAX_PLAYERS) {
        free(r);
        return NULL;
    }
    r->seats = calloc((size_t)r->nseats, sizeof *r->seats);
    r->state = calloc(1, r->env->state_size);
    r->rows_cap = (uint32_t)r->spec->max_steps + 1;
    r->rows = calloc(r->rows_cap, sizeof(frame_row));
    if (!r->seats || !r->state || !r->rows) {
        room_free(r);
        return NULL;
    }
    for (int s = 0; s < r->nseats; s++) {
        seat *se = &r->seats[s];
        const seat_spec *spec = &r->spec->seats[s];
        se->max_frame = -1;
        se->visible = true;
        if (spec->kind == SEAT_AI) {
            se->role = SEAT_IS_AI;
            int policy = env_policy_find(r->env, spec->policy);
            se->policy = policy < 0 ? 0 : policy; /* config checked it exists */
            snprintf(se->name, sizeof se->name, "ai:%s", spec->policy);
        } else if (spec->kind == SEAT_MODEL) {
            se->role = SEAT_IS_MODEL;
            se->host = model_host(r->spec);
            snprintf(se->name, sizeof se->name, "ai:%s", spec->policy);
        } else {
            se->role = SEAT_IS_HUMAN;
            se->peer = cfg->peers[s];
            se->connected = se->peer != NULL;
            snprintf(se->name, sizeof se->name, "%s", cfg->names[s] ? cfg->names[s] : "");
        }
    }
    for (int s = 0; s < r->nseats; s++)
        if (r->seats[s].role == SEAT_IS_HUMAN)
            send_one(r, s, game_start_msg(r, s));
    start_countdown(r, now);
    return r;
}

void room_free(room *r)
{
    if (!r)
        return;
    free(r->seats);
    free(r->state);
    free(r->rows);
    free(r);
}

/* Hand the finished (or cut) episode to the store; the rows go with it. */
static void hand_off_episode(room *r, loop_time now)
{
    if (r->confirmed == 0)
        return;
    episode_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.scene, sizeof rec.scene, "%s", r->scene_id);
    snprintf(rec.game, sizeof rec.game, "%s", r->id);
    snprintf(rec.condition, sizeof rec.condition, "%s", r->condition);
    snprintf(rec.env, sizeof rec.env, "%s", r->env->name);
    rec.episode = r->episode;
    rec.seed = r->episode_seed;
    rec.horizon = (uint32_t)r->spec->max_steps;
    rec.timing = room_timing(r);
    rec.nseats = (uint32_t)r->nseats;
    for (int s = 0; s < r->nseats; s++) {
        snprintf(rec.seat_names[s], sizeof rec.seat_names[s], "%s", r->seats[s].name);
        /* A seat taken over by AI or defaults keeps its file: it was a person's game. */
        rec.seat_is_human[s] = r->spec->seats[s].kind == SEAT_HUMAN;
    }
    rec.ninfo = r->env->ninfo;
    for (uint32_t i = 0; i < r->env->ninfo && i < ENV_MAX_INFO; i++)
        snprintf(rec.info_names[i], sizeof rec.info_names[i], "%s", r->env->info_names[i]);
    snprintf(rec.end_reason, sizeof rec.end_reason, "%s", episode_end_name(r->end_reason));
    rec.t = now.wall_ms;
    rec.nrows = r->confirmed;
    rec.rows = malloc((size_t)r->confirmed * sizeof(frame_row));
    if (!rec.rows)
        return;
    memcpy(rec.rows, r->rows, (size_t)r->confirmed * sizeof(frame_row));
    if (r->st)
        store_episode(r->st, &rec);
    else
        free(rec.rows);
}

static void finish_game(room *r, game_end why)
{
    if (r->phase == PHASE_OVER)
        return;
    r->phase = PHASE_OVER;
    room_event ev = {.kind = ROOM_GAME_OVER, .room = r, .end = why,
                     .team_points = r->team_points};
    for (int s = 0; s < r->nseats; s++)
        if (r->seats[s].peer)
            ev.peers[ev.npeers++] = r->seats[s].peer;
    broadcast(r, proto_msg_game_end(why));
    queue_event(r, &ev);
}

static void end_episode(room *r, episode_end why)
{
    r->phase = PHASE_ENDED;
    r->end_reason = why;
    mark_dirty(r);
}

static int32_t sanitize_action(const room *r, int32_t a)
{
    return a >= 0 && (uint32_t)a < r->env->actions ? a : (int32_t)r->env->default_action;
}

/* A connected seat whose input for frame n is missing while another seat is W frames
 * further on runs late (after a network stall, say): its inputs would keep arriving just
 * after their frames were defaulted. Tell it the frame the leading seat has reached, so
 * it can jump there. The frame is absolute: a hint that arrives late, or twice, cannot
 * push a client too far. */
static void hint_laggards(room *r, uint32_t n, int64_t leader, int64_t now)
{
    for (int s = 0; s < r->nseats; s++) {
        seat *st = &r->seats[s];
        input_slot *in = &st->ring[n % INPUT_RING];
        if (st->role != SEAT_IS_HUMAN || !st->connected || st->max_frame < 0 ||
            (in->present && in->frame == n) || now - st->last_lag_hint < LAG_HINT_GAP_MS ||
            leader - st->max_frame <= r->spec->input_delay)
            continue;
        st->last_lag_hint = now;
        send_one(r, s, proto_msg_lag(leader));
    }
}

/* The frame the episode's wall time has reached: the room's clock, which no client can
 * run faster. */
static int64_t clock_frame(const room *r, loop_time now)
{
    return game_frames_at(r->spec, now.mono_ms - r->episode_t0);
}

/* An input for frame n is late once the room's clock is confirm_window frames past the
 * moment an honest client sends it (input_delay frames before n). Only late inputs are
 * defaulted: a partner running ahead, however fast, cannot make an honest input late. */
static bool input_late(const room *r, uint32_t n, loop_time now)
{
    return clock_frame(r, now) >= (int64_t)n - r->spec->input_delay + r->spec->confirm_window;
}

/* How far past a frame an input may be: an honest client never predicts more than
 * prediction_limit frames past what it has, and sends input_delay ahead of that. */
static int64_t max_ahead(const room *r)
{
    return (int64_t)r->spec->prediction_limit + r->spec->input_delay + 8;
}

/* Inputs for frames at or past this come from a clock running fast: the same allowance as
 * max_ahead, measured from the room's clock instead of from what is confirmed. */
static int64_t input_limit(const room *r, loop_time now) { return clock_frame(r, now) + max_ahead(r); }

/* force: default every late input now, without waiting for a seat W frames ahead (the
 * end-of-episode bound in room_tick). Frames run ahead of wall time only as far as
 * input_limit lets any input be. */
static void confirm_frames(room *r, loop_time now, bool force)
{
    const int32_t window = r->spec->confirm_window;
    while (r->phase == PHASE_PLAYING && r->confirmed < r->rows_cap - 1) {
        uint32_t n = r->confirmed;
        int64_t leader = -1;
        bool missing = false;
        for (int s = 0; s < r->nseats; s++) {
            seat *st = &r->seats[s];
            if (!sends_inputs(st))
                continue;
            if (st->max_frame > leader)
                leader = st->max_frame;
            input_slot *in = &st->ring[n % INPUT_RING];
            if (!(in->present && in->frame == n))
                missing = true;
        }
        if (missing && ((leader < (int64_t)n + window && !force) || !input_late(r, n, now)))
            return; /* wait: the laggard's input is not late yet; room_tick tries again */
        if (missing)
            hint_laggards(r, n, leader, now.mono_ms);

        frame_row *row = &r->rows[n];
        memset(row, 0, sizeof *row);
        row->frame = n;
        int32_t actions[ENV_MAX_PLAYERS];
        for (int s = 0; s < r->nseats; s++) {
            seat *st = &r->seats[s];
            input_slot *in = &st->ring[n % INPUT_RING];
            row->verified[s] = -1;
            row->focused[s] = st->role == SEAT_IS_HUMAN ? (st->connected && st->visible) : 1;
            if (st->role == SEAT_IS_AI) {
                actions[s] = sanitize_action(r, r->env->policy((uint32_t)st->policy, r->state,
                                                               (uint32_t)s));
                row->sources[s] = SOURCE_AI;
            } else if (sends_inputs(st) && in->present && in->frame == n) {
                actions[s] = in->action;
                row->sources[s] = st->role == SEAT_IS_MODEL ? SOURCE_MODEL : SOURCE_INPUT;
            } else {
                actions[s] = (int32_t)r->env->default_action;
                row->sources[s] = SOURCE_DEFAULT;
                r->stats.defaulted++;
            }
            row->actions[s] = (uint8_t)actions[s];
        }
        env_step_out out;
        memset(&out, 0, sizeof out);
        r->env->step(r->state, actions, &out);
        for (int s = 0; s < r->nseats; s++) {
            row->rewards[s] = out.rewards[s];
            r->team_points += out.rewards[s];
        }
        row->terminated = out.terminated;
        row->truncated = out.truncated || n + 1 >= (uint32_t)r->spec->max_steps;
        for (uint32_t i = 0; i < r->env->ninfo && i < ENV_MAX_INFO; i++)
            row->info[i] = out.info[i];
        row->hash = env_hash(r->state, r->env->state_size);
        row->t_ms = (uint32_t)(now.mono_ms - r->episode_t0);
        r->confirmed++;
        r->last_progress = now.mono_ms;
        r->stats.frames_confirmed++;
        mark_dirty(r);
        if (row->terminated || row->truncated)
            end_episode(r, row->terminated ? EPISODE_TERMINATED : EPISODE_TRUNCATED);
    }
}

static void check_hash(room *r, int s, const input_msg *in, loop_time now)
{
    seat *st = &r->seats[s];
    if (!(in->flags & PROTO_INPUT_HAS_HASH) || in->confirmed >= r->confirmed ||
        in->confirmed < st->resync_floor)
        return;
    frame_row *row = &r->rows[in->confirmed];
    if (row->hash == in->hash) {
        row->verified[s] = 1;
        r->stats.hashes_verified++;
        return;
    }
    row->verified[s] = 0;
    r->stats.desyncs++;
    /* A client forging hashes on every input must not turn each one into a STATE and a
     * logged event: the mismatch is recorded above; the repair waits a second. */
    if (st->last_resync != 0 && now.mono_ms - st->last_resync < RESYNC_MIN_GAP_MS)
        return;
    st->last_resync = now.mono_ms;
    char detail[160];
    snprintf(detail, sizeof detail,
             "{\"seat\":%d,\"episode\":%u,\"frame\":%u,\"server\":\"%016llx\",\"client\":\"%016llx\"}",
             s, r->episode, in->confirmed, (unsigned long long)row->hash,
             (unsigned long long)in->hash);
    if (r->st)
        store_event(r->st, st->name, r->id, "desync", detail, now.wall_ms);
    log_warn("game %s: desync seat %d frame %u", r->id, s, in->confirmed);
    /* Pending CONFIRMs must go out before the STATE so the client's frontier matches. */
    room_flush(r, now);
    send_state(r, s);
}

int room_on_input(room *r, int s, const input_msg *in, loop_time now)
{
    if (s < 0 || s >= r->nseats || r->seats[s].role != SEAT_IS_HUMAN)
        return 0;
    const int from = s;
    if (in->flags & PROTO_INPUT_HOSTED) {
        /* Only the host's page sends a model's actions: anyone else is forging them. */
        s = proto_input_hosted_seat(in);
        if (s >= r->nseats || r->seats[s].role != SEAT_IS_MODEL || r->seats[s].host != from)
            return -1;
    }
    seat *st = &r->seats[s];
    r->stats.inputs++;
    if ((r->phase != PHASE_PLAYING && r->phase != PHASE_ENDED) ||
        in->episode != (uint8_t)r->episode) {
        r->stats.stale_inputs++;
        return 0;
    }
    if (s == from)
        check_hash(r, s, in, now);
    if (r->phase != PHASE_PLAYING)
        return 0;
    r->last_input = now.mono_ms;
    if (in->frame < r->confirmed) {
        r->stats.late_inputs++;
        return 0;
    }
    if ((int64_t)in->frame >= (int64_t)r->spec->max_steps + max_ahead(r))
        return -1; /* past the episode's end: no client does that */
    if ((int64_t)in->frame >= input_limit(r, now)) {
        /* A clock running fast: the input is dropped (its frame will be defaulted if
         * nothing honest arrives in time), counted, and recorded once a second. */
        r->stats.early_inputs++;
        st->early_inputs++;
        if (now.mono_ms - st->last_clock_record >= SEAT_RECORD_GAP_MS) {
            st->last_clock_record = now.mono_ms;
            if (r->st) {
                char detail[128];
                snprintf(detail, sizeof detail,
                         "{\"seat\":%d,\"episode\":%u,\"frame\":%u,\"clock_frame\":%lld,"
                         "\"dropped\":%u}",
                         s, r->episode, in->frame, (long long)clock_frame(r, now),
                         st->early_inputs);
                store_event(r->st, st->name, r->id, "ahead_of_clock", detail, now.wall_ms);
            }
            st->early_inputs = 0;
        }
        return 0;
    }
    if ((int64_t)in->frame > (int64_t)r->confirmed + max_ahead(r))
        return -1; /* far past what its partners have sent: no honest client gets there */
    int32_t action = in->action;
    if (action < 0 || (uint32_t)action >= r->env->actions) {
        r->stats.invalid_actions++;
        action = (int32_t)r->env->default_action;
    }
    input_slot *slot = &st->ring[in->frame % INPUT_RING];
    if (slot->present && slot->frame == in->frame) {
        r->stats.duplicate_inputs++; /* first one wins: a client cannot rewrite history */
        return 0;
    }
    slot->frame = in->frame;
    slot->action = action;
    slot->present = true;
    if ((int64_t)in->frame > st->max_frame)
        st->max_frame = in->frame;
    if (action != (int32_t)r->env->default_action)
        st->last_active = now.mono_ms;
    confirm_frames(r, now, false);
    return 0;
}

static void send_confirms(room *r, int s)
{
    seat *st = &r->seats[s];
    uint8_t nseats = (uint8_t)r->nseats;
    while (st->sent < r->confirmed) {
        uint32_t count = r->confirmed - st->sent;
        if (count > CONFIRM_CHUNK)
            count = CONFIRM_CHUNK;
        size_t size = proto_confirm_size(nseats, (uint16_t)count);
        uint8_t *buf = malloc(size);
        if (!buf)
            return;
        proto_confirm_header(buf, (uint8_t)r->episode, nseats, st->sent, (uint16_t)count);
        size_t off = PROTO_CONFIRM_HEADER;
        for (uint32_t i = 0; i < count; i++) {
            const frame_row *row = &r->rows[st->sent + i];
            off += proto_confirm_entry(buf + off, row->actions, nseats, row->hash);
        }
        r->hooks.send_binary(st->peer, buf, size, r->ud);
        free(buf);
        st->sent += count;
    }
}

/* No episode follows this one: the game's last, or one cut short. */
static bool last_episode(const room *r)
{
    return r->episode + 1 >= (uint32_t)r->spec->episodes || r->end_reason == EPISODE_CUT ||
           r->end_reason == EPISODE_STALLED;
}

/* The durable log gets confirmed frames in batches: one chunk row per LOG_BATCH frames
 * costs the store's writer an eighth of the B-tree work of a row per frame (30,000 rows
 * a second at 2,000 participants was most of its CPU). No frame waits longer than
 * LOG_DELAY_MS, and an episode's last frames go at once: a crash loses at most that much
 * more of the log than the writer's own cycle does. */
enum { LOG_BATCH = 8, LOG_DELAY_MS = 250 };

static void log_frames(room *r, loop_time now)
{
    if (r->logged >= r->confirmed || !r->st)
        return;
    /* A row's t_ms is when it was confirmed: the oldest waiting one says when they go. */
    int64_t due = r->episode_t0 + r->rows[r->logged].t_ms + LOG_DELAY_MS;
    if (r->confirmed - r->logged < LOG_BATCH && now.mono_ms < due && r->phase == PHASE_PLAYING)
        return;
    store_frames(r->st, r->id, r->episode, &r->rows[r->logged], r->confirmed - r->logged);
    r->logged = r->confirmed;
}

void room_flush(room *r, loop_time now)
{
    r->dirty = false;
    if (r->phase == PHASE_OVER)
        return;
    for (int s = 0; s < r->nseats; s++) {
        seat *st = &r->seats[s];
        if (st->role == SEAT_IS_HUMAN && st->peer && st->connected)
            send_confirms(r, s);
    }
    log_frames(r, now);
    if (r->phase == PHASE_ENDED && !r->end_announced) {
        r->end_announced = true;
        broadcast(r, episode_end_msg(r));
        if (last_episode(r)) {
            r->deadline = now.mono_ms + FINISH_GRACE_MS;
        } else {
            r->deadline = now.mono_ms + (int64_t)r->spec->countdown_s * 1000;
            broadcast(r, proto_msg_countdown((int)r->episode + 1, r->spec->countdown_s * 1000));
        }
    }
}

static int humans_present(const room *r)
{
    int n = 0;
    for (int s = 0; s < r->nseats; s++)
        if (r->seats[s].role == SEAT_IS_HUMAN && r->seats[s].peer)
            n++;
    return n;
}

/* End the running episode early (cut, or stalled): it is saved with truncated set on its
 * last frame. */
static void stop_episode(room *r, episode_end why, loop_time now)
{
    if (r->phase == PHASE_PLAYING) {
        if (r->confirmed > 0)
            r->rows[r->confirmed - 1].truncated = 1;
        end_episode(r, why);
        room_flush(r, now);
    }
    if (r->phase == PHASE_ENDED)
        hand_off_episode(r, now); /* between episodes too: the ended one is not on disk yet */
}

void room_seat_remove(room *r, int s, seat_removal why, loop_time now)
{
    if (s < 0 || s >= r->nseats || r->phase == PHASE_OVER)
        return;
    seat *st = &r->seats[s];
    if (st->role != SEAT_IS_HUMAN || !st->peer)
        return;
    /* An excluded person is still connected: their game ends here, whatever the others'
     * does. A dropped one is gone and hears nothing. */
    if (why != REMOVAL_DROPPED)
        send_one(r, s, proto_msg_game_end(GAME_EXCLUDED));
    room_event ev = {.kind = ROOM_SEAT_REMOVED, .room = r, .peer = st->peer, .removal = why,
                     .team_points = r->team_points};
    st->peer = NULL;
    st->connected = false;
    queue_event(r, &ev);
    if (r->st) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"seat\":%d,\"reason\":\"%s\"}", s,
                 seat_removal_name(why));
        store_event(r->st, st->name, r->id, why == REMOVAL_DROPPED ? "drop" : "excluded", detail,
                    now.wall_ms);
    }

    if (humans_present(r) == 0) {
        stop_episode(r, EPISODE_CUT, now);
        finish_game(r, GAME_ABANDONED);
        return;
    }
    partner_status status;
    switch (r->scene->on_partner_drop) {
    case DROP_DEFAULT:
        st->role = SEAT_IS_DEFAULT;
        status = PARTNER_DEFAULT;
        break;
    case DROP_AI: {
        st->role = SEAT_IS_AI;
        int policy = env_policy_find(r->env, r->scene->drop_ai);
        st->policy = policy < 0 ? 0 : policy;
        status = PARTNER_AI;
        break;
    }
    case DROP_END:
    default:
        broadcast(r, proto_msg_partner(s, PARTNER_DROPPED));
        stop_episode(r, EPISODE_CUT, now);
        finish_game(r, GAME_PARTNER_DROPPED);
        return;
    }
    broadcast(r, proto_msg_partner(s, status));
    /* The seat now acts without waiting: frames the others already sent can confirm. */
    confirm_frames(r, now, false);
}

static bool record_visibility(room *r, int s, loop_time now);

void room_tick(room *r, loop_time t)
{
    int64_t now = t.mono_ms;
    if (r->phase == PHASE_OVER)
        return;
    for (int s = 0; s < r->nseats && r->phase != PHASE_OVER; s++) {
        seat *st = &r->seats[s];
        if (st->role != SEAT_IS_HUMAN || !st->peer)
            continue;
        record_visibility(r, s, t); /* a change the gap held back */
        if (!st->connected &&
            now - st->disconnected_at >= (int64_t)r->scene->reconnect_grace_s * 1000) {
            room_seat_remove(r, s, REMOVAL_DROPPED, t);
            continue;
        }
        if (r->scene->focus_loss_timeout_s > 0 && st->connected && !st->visible &&
            now - st->hidden_since >= (int64_t)r->scene->focus_loss_timeout_s * 1000) {
            room_seat_remove(r, s, REMOVAL_FOCUS_LOSS, t);
            continue;
        }
        if (r->scene->inactivity_timeout_s > 0 && r->phase == PHASE_PLAYING && st->connected &&
            now - st->last_active >= (int64_t)r->scene->inactivity_timeout_s * 1000)
            room_seat_remove(r, s, REMOVAL_INACTIVE, t);
    }
    /* In an episode's last W frames nobody can get W frames ahead, so the window rule can
     * never default a laggard there. Once a seat has sent its input for the last frame,
     * waiting W frames' worth of time with no progress is the same bound in time. */
    if (r->phase == PHASE_PLAYING && r->scene->no_input_timeout_s > 0 &&
        now - r->last_input >= (int64_t)r->scene->no_input_timeout_s * 1000) {
        /* Connected, but nobody's page sends anything: nothing meaningful can be recorded
         * and the room would otherwise stay open for ever. */
        log_warn("game %s: no input for %d s: ending it", r->id, r->scene->no_input_timeout_s);
        stop_episode(r, EPISODE_STALLED, t);
        finish_game(r, GAME_STALLED);
        return;
    }
    if (r->phase == PHASE_PLAYING)
        confirm_frames(r, t, false); /* frames the clock held back may be due now */
    log_frames(r, t); /* frames confirmed before a stall still reach the log in time */
    if (r->phase == PHASE_PLAYING) {
        int64_t leader = -1;
        for (int s = 0; s < r->nseats; s++)
            if (sends_inputs(&r->seats[s]) && r->seats[s].max_frame > leader)
                leader = r->seats[s].max_frame;
        int64_t window_ms = game_ms_for(r->spec, r->spec->confirm_window);
        if (leader >= r->spec->max_steps - 1 && now - r->last_progress >= window_ms)
            confirm_frames(r, t, true);
    }
    if (r->phase == PHASE_COUNTDOWN && now >= r->deadline) {
        start_episode(r, t);
    } else if (r->phase == PHASE_ENDED && r->end_announced && now >= r->deadline) {
        hand_off_episode(r, t);
        if (last_episode(r)) {
            finish_game(r, GAME_COMPLETED);
        } else {
            r->episode++;
            start_episode(r, t);
        }
    }
}

void room_abort(room *r, game_end why, loop_time now)
{
    if (r->phase == PHASE_OVER)
        return;
    stop_episode(r, EPISODE_CUT, now);
    r->phase = PHASE_OVER;
    if (r->st)
        store_game_end(r->st, r->id, game_end_name(why), now.wall_ms);
}

/* A seat the room still answers for: a person's, in a game not over. */
static bool live_human_seat(const room *r, int s)
{
    return s >= 0 && s < r->nseats && r->phase != PHASE_OVER &&
           r->seats[s].role == SEAT_IS_HUMAN && r->seats[s].peer;
}

void room_seat_disconnected(room *r, int s, loop_time now)
{
    if (!live_human_seat(r, s))
        return;
    seat *st = &r->seats[s];
    st->connected = false;
    st->disconnected_at = now.mono_ms;
    if (r->st)
        store_event(r->st, st->name, r->id, "disconnect", NULL, now.wall_ms);
    broadcast(r, proto_msg_partner(s, PARTNER_RECONNECTING));
}

void room_seat_reconnected(room *r, int s, loop_time now)
{
    if (!live_human_seat(r, s))
        return;
    seat *st = &r->seats[s];
    bool was_away = !st->connected;
    st->connected = true;
    st->visible = true;
    st->last_active = now.mono_ms;
    send_one(r, s, game_start_msg(r, s));
    if (r->phase == PHASE_PLAYING || r->phase == PHASE_ENDED) {
        send_one(r, s, episode_start_msg(r));
        room_flush(r, now); /* the others' pending confirms first, then this seat's state */
        send_state(r, s);
        if (r->phase == PHASE_ENDED && r->end_announced)
            send_one(r, s, episode_end_msg(r));
    } else if (r->phase == PHASE_COUNTDOWN) {
        send_one(r, s, proto_msg_countdown((int)r->episode, (int)(r->deadline - now.mono_ms)));
    }
    if (was_away) {
        if (r->st)
            store_event(r->st, st->name, r->id, "reconnect", NULL, now.wall_ms);
        char *back = proto_msg_partner(s, PARTNER_BACK);
        for (int o = 0; o < r->nseats; o++)
            if (o != s)
                send_to(r, o, back);
        free(back);
    }
}

/* The event log shows a seat's visibility changes, at most one row a
 * VISIBILITY_RECORD_GAP_MS: a page flipping faster than that cannot turn each flip into a
 * row. A row shows the state then and, when more than one change led to it, how many
 * (detail {"changes":N}). False when the gap holds changes back; room_tick writes them
 * once it has passed. */
static bool record_visibility(room *r, int s, loop_time now)
{
    seat *st = &r->seats[s];
    if (st->visibility_changes == 0)
        return true;
    if (now.mono_ms - st->last_visibility_record < VISIBILITY_RECORD_GAP_MS)
        return false;
    st->last_visibility_record = now.mono_ms;
    if (r->st) {
        char detail[48];
        snprintf(detail, sizeof detail, "{\"changes\":%u}", st->visibility_changes);
        store_event(r->st, st->name, r->id, st->visible ? "visible" : "hidden",
                    st->visibility_changes > 1 ? detail : NULL, now.wall_ms);
    }
    st->visibility_changes = 0;
    return true;
}

void room_seat_visibility(room *r, int s, bool visible, loop_time now)
{
    if (!live_human_seat(r, s))
        return;
    seat *st = &r->seats[s];
    if (st->visible == visible)
        return; /* a repeat says nothing new */
    if (!visible)
        st->hidden_since = now.mono_ms;
    st->visible = visible;
    st->visibility_changes++;
    record_visibility(r, s, now);
}

int room_seat_of(const room *r, const void *peer)
{
    for (int s = 0; s < r->nseats; s++)
        if (r->seats[s].peer == peer && peer)
            return s;
    return -1;
}

int64_t room_team_points(const room *r) { return r->team_points; }

const char *room_id(const room *r) { return r->id; }
const char *room_scene(const room *r) { return r->scene_id; }
int room_episode(const room *r) { return (int)r->episode; }
uint32_t room_frame(const room *r) { return r->confirmed; }
bool room_over(const room *r) { return r->phase == PHASE_OVER; }
room_stats room_get_stats(const room *r) { return r->stats; }
