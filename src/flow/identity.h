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

/* How the server finds participants it already knows; `who` is opaque here. */
typedef struct {
    void *(*by_token)(const char *token, void *ctx);
    void *(*by_subject)(const char *subject, void *ctx);
    const char *(*subject_of)(void *who, void *ctx);
    bool (*connected)(void *who, void *ctx);
    void *ctx;
    /* Optional: the participant has finished (has an outcome). */
    bool (*finished)(void *who, void *ctx);
} identity_lookup;

typedef enum {
    HELLO_NEW,      /* a new participant named `subject` */
    HELLO_RESUME,   /* `who` again, after a reload or a lost connection */
    HELLO_TAKEOVER, /* `who`, from a second tab that has its token: the old tab yields */
    HELLO_REFUSE    /* `code` and `err` say why; the connection is closed */
} hello_verdict;

typedef struct {
    hello_verdict verdict;
    void *who;
    char subject[65];
    char code[32];
    char err[160];
} hello_decision;

/*
 * The rules for a hello:
 *  1. A known token names its participant; a different subject alongside it is refused
 *     (bad_token). Connected elsewhere: this tab takes over. Else: resume.
 *  2. Otherwise the subject comes from identity_resolve (an invalid one: bad_subject).
 *  3. A known subject without its token resumes only if nobody is connected as it
 *     (else subject_in_use): a participant may switch browsers, but nobody can push a
 *     live participant out by knowing their id. A finished participant has nothing
 *     left to take: the new browser takes over and shows their code.
 *  4. Anyone else is new.
 */
void identity_decide(const experiment *x, const identity_lookup *l, json_t *params,
                     const char *hello_subject, const char *hello_token, hello_decision *out);

/* Which study parameters (study_params) to record: a new JSON object with those present. */
json_t *identity_study_params(const experiment *x, json_t *params);

#endif
