/* volley/slime: reset, step and physics (the rules are described in volley.h). */
#include "volley.h"

#include "fixed.h"

#define ONE VOLLEY_ONE
#define SLIME_R (VOLLEY_SLIME_R * ONE)
#define BALL_R (VOLLEY_BALL_R * ONE)

/*
 * The serve's random drift: xorshift64*, seeded by fx_splitmix64 (envs/fixed.h). A game
 * written today would draw with fx_rng_next; volley keeps the generator it was recorded
 * with, so that every volley episode recorded before the helpers existed still replays
 * (cohort replay, cohort export) to the same hashes.
 */
static uint64_t rng_next(volley_state *s)
{
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void slime_range(int side, int32_t *lo, int32_t *hi)
{
    if (side == 0) {
        *lo = SLIME_R;
        *hi = (VOLLEY_NET_X - VOLLEY_NET_HW) * ONE - SLIME_R;
    } else {
        *lo = (VOLLEY_NET_X + VOLLEY_NET_HW) * ONE + SLIME_R;
        *hi = VOLLEY_W * ONE - SLIME_R;
    }
}

static int32_t start_x(int side)
{
    return (side == 0 ? VOLLEY_W / 4 : VOLLEY_W * 3 / 4) * ONE;
}

static void clamp_speed(volley_body *b)
{
    int64_t vx = b->vx, vy = b->vy, max = VOLLEY_BALL_VMAX;
    uint64_t s2 = (uint64_t)(vx * vx + vy * vy);
    if (s2 <= (uint64_t)(max * max))
        return;
    int64_t len = (int64_t)fx_isqrt64(s2);
    b->vx = (int32_t)(vx * max / len);
    b->vy = (int32_t)(vy * max / len);
}

/*
 * The ball against a contact point (cx, cy): they touch when the ball centre is closer
 * than `reach`. The ball is pushed out to `reach` along the normal, and if it was moving
 * towards the point relative to the surface velocity (svx, svy), that relative velocity is
 * mirrored. Returns 0 if apart, 1 for a touch without a bounce, 2 for a bounce.
 */
static int bounce(volley_body *b, int32_t cx, int32_t cy, int32_t reach, int32_t svx, int32_t svy)
{
    int64_t dx = (int64_t)b->x - cx, dy = (int64_t)b->y - cy, r = reach;
    uint64_t d2 = (uint64_t)(dx * dx + dy * dy);
    if (d2 >= (uint64_t)(r * r))
        return 0;
    int64_t len = (int64_t)fx_isqrt64(d2);
    if (len == 0) {
        dx = 0;
        dy = 1;
        len = 1;
    }
    b->x = (int32_t)(cx + dx * r / len);
    b->y = (int32_t)(cy + dy * r / len);
    int64_t rvx = (int64_t)b->vx - svx, rvy = (int64_t)b->vy - svy;
    int64_t dot = (rvx * dx + rvy * dy) / len;
    if (dot >= 0)
        return 1;
    b->vx = (int32_t)(b->vx - 2 * dot * dx / len);
    b->vy = (int32_t)(b->vy - 2 * dot * dy / len);
    clamp_speed(b);
    return 2;
}

int volley_ball_tick(volley_body *b)
{
    b->vy -= VOLLEY_BALL_G;
    b->x += b->vx;
    b->y += b->vy;
    if (b->x < BALL_R) {
        b->x = BALL_R;
        b->vx = b->vx < 0 ? -b->vx : b->vx;
    } else if (b->x > VOLLEY_W * ONE - BALL_R) {
        b->x = VOLLEY_W * ONE - BALL_R;
        b->vx = b->vx > 0 ? -b->vx : b->vx;
    }
    if (b->y > VOLLEY_CEIL * ONE - BALL_R) {
        b->y = VOLLEY_CEIL * ONE - BALL_R;
        b->vy = b->vy > 0 ? -b->vy : b->vy;
    }
    /* the net: a post from the floor up to VOLLEY_NET_H */
    int32_t nx = clamp32(b->x, (VOLLEY_NET_X - VOLLEY_NET_HW) * ONE, (VOLLEY_NET_X + VOLLEY_NET_HW) * ONE);
    int32_t ny = b->y < VOLLEY_NET_H * ONE ? b->y : VOLLEY_NET_H * ONE;
    if (bounce(b, nx, ny, BALL_R, 0, 0) == 2 && ny == VOLLEY_NET_H * ONE && b->vx > -32 && b->vx < 32)
        b->vx = b->x < VOLLEY_NET_X * ONE ? -32 : 32; /* never balance on the net */
    return b->y <= BALL_R;
}

static int ball_vs_slime(volley_body *b, const volley_body *p)
{
    if (b->y >= p->y)
        return bounce(b, p->x, p->y, SLIME_R + BALL_R, p->vx, p->vy);
    /* below the slime's centre line: its flat bottom */
    return bounce(b, clamp32(b->x, p->x - SLIME_R, p->x + SLIME_R), p->y, BALL_R, p->vx, p->vy);
}

static void slime_tick(volley_body *p, int side, int action)
{
    int dir = action == VOLLEY_LEFT || action == VOLLEY_JUMP_LEFT ? -1
            : action == VOLLEY_RIGHT || action == VOLLEY_JUMP_RIGHT ? 1 : 0;
    p->vx = dir * VOLLEY_SLIME_VX;
    if (p->y == 0 && action >= VOLLEY_JUMP)
        p->vy = VOLLEY_SLIME_JUMP;
    if (p->y > 0 || p->vy > 0) {
        p->vy -= VOLLEY_SLIME_G;
        p->y += p->vy;
        if (p->y <= 0) {
            p->y = 0;
            p->vy = 0;
        }
    }
    int32_t lo, hi;
    slime_range(side, &lo, &hi);
    p->x = clamp32(p->x + p->vx, lo, hi);
}

static void new_rally(volley_state *s, int server)
{
    for (int i = 0; i < 2; i++)
        s->slime[i] = (volley_body){start_x(i), 0, 0, 0};
    s->ball = (volley_body){start_x(server), VOLLEY_SERVE_Y * ONE, 0, 0};
    s->server = (uint8_t)server;
    s->serve_wait = VOLLEY_SERVE_WAIT;
    s->last_hit = 2;
    s->contact = 0;
}

static void volley_reset(void *state, uint64_t seed, uint32_t horizon)
{
    volley_state *s = (volley_state *)state;
    *s = (volley_state){0};
    s->seed = seed;
    s->rng = fx_splitmix64(seed);
    if (s->rng == 0)
        s->rng = 1;
    s->horizon = horizon ? horizon : VOLLEY_HORIZON;
    new_rally(s, (int)(rng_next(s) >> 63));
}

void volley_sanitize(volley_state *s)
{
    if (s->rng == 0)
        s->rng = 1;
    s->server &= 1;
    s->done = s->done != 0;
    if (s->last_hit > 2)
        s->last_hit = 2;
    s->contact &= 3;
    for (int i = 0; i < 2; i++) {
        volley_body *p = &s->slime[i];
        int32_t lo, hi;
        slime_range(i, &lo, &hi);
        p->x = clamp32(p->x, lo, hi);
        p->y = clamp32(p->y, 0, VOLLEY_CEIL * ONE);
        p->vy = clamp32(p->vy, -4 * VOLLEY_SLIME_JUMP, 4 * VOLLEY_SLIME_JUMP);
        p->vx = clamp32(p->vx, -VOLLEY_SLIME_VX, VOLLEY_SLIME_VX);
    }
    volley_body *b = &s->ball;
    b->x = clamp32(b->x, 0, VOLLEY_W * ONE);
    b->y = clamp32(b->y, -2 * BALL_R, VOLLEY_CEIL * ONE);
    b->vx = clamp32(b->vx, -4 * VOLLEY_BALL_VMAX, 4 * VOLLEY_BALL_VMAX);
    b->vy = clamp32(b->vy, -4 * VOLLEY_BALL_VMAX, 4 * VOLLEY_BALL_VMAX);
}

static void fill_info(const volley_state *s, env_step_out *out)
{
    out->terminated = s->done;
    out->truncated = s->t >= s->horizon;
    out->info[VOLLEY_INFO_SCORE0] = s->score[0];
    out->info[VOLLEY_INFO_SCORE1] = s->score[1];
    out->info[VOLLEY_INFO_HITS0] = (int32_t)s->hits[0];
    out->info[VOLLEY_INFO_HITS1] = (int32_t)s->hits[1];
    out->info[VOLLEY_INFO_RALLIES] = (int32_t)s->rallies;
}

static void point(volley_state *s, int scorer, env_step_out *out)
{
    s->score[scorer]++;
    s->rallies++;
    out->rewards[scorer] += 1;
    out->rewards[!scorer] -= 1;
    if (s->score[scorer] >= VOLLEY_WIN_SCORE)
        s->done = 1; /* the ball stays where it landed */
    else
        new_rally(s, scorer);
}

static void volley_step(void *state, const int32_t *actions, env_step_out *out)
{
    volley_state *s = (volley_state *)state;
    *out = (env_step_out){0};
    volley_sanitize(s);
    if (s->done || s->t >= s->horizon) {
        fill_info(s, out);
        return;
    }
    int a[2];
    for (int i = 0; i < 2; i++)
        a[i] = actions[i] >= 0 && actions[i] <= VOLLEY_JUMP_RIGHT ? (int)actions[i] : VOLLEY_STAY;

    int scored = 0;
    for (int tick = 0; tick < VOLLEY_TICKS && !scored; tick++) {
        for (int i = 0; i < 2; i++)
            slime_tick(&s->slime[i], i, a[i]);
        if (s->serve_wait)
            continue;
        volley_body *b = &s->ball;
        volley_ball_tick(b);
        for (int i = 0; i < 2; i++) {
            int touch = ball_vs_slime(b, &s->slime[i]), bit = 1 << i;
            if (touch == 2 && !(s->contact & bit)) { /* a new touch, not a push */
                s->hits[i]++;
                s->last_hit = (uint8_t)i;
            }
            s->contact = (uint8_t)(touch ? s->contact | bit : s->contact & ~bit);
        }
        if (b->y <= BALL_R) {
            point(s, b->x < VOLLEY_NET_X * ONE ? 1 : 0, out);
            scored = 1;
        }
    }
    if (!scored && s->serve_wait && --s->serve_wait == 0)
        s->ball.vx = (int32_t)(rng_next(s) % 129) - 64;
    s->t++;
    fill_info(s, out);
}

static const env_def volley_defs[1] = {{
    .name = "volley/slime", .players = 2, .actions = 6, .default_action = VOLLEY_STAY,
    .state_size = sizeof(volley_state), .horizon = VOLLEY_HORIZON,
    .ninfo = VOLLEY_NINFO, .info_names = {"score0", "score1", "hits0", "hits1", "rallies"},
    .view_w = VOLLEY_VIEW_W, .view_h = VOLLEY_VIEW_H,
    .action_names = {"stay", "left", "right", "jump", "jump_left", "jump_right"},
    .reset = volley_reset, .step = volley_step, .render = volley_render,
    .npolicies = 1, .policy_names = {"tracker"}, .policy = volley_policy,
    .reward_meaning = "+1 to the player who wins a rally, -1 to the other (zero-sum: the "
                      "team's reward, the sum, is always 0)",
    .info_meanings = {"points won so far by player 0 (left)",
                      "points won so far by player 1 (right)",
                      "ball touches so far by player 0", "ball touches so far by player 1",
                      "rallies played so far"},
    .fields = volley_fields, .decode = volley_decode,
}};

uint32_t volley_family_count(void)
{
    return 1;
}

const env_def *volley_family_at(uint32_t i)
{
    return i < 1 ? &volley_defs[i] : 0;
}
