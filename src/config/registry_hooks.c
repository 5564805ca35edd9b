/* config_hooks backed by the env registry linked into the server (envs/registry.h). */
#include "config/config.h"

#include "registry.h"

#include <stdio.h>
#include <string.h>

static bool registry_env_lookup(const char *name, int *players, int *actions, int *horizon,
                                void *ctx)
{
    (void)ctx;
    const env_def *env = env_find(name);
    if (!env)
        return false;
    *players = (int)env->players;
    *actions = (int)env->actions;
    *horizon = (int)env->horizon;
    return true;
}

static bool registry_policy_exists(const char *env_name, const char *policy, void *ctx)
{
    (void)ctx;
    const env_def *env = env_find(env_name);
    return env && env_policy_find(env, policy) >= 0;
}

static bool registry_obs_exists(const char *env_name, const char *obs, void *ctx)
{
    (void)ctx;
    const env_def *env = env_find(env_name);
    for (uint32_t k = 0; env && env->observe && k < env->nobs && k < ENV_MAX_OBS; k++)
        if (env->obs_names[k] && strcmp(env->obs_names[k], obs) == 0)
            return true;
    return false;
}

/* Keys follow the env's action names, so every env gets the keys a player expects:
 * the arrows move, space does the env's one verb (interact, jump). */
static int registry_default_keys(const char *env_name, key_binding *out, int max, void *ctx)
{
    (void)ctx;
    static const struct {
        const char *action, *key;
    } conventions[] = {
        {"up", "ArrowUp"},       {"down", "ArrowDown"}, {"left", "ArrowLeft"},
        {"right", "ArrowRight"}, {"interact", " "},     {"jump", "ArrowUp"},
        {"fire", " "},           {"tag", " "},
    };
    const env_def *env = env_find(env_name);
    int n = 0;
    if (!env)
        return 0;
    for (uint32_t a = 0; a < env->actions && a < 16; a++) {
        const char *name = env->action_names[a];
        for (size_t c = 0; name && c < sizeof conventions / sizeof conventions[0]; c++) {
            if (strcmp(name, conventions[c].action) != 0 || n >= max)
                continue;
            bool taken = false;
            for (int k = 0; k < n; k++)
                taken |= strcmp(out[k].key, conventions[c].key) == 0;
            if (taken)
                continue;
            snprintf(out[n].key, sizeof out[n].key, "%s", conventions[c].key);
            out[n++].action = (int32_t)a;
        }
    }
    return n;
}

const config_hooks *config_registry_hooks(void)
{
    static const config_hooks hooks = {
        .env_lookup = registry_env_lookup,
        .policy_exists = registry_policy_exists,
        .default_keys = registry_default_keys,
        .obs_exists = registry_obs_exists,
        .ctx = NULL,
    };
    return &hooks;
}
