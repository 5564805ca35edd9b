// volley's sprite (id in envs/volley/sprites.h), served as /envs/volley/sprites.js and
// called by web/draw.js for every DRAW_SPRITE command of a volley env.

const SLIME = 10;

export function drawSprite(ctx, cmd, lib) {
  if (cmd.id !== SLIME) return false;
  const { variant, x, y, w, h } = cmd;
  const cx = x + w / 2;
  // half disc, flat side down, over the box x..x+w, y..y+h (h = radius)
  ctx.beginPath();
  ctx.arc(cx, y + h, w / 2, Math.PI, 0);
  ctx.closePath();
  ctx.fillStyle = cmd.color ? lib.cssColor(cmd.color) : '#d9483b';
  ctx.fill();
  const ex = cx + (variant ? 1 : -1) * w * 0.2, ey = y + h * 0.4;
  lib.circle(ctx, ex, ey, h * 0.18, '#ffffff');
  lib.circle(ctx, ex + (variant ? 1 : -1) * h * 0.07, ey, h * 0.08, '#111111');
  return true;
}
