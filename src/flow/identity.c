#include "identity.h"

#include <stdio.h>
#include <string.h>

#include "../proto/proto.h"
#include "../util/clock.h"
#include "../texts/texts.h"

id_source identity_resolve(const experiment *x, json_t *params, const char *hello_subject,
                           char *subject, size_t len, char *err, size_t errlen)
{
    for (int i = 0; i < x->nidentity && params; i++) {
        json_t *v = json_object_get(params, x->identity_params[i]);
        if (!json_is_string(v))
            continue;
        const char *id = json_string_value(v);
        if (!proto_valid_subject(id)) {
            snprintf(err, errlen, "%s must be 1-64 characters of A-Z a-z 0-9 _ . -",
                     x->identity_params[i]);
            return ID_INVALID;
        }
        snprintf(subject, len, "%s", id);
        return ID_FROM_PARAM;
    }
    if (hello_subject && hello_subject[0]) {
        if (!proto_valid_subject(hello_subject)) {
            snprintf(err, errlen, "subject must be 1-64 characters of A-Z a-z 0-9 _ . -");
            return ID_INVALID;
        }
        snprintf(subject, len, "%s", hello_subject);
        return ID_FROM_HELLO;
    }
    char hex[25];
    random_hex(hex, 12);
    snprintf(subject, len, "anon-%s", hex);
    return ID_GENERATED;
}

/* Every configured name present in params, checked against the length limit. */
static bool names_ok(const char names[][CFG_ID_LEN], int n, json_t *params, char *err,
                     size_t errlen)
{
    for (int i = 0; i < n; i++) {
        json_t *v = json_object_get(params, names[i]);
        if (json_is_string(v) && json_string_length(v) > IDENTITY_VALUE_MAX) {
            snprintf(err, errlen, "params.%s is longer than %d bytes", names[i],
                     IDENTITY_VALUE_MAX);
            return false;
        }
    }
    return true;
}

bool identity_params_ok(const experiment *x, json_t *params, char *err, size_t errlen)
{
    return !params || (names_ok(x->identity_params, x->nidentity, params, err, errlen) &&
                       names_ok(x->study_params, x->nstudy, params, err, errlen));
}

static json_t *pick(const char names[][CFG_ID_LEN], int n, json_t *params)
{
    json_t *out = json_object();
    for (int i = 0; i < n && params; i++) {
        json_t *v = json_object_get(params, names[i]);
        if (json_is_string(v))
            json_object_set(out, names[i], v);
    }
    return out;
}

json_t *identity_stored_params(const experiment *x, json_t *params)
{
    return json_pack("{s:o, s:o}", "params", pick(x->identity_params, x->nidentity, params),
                     "study", pick(x->study_params, x->nstudy, params));
}

static void refuse(hello_decision *out, const char *code, const char *err)
{
    out->verdict = HELLO_REFUSE;
    out->who = NULL;
    snprintf(out->code, sizeof out->code, "%s", code);
    if (err)
        snprintf(out->err, sizeof out->err, "%s", err);
}

static const char IN_USE[] = "this participant id is already taking part in another browser";

/* Rule 4 (identity.h): a known subject, and a hello without its token. */
static void without_token(const experiment *x, const identity_lookup *l, const hello_claims *h,
                          void *who, hello_decision *out)
{
    out->who = who;
    if (x->resume_without_token == RESUME_NEVER) {
        refuse(out, "subject_in_use", IN_USE);
        return;
    }
    bool acted = l->acted(who, l->ctx);
    if (acted && l->finished(who, l->ctx)) {
        out->verdict = HELLO_VIEW;
        return;
    }
    if (l->connected(who, l->ctx) || l->started_game(who, l->ctx)) {
        refuse(out, "subject_in_use", IN_USE);
        return;
    }
    if (h->missing) {
        refuse(out, "browser_unsupported", texts_for(x, TEXT_BROWSER_UNSUPPORTED));
        return;
    }
    if (h->unfit_device && acted) {
        refuse(out, "device_unsupported", texts_for(x, TEXT_DEVICE_UNSUPPORTED));
        return;
    }
    out->verdict = HELLO_RECLAIM;
}

void identity_decide(const experiment *x, const identity_lookup *l, const hello_claims *h,
                     hello_decision *out)
{
    memset(out, 0, sizeof *out);
    if (!identity_params_ok(x, h->params, out->err, sizeof out->err)) {
        refuse(out, "bad_params", NULL);
        return;
    }
    void *who = h->token ? l->by_token(h->token, l->ctx) : NULL;
    if (who) {
        const char *known = l->subject_of(who, l->ctx);
        if (h->subject && strcmp(h->subject, known) != 0) {
            refuse(out, "bad_token", "this session belongs to another participant");
            return;
        }
        out->who = who;
        out->claims_count = true;
        snprintf(out->subject, sizeof out->subject, "%s", known);
        out->verdict = l->connected(who, l->ctx) ? HELLO_TAKEOVER : HELLO_RESUME;
        return;
    }
    if (identity_resolve(x, h->params, h->subject, out->subject, sizeof out->subject, out->err,
                         sizeof out->err) == ID_INVALID) {
        refuse(out, "bad_subject", NULL);
        return;
    }
    who = l->by_subject(out->subject, l->ctx);
    if (!who) {
        out->verdict = HELLO_NEW;
        out->claims_count = true;
        return;
    }
    without_token(x, l, h, who, out);
}
