#include "texts.h"

#include <stdio.h>
#include <string.h>

#define TEXTS_KEY_ITEM(id, key, text) [id] = key,
#define TEXTS_TEXT_ITEM(id, key, text) [id] = text,
static const char *const KEYS[TEXT_COUNT_] = {TEXT_LIST(TEXTS_KEY_ITEM)};
static const char *const DEFAULTS[TEXT_COUNT_] = {TEXT_LIST(TEXTS_TEXT_ITEM)};

#define CLIENT_KEY_ITEM(key, text) key,
#define CLIENT_TEXT_ITEM(key, text) text,
static const char *const CLIENT_KEYS[] = {CLIENT_TEXT_LIST(CLIENT_KEY_ITEM)};
static const char *const CLIENT_DEFAULTS[] = {CLIENT_TEXT_LIST(CLIENT_TEXT_ITEM)};
#define NCLIENT (sizeof CLIENT_KEYS / sizeof CLIENT_KEYS[0])

const char *texts_get(text_id id) { return (unsigned)id < TEXT_COUNT_ ? DEFAULTS[id] : ""; }

const char *texts_for(const experiment *x, text_id id)
{
    const char *key = texts_key(id);
    for (int i = 0; x && i < x->ntexts; i++)
        if (strcmp(x->texts[i].key, key) == 0)
            return x->texts[i].value;
    return texts_get(id);
}

bool texts_lookup(const char *key, const char **text)
{
    for (int i = 0; i < TEXT_COUNT_; i++)
        if (strcmp(KEYS[i], key) == 0) {
            if (text)
                *text = DEFAULTS[i];
            return true;
        }
    for (size_t i = 0; i < NCLIENT; i++)
        if (strcmp(CLIENT_KEYS[i], key) == 0) {
            if (text)
                *text = CLIENT_DEFAULTS[i];
            return true;
        }
    return false;
}

bool texts_is_client(const char *key)
{
    for (size_t i = 0; i < NCLIENT; i++)
        if (strcmp(CLIENT_KEYS[i], key) == 0)
            return true;
    return false;
}

/* Whether "{name}" (n bytes from name) occurs in text. */
static bool has_placeholder(const char *text, const char *name, size_t n)
{
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '}')
            return true;
    return false;
}

bool texts_placeholders_ok(const char *key, const char *value, char *bad, size_t badlen)
{
    const char *def;
    if (!texts_lookup(key, &def))
        return false;
    for (const char *p = strchr(value, '{'); p; p = strchr(p + 1, '{')) {
        size_t n = 0;
        while (p[1 + n] && ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_'))
            n++;
        if (n == 0 || p[1 + n] != '}')
            continue; /* a brace that is not a placeholder: shown as written */
        if (!has_placeholder(def, p + 1, n)) {
            snprintf(bad, badlen, "{%.*s}", (int)n, p + 1);
            return false;
        }
    }
    return true;
}
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
    if (why == REASON_PARTNER_GONE)
        return TEXT_END_PARTNER_GONE;
    switch (o) {
    case OUTCOME_PARTNER_DROPPED:
        return TEXT_END_PARTNER_DROPPED;
    case OUTCOME_WAITROOM_TIMEOUT:
        return TEXT_END_WAITROOM_TIMEOUT;
    case OUTCOME_QUIZ_FAILED:
        return TEXT_END_QUIZ_FAILED;
    case OUTCOME_SCREENED_OUT:
        return why == REASON_SMALL_WINDOW   ? TEXT_END_SCREENED_OUT_WINDOW
               : why == REASON_NO_KEYBOARD ? TEXT_END_SCREENED_OUT_KEYBOARD
                                           : TEXT_END_SCREENED_OUT;
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

