/*
 * commons/harvest render (view units, COMMONS_CELL_PX per cell, the grid below a HUD strip
 * COMMONS_HUD_H high): grass, the orchard cells a lighter green, apples as red discs,
 * each active player a disc in its colour (player 1 red, 2 blue, 3 orange, 4 purple) with
 * a white dot on the side it faces and its number, a showing tag beam as a translucent
 * yellow band, and in the HUD each player's apples (or "out" while tagged out) and the
 * time left. Only rectangles, circles and text: draw.js needs nothing new.
 */
#include "commons.h"
#include "drawlist.h"

#define GRASS 0x3E7A3AFFu
#define ORCHARD 0x5C9A48FFu
#define APPLE 0xD7263DFFu
#define HUD 0x1E2A38FFu
#define HUD_TEXT 0xF4F4F4FFu
#define BEAM 0xFFE45C99u
#define EYE 0xFFFFFFFFu

static const uint32_t player_color[COMMONS_PLAYERS] = {0xE4572EFFu, 0x2F6FD8FFu,
                                                        0xF2A541FFu, 0x8E44ADFFu};
static const int DX[4] = {0, 0, -1, 1}, DY[4] = {-1, 1, 0, 0};

static int32_t cell_x(int x) { return x * COMMONS_CELL_PX; }
static int32_t cell_y(int y) { return COMMONS_HUD_H + y * COMMONS_CELL_PX; }

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void beam(env_drawlist *out, const commons_player *p)
{
    int f = p->facing, half = COMMONS_TAG_WIDTH / 2;
    int x0, x1, y0, y1; /* cells, inclusive */
    if (DX[f]) {
        x0 = DX[f] > 0 ? p->x + 1 : p->x - COMMONS_TAG_RANGE;
        x1 = DX[f] > 0 ? p->x + COMMONS_TAG_RANGE : p->x - 1;
        y0 = p->y - half;
        y1 = p->y + half;
    } else {
        y0 = DY[f] > 0 ? p->y + 1 : p->y - COMMONS_TAG_RANGE;
        y1 = DY[f] > 0 ? p->y + COMMONS_TAG_RANGE : p->y - 1;
        x0 = p->x - half;
        x1 = p->x + half;
    }
    x0 = clamp(x0, 0, COMMONS_W - 1);
    x1 = clamp(x1, 0, COMMONS_W - 1);
    y0 = clamp(y0, 0, COMMONS_H - 1);
    y1 = clamp(y1, 0, COMMONS_H - 1);
    if (x1 < x0 || y1 < y0)
        return;
    dl_rect(out, BEAM, cell_x(x0), cell_y(y0), (x1 - x0 + 1) * COMMONS_CELL_PX,
            (y1 - y0 + 1) * COMMONS_CELL_PX);
}

void commons_render(const void *state, env_drawlist *out)
{
    commons_state s = *(const commons_state *)state; /* any bytes: draw a sane copy */
    commons_sanitize(&s);
    const int half = COMMONS_CELL_PX / 2;
    dl_clear(out);
    dl_rect(out, HUD, 0, 0, COMMONS_VIEW_W, COMMONS_HUD_H);
    dl_rect(out, GRASS, 0, COMMONS_HUD_H, COMMONS_VIEW_W, COMMONS_H * COMMONS_CELL_PX);
    for (int y = 0; y < COMMONS_H; y++)
        for (int x = 0; x < COMMONS_W; x++) {
            if (!commons_orchard(x, y))
                continue;
            dl_rect(out, ORCHARD, cell_x(x) + 1, cell_y(y) + 1, COMMONS_CELL_PX - 2,
                    COMMONS_CELL_PX - 2);
            if (s.apple[y * COMMONS_W + x])
                dl_circle(out, APPLE, cell_x(x) + half, cell_y(y) + half, COMMONS_CELL_PX / 3);
        }
    for (int k = 0; k < COMMONS_PLAYERS; k++)
        if (!s.p[k].out && s.p[k].beam)
            beam(out, &s.p[k]);
    for (int k = 0; k < COMMONS_PLAYERS; k++) {
        const commons_player *p = &s.p[k];
        if (p->out)
            continue;
        int32_t cx = cell_x(p->x) + half, cy = cell_y(p->y) + half;
        dl_circle(out, player_color[k], cx, cy, half - 3);
        dl_circle(out, EYE, cx + DX[p->facing] * (half - 9), cy + DY[p->facing] * (half - 9), 5);
        dl_text(out, HUD_TEXT, cx - 6, cy - 8, 16, "", 1, k + 1);
    }
    for (int k = 0; k < COMMONS_PLAYERS; k++) {
        int32_t x = 12 + k * 150;
        dl_circle(out, player_color[k], x + 10, COMMONS_HUD_H / 2, 10);
        if (s.p[k].out)
            dl_text(out, HUD_TEXT, x + 26, 10, 20, "out", 0, 0);
        else
            dl_text(out, HUD_TEXT, x + 26, 10, 20, "", 1, s.p[k].eaten);
    }
    uint32_t left = s.t < s.horizon ? s.horizon - s.t : 0;
    dl_text(out, HUD_TEXT, COMMONS_VIEW_W - 110, 10, 20, "time ", 1, (int32_t)left);
}
