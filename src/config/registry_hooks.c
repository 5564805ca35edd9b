/* config_hooks backed by the env registry linked into the server (envs/registry.h). */
#include "config/config.h"

#include "registry.h"

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

const config_hooks *config_registry_hooks(void)
{
    static const config_hooks hooks = {
        .env_lookup = registry_env_lookup,
        .policy_exists = registry_policy_exists,
        .ctx = NULL,
    };
    return &hooks;
}
