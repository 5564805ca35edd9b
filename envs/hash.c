/*
 * env_hash: FNV-1a 64 over the state bytes. Freestanding: compiled into the server and
 * into every env wasm module, so both sides hash with this very code.
 *
 * The static asserts pin the byte layout of the ABI structs that cross the wasm
 * boundary (web/env.js reads them at these offsets).
 */
#include "env.h"

_Static_assert(ENV_MAX_PLAYERS == 8, "web/env.js sizes the actions and rewards for 8 seats");

_Static_assert(sizeof(env_step_out) == 68, "env_step_out layout");
_Static_assert(offsetof(env_step_out, terminated) == 32, "env_step_out layout");
_Static_assert(offsetof(env_step_out, truncated) == 33, "env_step_out layout");
_Static_assert(offsetof(env_step_out, info) == 36, "env_step_out layout");
_Static_assert(sizeof(env_draw) == 48, "env_draw layout");
_Static_assert(offsetof(env_draw, color) == 4, "env_draw layout");
_Static_assert(offsetof(env_draw, x) == 8, "env_draw layout");
_Static_assert(offsetof(env_draw, text) == 24, "env_draw layout");
_Static_assert(offsetof(env_drawlist, items) == 4, "env_drawlist layout");

uint64_t env_hash(const void *state, uint32_t size)
{
    const uint8_t *p = (const uint8_t *)state;
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
