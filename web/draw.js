// Draws an env draw list (env.render()) on a 2D canvas context. Commands are in view units
// (the env's viewW x viewH box); the box is scaled uniformly to fit the canvas and
// centred. Sprites are painted by the env family's own sprites.js (loadSprites), which
// lives in the game's folder (envs/FAMILY/web/): adding a game adds nothing here.

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

// The helpers a family's sprites.js gets as its third argument.
const LIB = { circle, roundRect, cssColor };

const painters = new Map(); // URL of a family's sprites.js -> Promise<painter or null>

// The sprite painter of env `name`'s family: drawSprite from /envs/FAMILY/sprites.js
// (envs/FAMILY/web/sprites.js in the source tree; the build gives every family one).
// base: the URL prefix of the env files, as for loadEnv. Resolves to null if it cannot be
// loaded: sprites are then drawn as tinted boxes, and the game stays playable.
export function loadSprites(name, base = new URL('envs/', import.meta.url).href) {
  const family = String(name).split('/')[0];
  const url = `${base}${family}/sprites.js`;
  if (!painters.has(url)) {
    painters.set(url, import(url).then(
      (m) => (typeof m.drawSprite === 'function' ? m.drawSprite : null),
      (err) => { console.warn(`cohort: no sprites for ${family}: ${err.message}`); return null; },
    ));
  }
  return painters.get(url);
}

function drawSprite(ctx, cmd, painter) {
  if (painter && painter(ctx, cmd, LIB)) return;
  ctx.fillStyle = cmd.color ? cssColor(cmd.color) : '#ff00ff';
  ctx.fillRect(cmd.x, cmd.y, cmd.w, cmd.h);
}

// sprites: the painter loadSprites gave (null: tinted boxes).
export function drawList(ctx, cmds, viewW, viewH, canvasW, canvasH, sprites = null) {
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
        drawSprite(ctx, cmd, sprites);
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
