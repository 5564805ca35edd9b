/*
 * Sprite ids shared by every env's render() and web/draw.js, which draws each one as a
 * simple shape (no image assets). A DRAW_SPRITE command fills the box x,y,w,h; `color`
 * tints it and `variant` selects a pose. Add ids at the end; never renumber.
 */
#ifndef COHORT_ENV_SPRITES_H
#define COHORT_ENV_SPRITES_H

enum {
    SPRITE_CHEF = 1,       /* variant: facing 0 up, 1 down, 2 left, 3 right; color = chef */
    SPRITE_ONION = 2,      /* a raw onion */
    SPRITE_DISH = 3,       /* an empty dish */
    SPRITE_SOUP = 4,       /* a dish of onion soup */
    SPRITE_POT = 5,        /* variant: onions inside (0..3) */
    SPRITE_ONION_BOX = 6,  /* onion dispenser */
    SPRITE_DISH_RACK = 7,  /* dish dispenser */
    SPRITE_SERVE = 8,      /* serving window */
    SPRITE_COUNTER = 9,    /* empty counter */
    SPRITE_SLIME = 10,     /* half disc, flat side down; variant: eye 0 looks left, 1 right */
};

#endif
