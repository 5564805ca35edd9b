/* Helpers that append commands to an env_drawlist (freestanding; silently stop when full). */
#ifndef COHORT_ENV_DRAWLIST_H
#define COHORT_ENV_DRAWLIST_H

#include "env.h"

void dl_clear(env_drawlist *dl);
void dl_rect(env_drawlist *dl, uint32_t color, int32_t x, int32_t y, int32_t w, int32_t h);
void dl_circle(env_drawlist *dl, uint32_t color, int32_t cx, int32_t cy, int32_t r);
void dl_sprite(env_drawlist *dl, uint16_t id, uint8_t variant, uint32_t color,
               int32_t x, int32_t y, int32_t w, int32_t h);
/* Text at x,y (top left), h view units tall: `label` followed by `value` unless
 * with_value is 0. Longer text is cut to ENV_TEXT_LEN-1 characters. */
void dl_text(env_drawlist *dl, uint32_t color, int32_t x, int32_t y, int32_t h,
             const char *label, int with_value, int32_t value);

#endif
