// Draws an env draw list (env.render()) on a 2D canvas context. Commands are in view units
// (the env's viewW x viewH box); the box is scaled uniformly to fit the canvas and
// centred. Sprites are simple shapes by id (ids in envs/sprites.h), so no images are needed.

export const SPRITES = {
  CHEF: 1, ONION: 2, DISH: 3, SOUP: 4, POT: 5, ONION_BOX: 6, DISH_RACK: 7, SERVE: 8, COUNTER: 9, SLIME: 10,
};

export function cssColor(c) {
  c >>>= 0;
  const r = c >>> 24, g = (c >>> 16) & 255, b = (c >>> 8) & 255, a = c & 255;
  return `rgba(${r},${g},${b},${(a / 255).toFixed(3)})`;
}

function circle(ctx, x, y, r, fill, stroke) {
  ctx.beginPath();
  ctx.arc(x, y, Math.max(0, r), 0, Math.PI * 2);
  if (fill) { ctx.fillStyle = fill; ctx.fill(); }
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = Math.max(1, r * 0.12); ctx.stroke(); }
}

function roundRect(ctx, x, y, w, h, r, fill) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
  ctx.fillStyle = fill;
  ctx.fill();
}

function onion(ctx, cx, cy, r) {
  circle(ctx, cx, cy + r * 0.1, r * 0.8, '#e8c15a', '#a47a22');
  ctx.strokeStyle = '#5d8c2e';
  ctx.lineWidth = Math.max(1, r * 0.15);
  ctx.beginPath();
  ctx.moveTo(cx, cy - r * 0.6);
  ctx.lineTo(cx, cy - r);
  ctx.stroke();
}

function dish(ctx, cx, cy, r, soup) {
  circle(ctx, cx, cy, r, '#fafafa', '#9a9a9a');
  if (soup) circle(ctx, cx, cy, r * 0.65, '#d9822b');
}

function drawSprite(ctx, cmd) {
  const { id, variant, x, y, w, h } = cmd;
  const cx = x + w / 2, cy = y + h / 2, r = Math.min(w, h) / 2;
  const tint = cmd.color ? cssColor(cmd.color) : null;
  switch (id) {
    case SPRITES.CHEF: {
      circle(ctx, cx, cy, r * 0.7, tint || '#3b7dd8', '#1d2a3a');
      circle(ctx, cx, cy - r * 0.05, r * 0.35, '#ffffff'); // hat
      // facing: 0 up, 1 down, 2 left, 3 right
      const dx = [0, 0, -1, 1][variant] ?? 0, dy = [-1, 1, 0, 0][variant] ?? 0;
      circle(ctx, cx + dx * r * 0.55, cy + dy * r * 0.55, r * 0.16, '#1d2a3a');
      break;
    }
    case SPRITES.ONION: onion(ctx, cx, cy, r); break;
    case SPRITES.DISH: dish(ctx, cx, cy, r * 0.9, false); break;
    case SPRITES.SOUP: dish(ctx, cx, cy, r * 0.9, true); break;
    case SPRITES.POT: {
      roundRect(ctx, x + w * 0.12, y + h * 0.2, w * 0.76, h * 0.62, r * 0.2, '#4a4a4a');
      for (let i = 0; i < Math.min(variant, 3); i++) {
        onion(ctx, x + w * (0.3 + 0.2 * i), y + h * 0.45, r * 0.17);
      }
      break;
    }
    case SPRITES.ONION_BOX:
      roundRect(ctx, x + w * 0.08, y + h * 0.08, w * 0.84, h * 0.84, r * 0.1, '#7a5230');
      onion(ctx, cx - r * 0.3, cy, r * 0.3);
      onion(ctx, cx + r * 0.3, cy, r * 0.3);
      break;
    case SPRITES.DISH_RACK:
      roundRect(ctx, x + w * 0.08, y + h * 0.08, w * 0.84, h * 0.84, r * 0.1, '#7a5230');
      dish(ctx, cx - r * 0.25, cy, r * 0.35, false);
      dish(ctx, cx + r * 0.25, cy, r * 0.35, false);
      break;
    case SPRITES.SERVE:
      roundRect(ctx, x + w * 0.08, y + h * 0.08, w * 0.84, h * 0.84, r * 0.1, '#8fa3a8');
      ctx.fillStyle = '#2f3b40';
      ctx.fillRect(x + w * 0.2, y + h * 0.42, w * 0.6, h * 0.16);
      break;
    case SPRITES.COUNTER:
      ctx.fillStyle = tint || '#b98b56';
      ctx.fillRect(x, y, w, h);
      break;
    case SPRITES.SLIME: {
      // half disc, flat side down, over the box x..x+w, y..y+h (h = radius)
      ctx.beginPath();
      ctx.arc(cx, y + h, w / 2, Math.PI, 0);
      ctx.closePath();
      ctx.fillStyle = tint || '#d9483b';
      ctx.fill();
      const ex = cx + (variant ? 1 : -1) * w * 0.2, ey = y + h * 0.4;
      circle(ctx, ex, ey, h * 0.18, '#ffffff');
      circle(ctx, ex + (variant ? 1 : -1) * h * 0.07, ey, h * 0.08, '#111111');
      break;
    }
    default:
      ctx.fillStyle = tint || '#ff00ff';
      ctx.fillRect(x, y, w, h);
  }
}

export function drawList(ctx, cmds, viewW, viewH, canvasW, canvasH) {
  const scale = Math.min(canvasW / viewW, canvasH / viewH);
  const ox = (canvasW - viewW * scale) / 2, oy = (canvasH - viewH * scale) / 2;
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvasW, canvasH);
  ctx.setTransform(scale, 0, 0, scale, ox, oy);
  for (const cmd of cmds) {
    switch (cmd.kind) {
      case 'rect':
      case 1:
        ctx.fillStyle = cssColor(cmd.color);
        ctx.fillRect(cmd.x, cmd.y, cmd.w, cmd.h);
        break;
      case 'circle':
      case 2:
        circle(ctx, cmd.x, cmd.y, cmd.w, cssColor(cmd.color));
        break;
      case 'sprite':
      case 3:
        drawSprite(ctx, cmd);
        break;
      case 'text':
      case 4:
        ctx.fillStyle = cssColor(cmd.color);
        ctx.font = `bold ${cmd.h}px sans-serif`;
        ctx.textBaseline = 'top';
        ctx.fillText(cmd.text, cmd.x, cmd.y);
        break;
      default:
        break;
    }
  }
  ctx.restore();
}
