/*
 * cooking render: the grid (COOKING_TILE_PX per cell, y down), items on counters, pots
 * with their onions and a cooking bar (orange while cooking, green when ready), the two
 * chefs (blue = chef 0, green = chef 1) facing their direction with what they hold, and
 * a bar below with score, soups served and time left.
 */
#include "cooking.h"
#include "drawlist.h"
#include "sprites.h"

#define T COOKING_TILE_PX
#define COLOR_FLOOR 0xE9DFC9FFu
#define COLOR_COUNTER 0xB98B56FFu
#define COLOR_HUD 0x2B2B2BFFu
#define COLOR_TEXT 0xFFFFFFFFu
#define COLOR_BAR_BG 0x3A3A3AFFu
#define COLOR_COOKING 0xF29A2EFFu
#define COLOR_READY 0x3CC45AFFu

static const uint32_t chef_color[2] = {0x3B7DD8FFu, 0x2FA84FFFu};

static int item_sprite(int item)
{
    switch (item) {
    case ITEM_ONION: return SPRITE_ONION;
    case ITEM_DISH: return SPRITE_DISH;
    case ITEM_SOUP: return SPRITE_SOUP;
    default: return 0;
    }
}

void cooking_render(const void *state, env_drawlist *out)
{
    const cooking_state *s = (const cooking_state *)state;
    const cooking_layout *L = cooking_layout_of(s);
    dl_clear(out);
    for (int y = 0; y < L->h; y++)
        for (int x = 0; x < L->w; x++) {
            int tile = cooking_tile(L, x, y), cell = y * L->w + x;
            int px = x * T, py = y * T;
            dl_rect(out, tile == TILE_FLOOR ? COLOR_FLOOR : COLOR_COUNTER, px, py, T, T);
            switch (tile) {
            case TILE_COUNTER: {
                int sp = item_sprite(s->item[cell]);
                if (sp)
                    dl_sprite(out, (uint16_t)sp, 0, 0, px + T / 8, py + T / 8, T * 3 / 4, T * 3 / 4);
                break;
            }
            case TILE_ONION: dl_sprite(out, SPRITE_ONION_BOX, 0, 0, px, py, T, T); break;
            case TILE_DISH: dl_sprite(out, SPRITE_DISH_RACK, 0, 0, px, py, T, T); break;
            case TILE_SERVE: dl_sprite(out, SPRITE_SERVE, 0, 0, px, py, T, T); break;
            case TILE_POT: {
                int onions = s->item[cell] > 3 ? 3 : s->item[cell];
                dl_sprite(out, SPRITE_POT, (uint8_t)onions, 0, px, py, T, T);
                if (onions == 3) {
                    int cooked = s->cook[cell] > COOKING_COOK_TIME ? COOKING_COOK_TIME : s->cook[cell];
                    int ready = cooked == COOKING_COOK_TIME;
                    dl_rect(out, COLOR_BAR_BG, px + 4, py + T - 10, T - 8, 6);
                    dl_rect(out, ready ? COLOR_READY : COLOR_COOKING, px + 4, py + T - 10,
                            (T - 8) * cooked / COOKING_COOK_TIME, 6);
                    if (ready)
                        dl_sprite(out, SPRITE_SOUP, 0, 0, px + T / 4, py + T / 4, T / 2, T / 2);
                }
                break;
            }
            default: break;
            }
        }
    for (int i = 0; i < 2; i++) {
        const cooking_chef *c = &s->chef[i];
        if (c->x >= L->w || c->y >= L->h)
            continue;
        int px = c->x * T, py = c->y * T, dir = c->dir <= COOK_RIGHT ? c->dir : COOK_DOWN;
        dl_sprite(out, SPRITE_CHEF, (uint8_t)dir, chef_color[i], px, py, T, T);
        int sp = item_sprite(c->held);
        if (sp) {
            /* the held item sits in front of the chef */
            int fx = px + T / 4 + (dir == COOK_RIGHT) * T / 4 - (dir == COOK_LEFT) * T / 4;
            int fy = py + T / 4 + (dir == COOK_DOWN) * T / 4 - (dir == COOK_UP) * T / 4;
            dl_sprite(out, (uint16_t)sp, 0, 0, fx, fy, T / 2, T / 2);
        }
    }
    int hy = L->h * T, W = L->w * T;
    uint32_t left = s->t < s->horizon ? s->horizon - s->t : 0;
    dl_rect(out, COLOR_HUD, 0, hy, W, COOKING_HUD_PX);
    dl_text(out, COLOR_TEXT, 8, hy + 12, 24, "score ", 1, s->score);
    dl_text(out, COLOR_TEXT, W / 2 - 8, hy + 12, 24, "time ", 1, (int32_t)left);
}
