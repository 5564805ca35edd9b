/* The native registry: every env family linked into the server. */
#include "registry.h"

#include <string.h>

#include "commons/commons.h"
#include "cooking/cooking.h"
#include "volley/volley.h"

typedef struct {
    uint32_t (*count)(void);
    const env_def *(*at)(uint32_t i);
} family;

static const family families[] = {
    {cooking_family_count, cooking_family_at},
    {volley_family_count, volley_family_at},
    {commons_family_count, commons_family_at},
};
#define NFAMILIES (sizeof families / sizeof families[0])

uint32_t env_count(void)
{
    uint32_t n = 0;
    for (size_t f = 0; f < NFAMILIES; f++)
        n += families[f].count();
    return n;
}

const env_def *env_at(uint32_t i)
{
    for (size_t f = 0; f < NFAMILIES; f++) {
        uint32_t n = families[f].count();
        if (i < n)
            return families[f].at(i);
        i -= n;
    }
    return NULL;
}

const env_def *env_find(const char *name)
{
    if (!name)
        return NULL;
    for (uint32_t i = 0, n = env_count(); i < n; i++) {
        const env_def *e = env_at(i);
        if (strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

int env_policy_find(const env_def *env, const char *policy_name)
{
    if (!env || !policy_name || !env->policy)
        return -1;
    for (uint32_t i = 0; i < env->npolicies && i < ENV_MAX_POLICIES; i++)
        if (env->policy_names[i] && strcmp(env->policy_names[i], policy_name) == 0)
            return (int)i;
    return -1;
}

uint32_t env_max_state_size(void)
{
    uint32_t m = 0;
    for (uint32_t i = 0, n = env_count(); i < n; i++)
        if (env_at(i)->state_size > m)
            m = env_at(i)->state_size;
    return m;
}
