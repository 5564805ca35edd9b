/* Every environment linked into the server, looked up by name ("cooking/cramped_room"). */
#ifndef COHORT_ENV_REGISTRY_H
#define COHORT_ENV_REGISTRY_H

#include "env.h"

/* NULL when no env has that name. */
const env_def *env_find(const char *name);
/* Index of a scripted policy of `env` by name ("greedy"), or -1. */
int env_policy_find(const env_def *env, const char *policy_name);
/* All envs, for listing: count and the i-th. */
uint32_t env_count(void);
const env_def *env_at(uint32_t i);
/* Largest state_size of any env, so callers can size buffers once. */
uint32_t env_max_state_size(void);

#endif
