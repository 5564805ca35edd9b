/* commons/harvest: reset, step and the map (the rules are described in commons.h). */
#include "commons.h"

/* 'A' an orchard cell (an apple at reset), '.' open ground. Player k starts in corner k. */
static const char MAP[COMMONS_H][COMMONS_W + 1] = {
    "..................",
    "....A........A....",
    "...AAA......AAA...",
    "..AAAAA....AAAAA..",
    "...AAA......AAA...",
    "....A...AA...A....",
    "....A...AA...A....",
    "...AAA......AAA...",
    "..AAAAA....AAAAA..",
    "...AAA......AAA...",
    "....A........A....",
    "..................",
};

static const uint8_t SPAWN_X[COMMONS_PLAYERS] = {0, COMMONS_W - 1, 0, COMMONS_W - 1};
static const uint8_t SPAWN_Y[COMMONS_PLAYERS] = {0, 0, COMMONS_H - 1, COMMONS_H - 1};
static const int DX[4] = {0, 0, -1, 1}, DY[4] = {-1, 1, 0, 0}; /* up, down, left, right */

int commons_orchard(int x, int y)
{
    return x >= 0 && x < COMMONS_W && y >= 0 && y < COMMONS_H && MAP[y][x] == 'A';
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t rng_next(commons_state *s)
{
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

int commons_neighbours(const commons_state *s, int x, int y)
{
    int n = 0;
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++) {
            int cx = x + dx, cy = y + dy;
            if ((dx | dy) == 0 || dx * dx + dy * dy > 4 || cx < 0 || cx >= COMMONS_W ||
                cy < 0 || cy >= COMMONS_H)
                continue;
            n += s->apple[cy * COMMONS_W + cx] != 0;
        }
    return n;
}

void commons_sanitize(commons_state *s)
{
    if (s->rng == 0)
        s->rng = 0x9E3779B97F4A7C15ull; /* xorshift never leaves 0 */
    for (int k = 0; k < COMMONS_PLAYERS; k++) {
        commons_player *p = &s->p[k];
        if (p->x >= COMMONS_W)
            p->x = SPAWN_X[k];
        if (p->y >= COMMONS_H)
            p->y = SPAWN_Y[k];
        if (p->facing > COMMONS_RIGHT)
            p->facing = COMMONS_DOWN;
        if (p->out > COMMONS_TAG_OUT)
            p->out = COMMONS_TAG_OUT;
        if (p->move_wait >= COMMONS_MOVE_STEPS)
            p->move_wait = COMMONS_MOVE_STEPS; /* counted down at each step's start */
        if (p->tag_wait > COMMONS_TAG_COOLDOWN)
            p->tag_wait = COMMONS_TAG_COOLDOWN;
        if (p->beam > COMMONS_BEAM_STEPS)
            p->beam = COMMONS_BEAM_STEPS;
        p->pad = 0;
    }
    for (int c = 0; c < COMMONS_CELLS; c++)
        s->apple[c] = s->apple[c] && MAP[c / COMMONS_W][c % COMMONS_W] == 'A';
}

static void commons_reset(void *state, uint64_t seed, uint32_t horizon)
{
    commons_state *s = (commons_state *)state;
    *s = (commons_state){0};
    s->seed = seed;
    s->rng = splitmix64(seed) | 1; /* never 0 */
    s->horizon = horizon ? horizon : COMMONS_HORIZON;
    for (int k = 0; k < COMMONS_PLAYERS; k++) {
        s->p[k].x = SPAWN_X[k];
        s->p[k].y = SPAWN_Y[k];
        s->p[k].facing = k < 2 ? COMMONS_DOWN : COMMONS_UP;
    }
    for (int y = 0; y < COMMONS_H; y++)
        for (int x = 0; x < COMMONS_W; x++)
            s->apple[y * COMMONS_W + x] = MAP[y][x] == 'A';
}

/* The active player on (x, y), or -1. */
static int player_at(const commons_state *s, int x, int y)
{
    for (int k = 0; k < COMMONS_PLAYERS; k++)
        if (s->p[k].out == 0 && s->p[k].x == x && s->p[k].y == y)
            return k;
    return -1;
}

/* Whether (x, y) lies in the beam of a player at (px, py) facing f. */
static int in_beam(int px, int py, int f, int x, int y)
{
    int ahead = (x - px) * DX[f] + (y - py) * DY[f];         /* along the facing */
    int side = DX[f] ? y - py : x - px;                       /* across it */
    return ahead >= 1 && ahead <= COMMONS_TAG_RANGE && side >= -(COMMONS_TAG_WIDTH / 2) &&
           side <= COMMONS_TAG_WIDTH / 2;
}

static void tag(commons_state *s, int k)
{
    commons_player *p = &s->p[k];
    p->tag_wait = COMMONS_TAG_COOLDOWN;
    p->beam = COMMONS_BEAM_STEPS;
    for (int o = 0; o < COMMONS_PLAYERS; o++) {
        commons_player *q = &s->p[o];
        if (o == k || q->out || !in_beam(p->x, p->y, p->facing, q->x, q->y))
            continue;
        q->out = COMMONS_TAG_OUT;
        q->beam = 0;
        q->tagged++;
        p->tags++;
        s->tags++;
    }
}

static void act(commons_state *s, int k, int32_t a, env_step_out *out)
{
    commons_player *p = &s->p[k];
    if (p->out)
        return;
    if (a == COMMONS_TAG) {
        if (p->tag_wait == 0 && p->beam == 0)
            tag(s, k);
        return;
    }
    if (a < COMMONS_UP || a > COMMONS_RIGHT || p->beam)
        return;
    p->facing = (uint8_t)a;
    if (p->move_wait)
        return;
    int nx = p->x + DX[a], ny = p->y + DY[a];
    if (nx < 0 || nx >= COMMONS_W || ny < 0 || ny >= COMMONS_H || player_at(s, nx, ny) >= 0)
        return;
    p->x = (uint8_t)nx;
    p->y = (uint8_t)ny;
    p->move_wait = COMMONS_MOVE_STEPS; /* counted down at each step's start */
    uint8_t *apple = &s->apple[ny * COMMONS_W + nx];
    if (*apple) {
        *apple = 0;
        p->eaten++;
        s->eaten++;
        out->rewards[k] += 1;
    }
}

static int32_t regrowth(int n)
{
    return n == 0 ? 0 : n <= 2 ? COMMONS_P_FEW : n <= 4 ? COMMONS_P_SOME : COMMONS_P_MANY;
}

static void regrow(commons_state *s)
{
    /* Judged on the apples standing before this step's growth, so the scan order of the
     * cells does not matter to which ones grow. */
    const commons_state before = *s;
    for (int y = 0; y < COMMONS_H; y++)
        for (int x = 0; x < COMMONS_W; x++) {
            int c = y * COMMONS_W + x;
            if (MAP[y][x] != 'A' || before.apple[c] || player_at(s, x, y) >= 0)
                continue;
            int32_t p = regrowth(commons_neighbours(&before, x, y));
            if (p > 0 && (int32_t)(rng_next(s) % 10000) < p)
                s->apple[c] = 1;
        }
}

static int apples_standing(const commons_state *s)
{
    int n = 0;
    for (int c = 0; c < COMMONS_CELLS; c++)
        n += s->apple[c] != 0;
    return n;
}

static void fill_info(const commons_state *s, env_step_out *out)
{
    int apples = apples_standing(s), away = 0;
    for (int k = 0; k < COMMONS_PLAYERS; k++)
        away += s->p[k].out != 0;
    out->terminated = apples == 0;
    out->truncated = s->t >= s->horizon;
    out->info[COMMONS_INFO_APPLES] = apples;
    out->info[COMMONS_INFO_EATEN] = (int32_t)s->eaten;
    out->info[COMMONS_INFO_TAGS] = (int32_t)s->tags;
    out->info[COMMONS_INFO_OUT] = away;
}

static void commons_step(void *state, const int32_t *actions, env_step_out *out)
{
    commons_state *s = (commons_state *)state;
    *out = (env_step_out){0};
    commons_sanitize(s);
    if (apples_standing(s) == 0 || s->t >= s->horizon) {
        fill_info(s, out);
        return;
    }
    for (int k = 0; k < COMMONS_PLAYERS; k++) {
        commons_player *p = &s->p[k];
        if (p->out && --p->out == 0) {
            if (player_at(s, SPAWN_X[k], SPAWN_Y[k]) >= 0) {
                p->out = 1; /* the corner is taken: try again next step */
            } else {
                p->x = SPAWN_X[k];
                p->y = SPAWN_Y[k];
                p->facing = k < 2 ? COMMONS_DOWN : COMMONS_UP;
                p->move_wait = p->tag_wait = p->beam = 0; /* corners grow no apples */
            }
        }
        if (p->move_wait)
            p->move_wait--;
        if (p->tag_wait)
            p->tag_wait--;
        if (p->beam)
            p->beam--;
    }
    for (int i = 0; i < COMMONS_PLAYERS; i++) {
        int k = (int)((s->t + (uint32_t)i) % COMMONS_PLAYERS);
        act(s, k, actions[k], out);
    }
    regrow(s);
    s->t++;
    fill_info(s, out);
}

static const env_def commons_defs[1] = {{
    .name = "commons/harvest", .players = COMMONS_PLAYERS, .actions = COMMONS_NACTIONS,
    .default_action = COMMONS_STAY, .state_size = sizeof(commons_state),
    .horizon = COMMONS_HORIZON, .ninfo = COMMONS_NINFO,
    .info_names = {"apples", "eaten", "tags", "out"},
    .view_w = COMMONS_VIEW_W, .view_h = COMMONS_VIEW_H,
    .action_names = {"up", "down", "left", "right", "stay", "tag"},
    .reset = commons_reset, .step = commons_step, .render = commons_render,
    .npolicies = 2, .policy_names = {"sustainable", "greedy"}, .policy = commons_policy,
    .reward_meaning = "+1 to the player who ate an apple on this step (the only reward; "
                      "tagging pays and costs nothing)",
    .info_meanings = {"apples standing on the grid after this step",
                      "apples eaten so far by all players together",
                      "tag hits so far (players tagged out by another)",
                      "players tagged out (off the grid) after this step"},
    .fields = commons_fields, .decode = commons_decode,
}};

uint32_t commons_family_count(void)
{
    return 1;
}

const env_def *commons_family_at(uint32_t i)
{
    return i < 1 ? &commons_defs[i] : 0;
}
