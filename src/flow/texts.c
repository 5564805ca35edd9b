#include "texts.h"

#define TEXTS_KEY_ITEM(id, key, text) [id] = key,
#define TEXTS_TEXT_ITEM(id, key, text) [id] = text,
static const char *const KEYS[TEXT_COUNT_] = {TEXT_LIST(TEXTS_KEY_ITEM)};
static const char *const DEFAULTS[TEXT_COUNT_] = {TEXT_LIST(TEXTS_TEXT_ITEM)};

const char *texts_get(text_id id) { return (unsigned)id < TEXT_COUNT_ ? DEFAULTS[id] : ""; }
const char *texts_key(text_id id) { return (unsigned)id < TEXT_COUNT_ ? KEYS[id] : ""; }

text_id texts_end_message(outcome o, outcome_reason why)
{
    if (o == OUTCOME_COMPLETED)
        return TEXT_END_COMPLETED;
    if (why == REASON_SERVER_RESTART)
        return TEXT_END_SERVER_RESTART;
    if (why == REASON_STALLED)
        return TEXT_END_STALLED;
    if (why == REASON_STUDY_CLOSING)
        return TEXT_END_STUDY_CLOSING;
    switch (o) {
    case OUTCOME_PARTNER_DROPPED:
        return TEXT_END_PARTNER_DROPPED;
    case OUTCOME_WAITROOM_TIMEOUT:
        return TEXT_END_WAITROOM_TIMEOUT;
    case OUTCOME_EXCLUDED:
        switch (why) {
        case REASON_INACTIVE:
            return TEXT_END_EXCLUDED_INACTIVE;
        case REASON_BROWSER:
            return TEXT_END_EXCLUDED_BROWSER;
        case REASON_LATENCY:
            return TEXT_END_EXCLUDED_LATENCY;
        default:
            return TEXT_END_EXCLUDED_FOCUS;
        }
    default:
        return TEXT_END_ABANDONED;
    }
}
