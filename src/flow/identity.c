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
