// The sprite painter of a family that has none of its own (envs/FAMILY/web/sprites.js):
// served as /envs/FAMILY/sprites.js so the client can always import one. It paints
// nothing, so web/draw.js fills each DRAW_SPRITE box with its tint (magenta if none).
export function drawSprite(ctx, cmd, lib) {
  return false;
}
