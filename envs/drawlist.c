#include "drawlist.h"

static env_draw *push(env_drawlist *dl, uint8_t kind, uint32_t color,
                      int32_t x, int32_t y, int32_t w, int32_t h)
{
    if (dl->count >= ENV_MAX_DRAW)
        return 0;
    env_draw *d = &dl->items[dl->count++];
    *d = (env_draw){0};
    d->kind = kind;
    d->color = color;
    d->x = x;
    d->y = y;
    d->w = w;
    d->h = h;
    return d;
}

void dl_clear(env_drawlist *dl)
{
    dl->count = 0;
}

void dl_rect(env_drawlist *dl, uint32_t color, int32_t x, int32_t y, int32_t w, int32_t h)
{
    push(dl, DRAW_RECT, color, x, y, w, h);
}

void dl_circle(env_drawlist *dl, uint32_t color, int32_t cx, int32_t cy, int32_t r)
{
    push(dl, DRAW_CIRCLE, color, cx, cy, r, r);
}

void dl_sprite(env_drawlist *dl, uint16_t id, uint8_t variant, uint32_t color,
               int32_t x, int32_t y, int32_t w, int32_t h)
{
    env_draw *d = push(dl, DRAW_SPRITE, color, x, y, w, h);
    if (d) {
        d->id = id;
        d->variant = variant;
    }
}

void dl_text(env_drawlist *dl, uint32_t color, int32_t x, int32_t y, int32_t h,
             const char *label, int with_value, int32_t value)
{
    env_draw *d = push(dl, DRAW_TEXT, color, x, y, 0, h);
    if (!d)
        return;
    int n = 0;
    while (label[n] && n < ENV_TEXT_LEN - 1) {
        d->text[n] = label[n];
        n++;
    }
    if (!with_value)
        return;
    char digits[12];
    int nd = 0;
    uint32_t v = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0)
        digits[nd++] = '-';
    while (nd > 0 && n < ENV_TEXT_LEN - 1)
        d->text[n++] = digits[--nd];
}
