/*
 * volley render (view y down, floor at VOLLEY_GROUND_Y): sky, floor, net, the two slimes
 * (red = player 0 on the left, blue = player 1) looking at the ball, the ball, the score
 * and the time left.
 */
#include "drawlist.h"
#include "sprites.h"
#include "volley.h"

#define SKY 0x9FD3F2FFu
#define FLOOR 0x6B8E4EFFu
#define NET 0xF4F4F4FFu
#define BALL 0xF7C531FFu
#define TEXT 0x1E2A38FFu

static const uint32_t slime_color[2] = {0xD9483BFFu, 0x2F6FD8FFu};

/* Q8 world x to view x, and Q8 world height to view y (clamped to a sane range). */
static int32_t vx_of(int32_t x)
{
    return x / VOLLEY_ONE;
}

static int32_t vy_of(int32_t y)
{
    int32_t v = VOLLEY_GROUND_Y - y / VOLLEY_ONE;
    return v < -10000 ? -10000 : v;
}

void volley_render(const void *state, env_drawlist *out)
{
    const volley_state *s = (const volley_state *)state;
    dl_clear(out);
    dl_rect(out, SKY, 0, 0, VOLLEY_VIEW_W, VOLLEY_GROUND_Y);
    dl_rect(out, FLOOR, 0, VOLLEY_GROUND_Y, VOLLEY_VIEW_W, VOLLEY_VIEW_H - VOLLEY_GROUND_Y);
    dl_rect(out, NET, VOLLEY_NET_X - VOLLEY_NET_HW, VOLLEY_GROUND_Y - VOLLEY_NET_H,
            2 * VOLLEY_NET_HW, VOLLEY_NET_H);
    for (int i = 0; i < 2; i++) {
        const volley_body *p = &s->slime[i];
        int32_t x = vx_of(p->x), y = vy_of(p->y);
        dl_sprite(out, SPRITE_SLIME, s->ball.x >= p->x, slime_color[i], x - VOLLEY_SLIME_R,
                  y - VOLLEY_SLIME_R, 2 * VOLLEY_SLIME_R, VOLLEY_SLIME_R);
    }
    dl_circle(out, BALL, vx_of(s->ball.x), vy_of(s->ball.y), VOLLEY_BALL_R);
    dl_text(out, slime_color[0], 24, 16, 40, "", 1, s->score[0]);
    dl_text(out, slime_color[1], VOLLEY_VIEW_W - 64, 16, 40, "", 1, s->score[1]);
    uint32_t left = s->t < s->horizon ? s->horizon - s->t : 0;
    dl_text(out, TEXT, VOLLEY_VIEW_W / 2 - 40, 16, 24, "time ", 1, (int32_t)left);
}
