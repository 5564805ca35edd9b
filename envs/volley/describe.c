/*
 * volley/slime: the state description (envs/env.h, docs/DATA.md). Fields, in this order:
 *   slime0.x slime0.y slime0.vx slime0.vy, slime1.*, ball.x ball.y ball.vx ball.vy,
 *   serve_wait, server, last_hit.
 * Positions and velocities are the state's own Q8 fixed-point integers: divide by 256
 * for world units (the court is 1000 wide, the net at x = 500, y up from the floor).
 * Velocities are per physics tick; a step is VOLLEY_TICKS (4) ticks.
 */
#include "volley.h"

#define ONE VOLLEY_ONE
#define Q8_POS "1/256 world unit"
#define Q8_VEL "1/256 world unit per tick (4 ticks per step)"

static const char *const side_labels[] = {"left", "right"};
static const char *const hit_labels[] = {"left", "right", "nobody"};

#define NFIELDS 15

static void body_field(env_field *out, const char *who, uint32_t k, int slime)
{
    int32_t lo = slime ? VOLLEY_SLIME_R * ONE : 0, hi = VOLLEY_W * ONE;
    if (slime == 1)
        hi = (VOLLEY_NET_X - VOLLEY_NET_HW - VOLLEY_SLIME_R) * ONE;
    if (slime == 2) {
        lo = (VOLLEY_NET_X + VOLLEY_NET_HW + VOLLEY_SLIME_R) * ONE;
        hi = (VOLLEY_W - VOLLEY_SLIME_R) * ONE;
    }
    int32_t vmax = slime ? 4 * VOLLEY_SLIME_JUMP : 4 * VOLLEY_BALL_VMAX;
    switch (k) {
    case 0:
        env_field_set(out, who, "x", ENV_FIELD_INT, lo, hi, Q8_POS,
                      slime ? "horizontal position of the slime's centre, 0 at the left wall"
                            : "horizontal position of the ball's centre, 0 at the left wall",
                      0);
        break;
    case 1:
        env_field_set(out, who, "y", ENV_FIELD_INT, slime ? 0 : -2 * VOLLEY_BALL_R * ONE,
                      VOLLEY_CEIL * ONE, Q8_POS,
                      slime ? "height of the slime's flat bottom above the floor"
                            : "height of the ball's centre above the floor",
                      0);
        break;
    case 2:
        env_field_set(out, who, "vx", ENV_FIELD_INT, slime ? -VOLLEY_SLIME_VX : -vmax,
                      slime ? VOLLEY_SLIME_VX : vmax, Q8_VEL, "horizontal velocity, + is right",
                      0);
        break;
    default:
        env_field_set(out, who, "vy", ENV_FIELD_INT, -vmax, vmax, Q8_VEL,
                      "vertical velocity, + is up", 0);
        break;
    }
}

uint32_t volley_fields(uint32_t i, env_field *out)
{
    if (!out || i >= NFIELDS)
        return NFIELDS;
    if (i < 4)
        body_field(out, "slime0.", i, 1);
    else if (i < 8)
        body_field(out, "slime1.", i - 4, 2);
    else if (i < 12)
        body_field(out, "ball.", i - 8, 0);
    else if (i == 12)
        env_field_set(out, "serve_wait", "", ENV_FIELD_INT, 0, VOLLEY_SERVE_WAIT, "step",
                      "steps until the served ball drops (0: the ball is in play)", 0);
    else if (i == 13)
        env_field_set(out, "server", "", ENV_FIELD_ENUM, 0, 1, "",
                      "who serves this rally (0 is player 0 on the left)", side_labels);
    else
        env_field_set(out, "last_hit", "", ENV_FIELD_ENUM, 0, 2, "",
                      "who touched the ball last in this rally", hit_labels);
    return NFIELDS;
}

uint32_t volley_decode(const void *state, int32_t *values, uint32_t cap)
{
    const volley_state *s = (const volley_state *)state;
    int32_t v[NFIELDS];
    for (int i = 0; i < 2; i++) {
        v[4 * i + 0] = s->slime[i].x;
        v[4 * i + 1] = s->slime[i].y;
        v[4 * i + 2] = s->slime[i].vx;
        v[4 * i + 3] = s->slime[i].vy;
    }
    v[8] = s->ball.x;
    v[9] = s->ball.y;
    v[10] = s->ball.vx;
    v[11] = s->ball.vy;
    v[12] = (int32_t)s->serve_wait;
    v[13] = s->server;
    v[14] = s->last_hit;
    uint32_t n = cap < NFIELDS ? cap : NFIELDS;
    for (uint32_t i = 0; i < n; i++)
        values[i] = v[i];
    return n;
}
