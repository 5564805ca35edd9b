// cooking's sprites (ids in envs/cooking/sprites.h) as simple shapes, no images. Served as
// /envs/cooking/sprites.js; web/draw.js calls drawSprite for every DRAW_SPRITE command of
// a cooking env. lib holds draw.js's helpers (circle, roundRect, cssColor). Returns false
// for an id it does not know, which draw.js then fills with the command's tint.

const CHEF = 1, ONION = 2, DISH = 3, SOUP = 4, POT = 5, ONION_BOX = 6, DISH_RACK = 7, SERVE = 8, COUNTER = 9;

function onion(ctx, lib, cx, cy, r) {
  lib.circle(ctx, cx, cy + r * 0.1, r * 0.8, '#e8c15a', '#a47a22');
  ctx.strokeStyle = '#5d8c2e';
  ctx.lineWidth = Math.max(1, r * 0.15);
  ctx.beginPath();
  ctx.moveTo(cx, cy - r * 0.6);
  ctx.lineTo(cx, cy - r);
  ctx.stroke();
}

function dish(ctx, lib, cx, cy, r, soup) {
  lib.circle(ctx, cx, cy, r, '#fafafa', '#9a9a9a');
  if (soup) lib.circle(ctx, cx, cy, r * 0.65, '#d9822b');
}

export function drawSprite(ctx, cmd, lib) {
  const { id, variant, x, y, w, h } = cmd;
  const cx = x + w / 2, cy = y + h / 2, r = Math.min(w, h) / 2;
  const tint = cmd.color ? lib.cssColor(cmd.color) : null;
  switch (id) {
    case CHEF: {
      lib.circle(ctx, cx, cy, r * 0.7, tint || '#3b7dd8', '#1d2a3a');
      lib.circle(ctx, cx, cy - r * 0.05, r * 0.35, '#ffffff'); // hat
      // facing: 0 up, 1 down, 2 left, 3 right
      const dx = [0, 0, -1, 1][variant] ?? 0, dy = [-1, 1, 0, 0][variant] ?? 0;
      lib.circle(ctx, cx + dx * r * 0.55, cy + dy * r * 0.55, r * 0.16, '#1d2a3a');
      return true;
    }
    case ONION: onion(ctx, lib, cx, cy, r); return true;
    case DISH: dish(ctx, lib, cx, cy, r * 0.9, false); return true;
    case SOUP: dish(ctx, lib, cx, cy, r * 0.9, true); return true;
    case POT:
      lib.roundRect(ctx, x + w * 0.12, y + h * 0.2, w * 0.76, h * 0.62, r * 0.2, '#4a4a4a');
      for (let i = 0; i < Math.min(variant, 3); i++) onion(ctx, lib, x + w * (0.3 + 0.2 * i), y + h * 0.45, r * 0.17);
      return true;
    case ONION_BOX:
      lib.roundRect(ctx, x + w * 0.08, y + h * 0.08, w * 0.84, h * 0.84, r * 0.1, '#7a5230');
      onion(ctx, lib, cx - r * 0.3, cy, r * 0.3);
      onion(ctx, lib, cx + r * 0.3, cy, r * 0.3);
      return true;
    case DISH_RACK:
      lib.roundRect(ctx, x + w * 0.08, y + h * 0.08, w * 0.84, h * 0.84, r * 0.1, '#7a5230');
      dish(ctx, lib, cx - r * 0.25, cy, r * 0.35, false);
      dish(ctx, lib, cx + r * 0.25, cy, r * 0.35, false);
      return true;
    case SERVE:
      lib.roundRect(ctx, x + w * 0.08, y + h * 0.08, w * 0.84, h * 0.84, r * 0.1, '#8fa3a8');
      ctx.fillStyle = '#2f3b40';
      ctx.fillRect(x + w * 0.2, y + h * 0.42, w * 0.6, h * 0.16);
      return true;
    case COUNTER:
      ctx.fillStyle = tint || '#b98b56';
      ctx.fillRect(x, y, w, h);
      return true;
    default:
      return false;
  }
}
