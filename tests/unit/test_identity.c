/* Who a hello is: identity parameters, remembered subjects, tokens, takeovers, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flow/identity.h"

typedef struct {
    const char *subject, *token;
    bool connected;
} known;

static known people[] = {
    {"alice", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
    {"bob", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", false},
};

static void *by_token(const char *t, void *ctx)
{
    for (size_t i = 0; i < 2; i++)
        if (strcmp(people[i].token, t) == 0)
            return &people[i];
    return NULL;
}
static void *by_subject(const char *s, void *ctx)
{
    for (size_t i = 0; i < 2; i++)
        if (strcmp(people[i].subject, s) == 0)
            return &people[i];
    return NULL;
}
static const char *subject_of(void *who, void *ctx) { return ((known *)who)->subject; }
static bool connected(void *who, void *ctx) { return ((known *)who)->connected; }

static const identity_lookup LOOKUP = {by_token, by_subject, subject_of, connected, NULL, NULL};
static experiment x;

static int setup(void **state)
{
    memset(&x, 0, sizeof x);
    x.nidentity = 3;
    snprintf(x.identity_params[0], CFG_ID_LEN, "PROLIFIC_PID");
    snprintf(x.identity_params[1], CFG_ID_LEN, "workerId");
    snprintf(x.identity_params[2], CFG_ID_LEN, "participant");
    x.nstudy = 2;
    snprintf(x.study_params[0], CFG_ID_LEN, "STUDY_ID");
    snprintf(x.study_params[1], CFG_ID_LEN, "SESSION_ID");
    return 0;
}

static void first_configured_param_present_names_the_subject(void **state)
{
    json_t *params = json_pack("{s:s, s:s}", "workerId", "W1", "participant", "P9");
    char subject[65], err[160];
    assert_int_equal(identity_resolve(&x, params, NULL, subject, sizeof subject, err, sizeof err),
                     ID_FROM_PARAM);
    assert_string_equal(subject, "W1"); /* workerId comes before participant */
    json_object_set_new(params, "PROLIFIC_PID", json_string("PRO-1"));
    identity_resolve(&x, params, "remembered", subject, sizeof subject, err, sizeof err);
    assert_string_equal(subject, "PRO-1"); /* a param beats what the browser remembered */
    json_decref(params);
}

static void remembered_then_random(void **state)
{
    char subject[65], err[160], other[65];
    assert_int_equal(identity_resolve(&x, NULL, "me-again", subject, sizeof subject, err,
                                      sizeof err),
                     ID_FROM_HELLO);
    assert_string_equal(subject, "me-again");
    assert_int_equal(identity_resolve(&x, NULL, NULL, subject, sizeof subject, err, sizeof err),
                     ID_GENERATED);
    identity_resolve(&x, NULL, NULL, other, sizeof other, err, sizeof err);
    assert_int_equal(strncmp(subject, "anon-", 5), 0);
    assert_string_not_equal(subject, other);
}

static void a_bad_param_is_refused_not_replaced(void **state)
{
    json_t *params = json_pack("{s:s}", "PROLIFIC_PID", "../../etc");
    char subject[65], err[160];
    assert_int_equal(identity_resolve(&x, params, NULL, subject, sizeof subject, err, sizeof err),
                     ID_INVALID);
    assert_non_null(strstr(err, "PROLIFIC_PID"));
    json_decref(params);
}

static void study_params_are_picked(void **state)
{
    json_t *params = json_pack("{s:s, s:s, s:s}", "STUDY_ID", "S1", "other", "x", "SESSION_ID",
                               "E2");
    json_t *study = identity_study_params(&x, params);
    assert_int_equal(json_object_size(study), 2);
    assert_string_equal(json_string_value(json_object_get(study, "SESSION_ID")), "E2");
    json_decref(study);
    json_decref(params);
}

static void decide(json_t *params, const char *subject, const char *token, hello_decision *d)
{
    identity_decide(&x, &LOOKUP, params, subject, token, d);
}

static void token_rules(void **state)
{
    hello_decision d;
    /* Bob's token: bob is not connected, so this resumes him. */
    decide(NULL, NULL, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &d);
    assert_int_equal(d.verdict, HELLO_RESUME);
    assert_ptr_equal(d.who, &people[1]);
    /* Alice's token while alice is connected: a second tab takes over. */
    decide(NULL, "alice", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &d);
    assert_int_equal(d.verdict, HELLO_TAKEOVER);
    /* A token with somebody else's subject is refused. */
    decide(NULL, "bob", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &d);
    assert_int_equal(d.verdict, HELLO_REFUSE);
    assert_string_equal(d.code, "bad_token");
    /* An unknown token is no token: the subject decides. */
    json_t *params = json_pack("{s:s}", "PROLIFIC_PID", "carol");
    decide(params, NULL, "cccccccccccccccccccccccccccccccc", &d);
    assert_int_equal(d.verdict, HELLO_NEW);
    assert_string_equal(d.subject, "carol");
    json_decref(params);
}

static void subject_rules(void **state)
{
    hello_decision d;
    json_t *alice = json_pack("{s:s}", "PROLIFIC_PID", "alice");
    json_t *bob = json_pack("{s:s}", "PROLIFIC_PID", "bob");
    json_t *bad = json_pack("{s:s}", "PROLIFIC_PID", "a b");
    /* Alice is live elsewhere: knowing her id is not enough to push her out. */
    decide(alice, NULL, NULL, &d);
    assert_int_equal(d.verdict, HELLO_REFUSE);
    assert_string_equal(d.code, "subject_in_use");
    /* Bob is away: he may come back from another browser. */
    decide(bob, NULL, NULL, &d);
    assert_int_equal(d.verdict, HELLO_RESUME);
    assert_ptr_equal(d.who, &people[1]);
    decide(bad, NULL, NULL, &d);
    assert_int_equal(d.verdict, HELLO_REFUSE);
    assert_string_equal(d.code, "bad_subject");
    decide(NULL, NULL, NULL, &d);
    assert_int_equal(d.verdict, HELLO_NEW);
    json_decref(alice);
    json_decref(bob);
    json_decref(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(first_configured_param_present_names_the_subject, setup),
        cmocka_unit_test_setup(remembered_then_random, setup),
        cmocka_unit_test_setup(a_bad_param_is_refused_not_replaced, setup),
        cmocka_unit_test_setup(study_params_are_picked, setup),
        cmocka_unit_test_setup(token_rules, setup),
        cmocka_unit_test_setup(subject_rules, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
