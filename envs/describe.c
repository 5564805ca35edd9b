/*
 * Helpers for the state description ABI (envs/env.h): building field names without libc.
 * Freestanding: compiled into the server and into every env wasm module.
 */
#include "env.h"

static uint32_t name_len(const char *name)
{
    uint32_t n = 0;
    while (n < ENV_FIELD_NAME && name[n])
        n++;
    return n;
}

void env_name_add(char *name, const char *text)
{
    uint32_t n = name_len(name);
    for (const char *p = text; p && *p && n + 1 < ENV_FIELD_NAME; p++)
        name[n++] = *p;
    name[n < ENV_FIELD_NAME ? n : ENV_FIELD_NAME - 1] = '\0';
}

void env_name_add_int(char *name, int32_t v)
{
    char digits[12];
    int n = 0;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    char text[13];
    int k = 0;
    if (v < 0)
        text[k++] = '-';
    while (n)
        text[k++] = digits[--n];
    text[k] = '\0';
    env_name_add(name, text);
}

void env_field_set(env_field *out, const char *prefix, const char *suffix, uint32_t type,
                   int32_t min, int32_t max, const char *unit, const char *meaning,
                   const char *const *labels)
{
    out->name[0] = '\0';
    env_name_add(out->name, prefix);
    env_name_add(out->name, suffix);
    out->type = type;
    out->min = min;
    out->max = max;
    out->unit = unit;
    out->meaning = meaning;
    out->labels = type == ENV_FIELD_ENUM ? labels : 0;
    out->nlabels = type == ENV_FIELD_ENUM ? (uint32_t)(max - min + 1) : 0;
}
