#include "identity.h"

#include <stdio.h>
#include <string.h>

#include "../proto/proto.h"
#include "../util/clock.h"

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

json_t *identity_study_params(const experiment *x, json_t *params)
{
    json_t *out = json_object();
    for (int i = 0; i < x->nstudy && params; i++) {
        json_t *v = json_object_get(params, x->study_params[i]);
        if (json_is_string(v))
            json_object_set(out, x->study_params[i], v);
    }
    return out;
}

void identity_decide(const experiment *x, const identity_lookup *l, json_t *params,
                     const char *hello_subject, const char *hello_token, hello_decision *out)
{
    memset(out, 0, sizeof *out);
    void *who = hello_token ? l->by_token(hello_token, l->ctx) : NULL;
    if (who) {
        const char *known = l->subject_of(who, l->ctx);
        if (hello_subject && strcmp(hello_subject, known) != 0) {
            out->verdict = HELLO_REFUSE;
            snprintf(out->code, sizeof out->code, "bad_token");
            snprintf(out->err, sizeof out->err, "this session belongs to another participant");
            return;
        }
        out->who = who;
        snprintf(out->subject, sizeof out->subject, "%s", known);
        out->verdict = l->connected(who, l->ctx) ? HELLO_TAKEOVER : HELLO_RESUME;
        return;
    }
    if (identity_resolve(x, params, hello_subject, out->subject, sizeof out->subject, out->err,
                         sizeof out->err) == ID_INVALID) {
        out->verdict = HELLO_REFUSE;
        snprintf(out->code, sizeof out->code, "bad_subject");
        return;
    }
    who = l->by_subject(out->subject, l->ctx);
    if (who && l->connected(who, l->ctx) && l->finished && l->finished(who, l->ctx)) {
        out->who = who;
        out->verdict = HELLO_TAKEOVER;
        return;
    }
    if (who && l->connected(who, l->ctx)) {
        out->verdict = HELLO_REFUSE;
        snprintf(out->code, sizeof out->code, "subject_in_use");
        snprintf(out->err, sizeof out->err,
                 "this participant id is already taking part in another browser");
        return;
    }
    out->who = who;
    out->verdict = who ? HELLO_RESUME : HELLO_NEW;
}
