/*
 * Who a hello is (src/flow/identity.h): identity parameters, remembered subjects, the
 * length limit on configured parameters, what a participant row keeps, tokens, takeovers,
 * and what a hello without the token may do to a known participant under each
 * resume_without_token setting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flow/identity.h"
#include "fake_people.h"

/* One of each kind of participant the rules tell apart. */
static known people[] = {
    /* subject  token                               conn   fin    game   acted */
    {"alice", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, false, false, true},   /* live, on a page */
    {"bob", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", false, false, false, true},    /* away, on a page */
    {"carol", "cccccccccccccccccccccccccccccccc", false, false, true, true},   /* away mid-game */
    {"dave", "dddddddddddddddddddddddddddddddd", true, true, true, true},      /* done, tab open */
    {"erin", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", false, true, false, true},    /* done, gone */
    {"fay", "ffffffffffffffffffffffffffffffff", false, true, false, false},    /* excluded at hello */
    {"gus", "11111111111111111111111111111111", true, false, false, false},    /* new, still live */
    {"hal", "22222222222222222222222222222222", false, false, true, true},     /* away, was waiting */
};
#define NPEOPLE (sizeof people / sizeof people[0])

static fake_world WORLD = {people, sizeof people / sizeof people[0]};
static identity_lookup LOOKUP; /* fake_lookup(&WORLD), set up before the first use */
static experiment x;

static int setup(void **state)
{
    LOOKUP = fake_lookup(&WORLD);
    memset(&x, 0, sizeof x);
    x.nidentity = 3;
    snprintf(x.identity_params[0], CFG_ID_LEN, "PROLIFIC_PID");
    snprintf(x.identity_params[1], CFG_ID_LEN, "workerId");
    snprintf(x.identity_params[2], CFG_ID_LEN, "participant");
    x.nstudy = 2;
    snprintf(x.study_params[0], CFG_ID_LEN, "STUDY_ID");
    snprintf(x.study_params[1], CFG_ID_LEN, "SESSION_ID");
    x.resume_without_token = RESUME_UNTIL_GAME;
    return 0;
}

static known *person(const char *subject) { return fake_by_subject(subject, &WORLD); }

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

static json_t *value_of(size_t n)
{
    char buf[IDENTITY_VALUE_MAX * 8];
    memset(buf, 'v', n);
    buf[n] = '\0';
    return json_string(buf);
}

static void configured_params_are_capped_and_others_ignored(void **state)
{
    char err[160] = "";
    json_t *params = json_pack("{s:s}", "PROLIFIC_PID", "p1");
    json_object_set_new(params, "STUDY_ID", value_of(IDENTITY_VALUE_MAX));
    json_object_set_new(params, "utm_source", value_of(4 * IDENTITY_VALUE_MAX)); /* not ours */
    assert_true(identity_params_ok(&x, params, err, sizeof err));
    assert_true(identity_params_ok(&x, NULL, err, sizeof err));
    json_object_set_new(params, "SESSION_ID", value_of(IDENTITY_VALUE_MAX + 1));
    assert_false(identity_params_ok(&x, params, err, sizeof err));
    assert_non_null(strstr(err, "SESSION_ID"));
    /* An identity parameter too: the cap holds for every name the experiment lists. */
    json_object_del(params, "SESSION_ID");
    json_object_set_new(params, "participant", value_of(IDENTITY_VALUE_MAX + 1));
    assert_false(identity_params_ok(&x, params, err, sizeof err));
    assert_non_null(strstr(err, "participant"));
    /* identity_decide refuses it before anything else, even beside a valid token. */
    hello_decision d;
    hello_claims h = {.params = params, .token = people[1].token};
    identity_decide(&x, &LOOKUP, &h, &d);
    assert_int_equal(d.verdict, HELLO_REFUSE);
    assert_string_equal(d.code, "bad_params");
    assert_null(d.who);
    json_decref(params);
}

static void only_configured_params_are_stored(void **state)
{
    json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "PROLIFIC_PID", "p1", "STUDY_ID", "S1",
                               "other", "x", "SESSION_ID", "E2");
    json_t *kept = identity_stored_params(&x, params);
    json_t *ids = json_object_get(kept, "params"), *study = json_object_get(kept, "study");
    assert_int_equal(json_object_size(kept), 2);
    assert_int_equal(json_object_size(ids), 1);
    assert_string_equal(json_string_value(json_object_get(ids, "PROLIFIC_PID")), "p1");
    assert_int_equal(json_object_size(study), 2);
    assert_string_equal(json_string_value(json_object_get(study, "SESSION_ID")), "E2");
    assert_null(json_object_get(ids, "other"));
    json_decref(kept);
    json_decref(params);
    kept = identity_stored_params(&x, NULL);
    assert_int_equal(json_object_size(json_object_get(kept, "params")), 0);
    json_decref(kept);
}

/* A hello naming `subject` by its panel id (NULL: none), with `token` and a missing claim. */
static void decide(const char *subject, const char *token, bool missing, hello_decision *d)
{
    json_t *params = subject ? json_pack("{s:s}", "PROLIFIC_PID", subject) : NULL;
    hello_claims h = {.params = params, .token = token, .missing = missing};
    identity_decide(&x, &LOOKUP, &h, d);
    json_decref(params);
}

static void token_rules(void **state)
{
    hello_decision d;
    /* Bob's token: bob is not connected, so this resumes him; his claims are his own. */
    decide(NULL, people[1].token, true, &d);
    assert_int_equal(d.verdict, HELLO_RESUME);
    assert_ptr_equal(d.who, person("bob"));
    assert_true(d.claims_count);
    /* Alice's token while alice is connected: a second tab takes over. */
    hello_claims h = {.subject = "alice", .token = people[0].token};
    identity_decide(&x, &LOOKUP, &h, &d);
    assert_int_equal(d.verdict, HELLO_TAKEOVER);
    /* Carol's token brings her back mid-game: the token is the proof. */
    decide("carol", people[2].token, false, &d);
    assert_int_equal(d.verdict, HELLO_RESUME);
    /* A token with somebody else's subject is refused. */
    h = (hello_claims){.subject = "bob", .token = people[0].token};
    identity_decide(&x, &LOOKUP, &h, &d);
    assert_int_equal(d.verdict, HELLO_REFUSE);
    assert_string_equal(d.code, "bad_token");
    /* An unknown token is no token: the subject decides. */
    decide("zed", "99999999999999999999999999999999", false, &d);
    assert_int_equal(d.verdict, HELLO_NEW);
    assert_string_equal(d.subject, "zed");
    decide("bob", "99999999999999999999999999999999", false, &d);
    assert_int_equal(d.verdict, HELLO_RECLAIM);
}

static void without_the_token_until_game(void **state)
{
    hello_decision d;
    static const struct {
        const char *subject;
        hello_verdict verdict;
        const char *code;
    } cases[] = {
        {"alice", HELLO_REFUSE, "subject_in_use"}, /* connected: nobody pushes her out */
        {"bob", HELLO_RECLAIM, ""},                /* away, no game yet: another browser */
        {"carol", HELLO_REFUSE, "subject_in_use"}, /* away mid-game: only her token */
        {"hal", HELLO_REFUSE, "subject_in_use"},   /* has waited for a game: the same */
        {"dave", HELLO_VIEW, ""},                  /* finished: the end page, tab or not */
        {"erin", HELLO_VIEW, ""},
        {"fay", HELLO_RECLAIM, ""},                /* excluded before acting: afresh */
        {"gus", HELLO_REFUSE, "subject_in_use"},   /* connected, even before acting */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        decide(cases[i].subject, NULL, false, &d);
        if (d.verdict != cases[i].verdict)
            fail_msg("%s: verdict %d, want %d", cases[i].subject, d.verdict, cases[i].verdict);
        assert_string_equal(d.code, cases[i].code);
        assert_false(d.claims_count); /* nothing the hello says counts for them */
        if (d.verdict == HELLO_REFUSE)
            assert_null(d.who);
        else
            assert_ptr_equal(d.who, person(cases[i].subject));
    }
    /* By the remembered subject instead of the panel id: the same rules. */
    hello_claims h = {.subject = "carol"};
    identity_decide(&x, &LOOKUP, &h, &d);
    assert_string_equal(d.code, "subject_in_use");
}

static void a_missing_claim_without_the_token_excludes_nobody(void **state)
{
    hello_decision d;
    /* Bob could be reclaimed, but this browser says it cannot run the game: refused, so
     * it neither takes bob over nor ends his study. */
    decide("bob", NULL, true, &d);
    assert_int_equal(d.verdict, HELLO_REFUSE);
    assert_string_equal(d.code, "browser_unsupported");
    assert_null(d.who);
    decide("fay", NULL, true, &d);
    assert_string_equal(d.code, "browser_unsupported");
    /* Finished: shown the end page; the claim is ignored. */
    decide("erin", NULL, true, &d);
    assert_int_equal(d.verdict, HELLO_VIEW);
    assert_false(d.claims_count);
    decide("carol", NULL, true, &d);
    assert_string_equal(d.code, "subject_in_use");
    /* Somebody new: their claim is their own. */
    decide("newcomer", NULL, true, &d);
    assert_int_equal(d.verdict, HELLO_NEW);
    assert_true(d.claims_count);
}

static void never_resume_without_the_token(void **state)
{
    x.resume_without_token = RESUME_NEVER;
    hello_decision d;
    for (size_t i = 0; i < NPEOPLE; i++) {
        decide(people[i].subject, NULL, false, &d);
        assert_int_equal(d.verdict, HELLO_REFUSE);
        assert_string_equal(d.code, "subject_in_use");
        /* Their token still works. */
        decide(people[i].subject, people[i].token, false, &d);
        assert_true(d.verdict == HELLO_RESUME || d.verdict == HELLO_TAKEOVER);
    }
    decide("newcomer", NULL, false, &d);
    assert_int_equal(d.verdict, HELLO_NEW);
}

/* Every kind of participant, with their token, a wrong one and none, with and without a
 * missing claim, under both settings: the invariants identity.h promises. */
static void invariants_over_every_combination(void **state)
{
    const char *wrong = "99999999999999999999999999999999";
    for (int policy = 0; policy < 2; policy++) {
        x.resume_without_token = policy ? RESUME_NEVER : RESUME_UNTIL_GAME;
        for (size_t i = 0; i < NPEOPLE; i++) {
            known *k = &people[i];
            for (int t = 0; t < 3; t++) {
                const char *token = t == 0 ? k->token : t == 1 ? wrong : NULL;
                for (int missing = 0; missing < 2; missing++) {
                    hello_decision d;
                    decide(k->subject, token, missing, &d);
                    bool holds = t == 0;
                    /* Only the token holder resumes or takes over, and only for them do
                     * the hello's claims count. */
                    if (d.verdict == HELLO_RESUME || d.verdict == HELLO_TAKEOVER)
                        assert_true(holds);
                    assert_int_equal(d.claims_count, holds);
                    if (holds)
                        continue;
                    /* Never a new participant for a known id; a reclaim only for one who is
                     * away, has not waited for a game, is not finished after acting, under
                     * until_game, with an honest browser. */
                    assert_int_not_equal(d.verdict, HELLO_NEW);
                    if (d.verdict == HELLO_RECLAIM)
                        assert_true(!k->connected && !k->started && !(k->finished && k->acted) &&
                                    policy == 0 && !missing);
                    if (d.verdict == HELLO_VIEW)
                        assert_true(k->finished && k->acted && policy == 0);
                }
            }
        }
    }
}

static void subject_rules(void **state)
{
    hello_decision d;
    json_t *bad = json_pack("{s:s}", "PROLIFIC_PID", "a b");
    hello_claims h = {.params = bad};
    identity_decide(&x, &LOOKUP, &h, &d);
    assert_int_equal(d.verdict, HELLO_REFUSE);
    assert_string_equal(d.code, "bad_subject");
    h = (hello_claims){0};
    identity_decide(&x, &LOOKUP, &h, &d);
    assert_int_equal(d.verdict, HELLO_NEW);
    assert_int_equal(strncmp(d.subject, "anon-", 5), 0);
    json_decref(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(first_configured_param_present_names_the_subject, setup),
        cmocka_unit_test_setup(remembered_then_random, setup),
        cmocka_unit_test_setup(a_bad_param_is_refused_not_replaced, setup),
        cmocka_unit_test_setup(configured_params_are_capped_and_others_ignored, setup),
        cmocka_unit_test_setup(only_configured_params_are_stored, setup),
        cmocka_unit_test_setup(token_rules, setup),
        cmocka_unit_test_setup(without_the_token_until_game, setup),
        cmocka_unit_test_setup(a_missing_claim_without_the_token_excludes_nobody, setup),
        cmocka_unit_test_setup(never_resume_without_the_token, setup),
        cmocka_unit_test_setup(invariants_over_every_combination, setup),
        cmocka_unit_test_setup(subject_rules, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
