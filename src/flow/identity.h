/*
 * Who a browser is. The subject id comes from the first configured identity parameter
 * present in the page's query (PROLIFIC_PID, workerId, ...), else from the id the browser
 * remembered, else a fresh random one. A session token, issued by the server and kept in
 * localStorage, binds a browser to its subject across reloads.
 */
#ifndef COHORT_IDENTITY_H
#define COHORT_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"

typedef enum {
    ID_FROM_PARAM,   /* an identity parameter named it */
    ID_FROM_HELLO,   /* the browser's remembered subject */
    ID_GENERATED,    /* nobody named it: a random id */
    ID_INVALID       /* a parameter or the hello named it, but not validly */
} id_source;

/* Fills subject (PROTO_SUBJECT_MAX+1 bytes). params may be NULL, hello_subject may be NULL.
 * On ID_INVALID, err says which parameter was bad. */
id_source identity_resolve(const experiment *x, json_t *params, const char *hello_subject,
                           char *subject, size_t len, char *err, size_t errlen);

/* Which study parameters (study_params) to record: a new JSON object with those present. */
json_t *identity_study_params(const experiment *x, json_t *params);

#endif
