#include "names.h"

#include <string.h>

#define NAMES_STRING_ITEM(id, name) [id] = name,
#define NAMES_DEFINE(type, LIST)                                                           \
    static const char *const type##_names[type##_COUNT_] = {LIST(NAMES_STRING_ITEM)};      \
    const char *type##_name(type v)                                                        \
    {                                                                                      \
        return (unsigned)v < type##_COUNT_ ? type##_names[v] : "?";                        \
    }                                                                                      \
    bool type##_parse(const char *s, type *out)                                            \
    {                                                                                      \
        for (int i = 0; s && i < type##_COUNT_; i++)                                       \
            if (strcmp(s, type##_names[i]) == 0) {                                         \
                *out = (type)i;                                                            \
                return true;                                                               \
            }                                                                              \
        return false;                                                                      \
    }

NAMES_DEFINE(outcome, OUTCOME_LIST)
NAMES_DEFINE(outcome_reason, REASON_LIST)
NAMES_DEFINE(seat_removal, REMOVAL_LIST)
NAMES_DEFINE(game_end, GAME_END_LIST)
NAMES_DEFINE(episode_end, EPISODE_END_LIST)
NAMES_DEFINE(partner_status, PARTNER_LIST)
NAMES_DEFINE(wait_end, WAIT_END_LIST)
NAMES_DEFINE(input_source, SOURCE_LIST)
NAMES_DEFINE(pointer_kind, POINTER_LIST)
