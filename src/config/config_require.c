/*
 * `require:` (config_require.h). What each check means, and what a browser can and cannot
 * tell, is in docs/EXPERIMENTS.md; the decision itself is src/flow/screen.c.
 */
#include "config/config_require.h"

enum { R_DESKTOP, R_KEYBOARD, R_MIN_WINDOW, R_N };
static const char *const require_keys[R_N] = {
    [R_DESKTOP] = "desktop", [R_KEYBOARD] = "keyboard", [R_MIN_WINDOW] = "min_window",
};
static const cfg_schema require_schema = {"require", "in require", require_keys, R_N};

enum { WIN_WIDTH, WIN_HEIGHT, WIN_N };
static const char *const window_keys[WIN_N] = {[WIN_WIDTH] = "width", [WIN_HEIGHT] = "height"};
static const cfg_schema window_schema = {"min_window", "in min_window", window_keys, WIN_N};

static bool load_min_window(cfg_ctx *c, const ynode *n, require_spec *out)
{
    cfg_field f[WIN_N];
    if (!cfg_mapping(c, n, &window_schema, f))
        return false;
    /* Both sides, always: a half-given size is more likely a slip than a wish, and the
     * participant's page names both numbers. */
    return cfg_require(c, n, &window_schema, f, WIN_WIDTH) &&
           cfg_require(c, n, &window_schema, f, WIN_HEIGHT) &&
           cfg_int(c, f[WIN_WIDTH].val, "min_window.width", 1, CFG_MAX_WINDOW_PX,
                   &out->min_width) &&
           cfg_int(c, f[WIN_HEIGHT].val, "min_window.height", 1, CFG_MAX_WINDOW_PX,
                   &out->min_height);
}

bool config_load_require(cfg_ctx *c, const ynode *n, require_spec *out)
{
    cfg_field f[R_N];
    if (!cfg_mapping(c, n, &require_schema, f))
        return false;
    if (!f[R_DESKTOP].val && !f[R_KEYBOARD].val && !f[R_MIN_WINDOW].val)
        return cfg_fail(c, n, "require must name at least one of desktop, keyboard, "
                              "min_window");
    return (!f[R_DESKTOP].val || cfg_bool(c, f[R_DESKTOP].val, "desktop", &out->desktop)) &&
           (!f[R_KEYBOARD].val || cfg_bool(c, f[R_KEYBOARD].val, "keyboard", &out->keyboard)) &&
           (!f[R_MIN_WINDOW].val || load_min_window(c, f[R_MIN_WINDOW].val, out));
}
