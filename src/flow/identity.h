/*
 * Who a browser is. The subject id comes from the first configured identity parameter
 * present in the page's query (PROLIFIC_PID, workerId, ...), else from the id the browser
 * remembered, else a fresh random one. A session token, issued by the server and kept in
 * localStorage, binds a browser to its subject across reloads.
 *
 * Panel ids (Prolific, MTurk) are not secrets: anyone may know one. So the token is what
 * proves a browser is the participant, and a hello without it may never learn it, push the
 * participant's connection off, or change anything about them (docs/DESIGN.md section 5).
 */
#ifndef COHORT_IDENTITY_H
#define COHORT_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"

/* The longest value (in bytes) a configured identity or study parameter may have. Real
 * ones are ids of a few dozen characters; a longer one is a protocol error, so what a
 * participant row can hold stays small whatever a client sends. */
#define IDENTITY_VALUE_MAX 256

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

/* True when every configured identity and study parameter present in params (may be
 * NULL) is at most IDENTITY_VALUE_MAX bytes; otherwise false with err naming it.
 * Parameters the experiment does not name are not looked at: they are never stored. */
bool identity_params_ok(const experiment *x, json_t *params, char *err, size_t errlen);

/* What a participant row keeps of a hello's params: a new JSON object
 * {"params": {configured identity params present}, "study": {configured study params
 * present}}. Nothing else of the query is kept. */
json_t *identity_stored_params(const experiment *x, json_t *params);

/* How the server finds participants it already knows; `who` is opaque here. Every
 * function is required. */
typedef struct {
    void *(*by_token)(const char *token, void *ctx);
    void *(*by_subject)(const char *subject, void *ctx);
    const char *(*subject_of)(void *who, void *ctx);
    bool (*connected)(void *who, void *ctx);
    bool (*finished)(void *who, void *ctx);     /* has an outcome */
    bool (*started_game)(void *who, void *ctx); /* has ever joined a waiting room */
    bool (*acted)(void *who, void *ctx);        /* has a participant row (section 5) */
    void *ctx;
} identity_lookup;

/* What a hello says, all of it unproven. */
typedef struct {
    json_t *params;      /* the page's query parameters; may be NULL */
    const char *subject; /* the subject the browser remembered; may be NULL */
    const char *token;   /* may be NULL */
    bool missing;        /* the browser says it lacks a feature the game needs */
    bool unfit_device;   /* its device misses the experiment's require: (screen.h) */
} hello_claims;

typedef enum {
    HELLO_NEW,      /* a new participant named `subject` */
    HELLO_RESUME,   /* `who` again, with its token, after a reload or a lost connection */
    HELLO_TAKEOVER, /* `who`, from a second tab that has its token: the old tab yields */
    HELLO_RECLAIM,  /* `who` from another browser, without the token: a new token is issued
                       and the old one stops working (resume_without_token) */
    HELLO_VIEW,     /* `who` has finished: this connection is only shown their end page */
    HELLO_REFUSE    /* `code` and `err` say why; the connection is closed */
} hello_verdict;

typedef struct {
    hello_verdict verdict;
    void *who;
    /* The hello's own claims (`missing`) are the participant's: true only for NEW, RESUME
     * and TAKEOVER. Everything else acts on nothing the hello says. */
    bool claims_count;
    char subject[65];
    char code[32];
    char err[160];
} hello_decision;

/*
 * The rules for a hello, in order:
 *  1. A configured parameter longer than IDENTITY_VALUE_MAX: refused (bad_params).
 *  2. A known token names its participant; a different subject alongside it is refused
 *     (bad_token). Connected elsewhere: this tab takes over. Else: resume. The token
 *     holder is the participant, so a `missing` claim excludes them.
 *  3. Otherwise (no token, or one nobody holds) the subject comes from identity_resolve
 *     (an invalid one: bad_subject). Nobody has it: a new participant, whose claims are
 *     its own.
 *  4. A known subject without its token changes nothing about that participant unless
 *     the experiment's resume_without_token allows it (until_game, the default):
 *     - finished after acting: this connection is shown their end page (outcome, code,
 *       redirect) and nothing else: not their token (its welcome carries a fresh one that
 *       names nobody), no binding, the participant's own tab (if any) stays. Codes are per
 *       outcome, never per person, so that shows no secret.
 *     - connected: refused (subject_in_use). Nobody can push a live participant out.
 *     - has started a game (joined a waiting room): refused (subject_in_use). From then on
 *       their time is paid and a partner depends on them; only their token brings them
 *       back.
 *     - otherwise the same person may switch browsers: reclaim, with a new token that
 *       revokes the old. A `missing` claim then refuses the hello (browser_unsupported)
 *       and changes nothing: the new browser must pass the check to take over, it cannot
 *       exclude the participant. Someone who never acted and was excluded for their
 *       browser starts afresh on the new browser (nothing of the exclusion was recorded).
 *       Likewise a device that misses `require:` refuses the hello (device_unsupported)
 *       for someone who has acted (they passed the screening on their own device); for
 *       someone who has not, the reclaim goes ahead and flow screens the new browser.
 *     With `never`, every token-less hello for a known subject is refused (subject_in_use).
 * `who` is set for every verdict but NEW and REFUSE.
 */
void identity_decide(const experiment *x, const identity_lookup *l, const hello_claims *h,
                     hello_decision *out);

#endif
