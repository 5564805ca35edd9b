/*
 * libFuzzer target for a hello, from the bytes on the wire to who the server says it is:
 * proto_decode, then identity_decide against a small fake world holding one participant
 * of each kind the rules tell apart, then what a participant row would keep. Built by
 * `make fuzz-hello`; run with ASan and UBSan.
 *
 * The first byte picks the resume_without_token setting and flips the fake participants'
 * states, so the fuzzer explores the rules under every combination; the rest is the
 * message. Any broken promise of src/flow/identity.h traps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flow/identity.h"
#include "../unit/fake_people.h"
#include "proto/proto.h"

static known world[] = {
    {"alice", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, false, false, true},
    {"bob", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", false, false, false, true},
    {"carol", "cccccccccccccccccccccccccccccccc", false, false, true, true},
    {"dave", "dddddddddddddddddddddddddddddddd", true, true, true, true},
    {"erin", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", false, true, false, true},
    {"fay", "ffffffffffffffffffffffffffffffff", false, true, false, false},
    {"gus", "11111111111111111111111111111111", true, false, false, false},
};
#define NWORLD (sizeof world / sizeof world[0])

static fake_world WORLD = {world, sizeof world / sizeof world[0]};
static identity_lookup LOOKUP; /* fake_lookup(&WORLD), set up before the first use */

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_hello: broken promise: %s (line %d)\n", #cond, __LINE__);  \
            __builtin_trap();                                                               \
        }                                                                                   \
    } while (0)

static experiment x;

static void setup_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    LOOKUP = fake_lookup(&WORLD);
    x.nidentity = 3;
    snprintf(x.identity_params[0], CFG_ID_LEN, "PROLIFIC_PID");
    snprintf(x.identity_params[1], CFG_ID_LEN, "workerId");
    snprintf(x.identity_params[2], CFG_ID_LEN, "participant");
    x.nstudy = 2;
    snprintf(x.study_params[0], CFG_ID_LEN, "STUDY_ID");
    snprintf(x.study_params[1], CFG_ID_LEN, "SESSION_ID");
}

/* Some configured parameter is over the limit. */
static bool too_long(json_t *params)
{
    const char(*lists[2])[CFG_ID_LEN] = {x.identity_params, x.study_params};
    int counts[2] = {x.nidentity, x.nstudy};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < counts[l]; i++) {
            json_t *v = json_object_get(params, lists[l][i]);
            if (json_is_string(v) && json_string_length(v) > IDENTITY_VALUE_MAX)
                return true;
        }
    return false;
}

static void check_decision(const hello_claims *h, const hello_decision *d)
{
    known *who = d->who;
    CHECK(d->verdict >= HELLO_NEW && d->verdict <= HELLO_REFUSE);
    CHECK(memchr(d->subject, '\0', sizeof d->subject) && memchr(d->code, '\0', sizeof d->code) &&
          memchr(d->err, '\0', sizeof d->err));
    if (d->verdict == HELLO_REFUSE) {
        CHECK(who == NULL && d->code[0] && !d->claims_count);
        CHECK(strcmp(d->code, "bad_params") != 0 || too_long(h->params));
        return;
    }
    CHECK(!too_long(h->params));
    /* Only the token holder resumes or takes over; only theirs and a newcomer's claims count. */
    bool holder = who && h->token && strcmp(h->token, who->token) == 0;
    CHECK(d->claims_count ==
          (d->verdict == HELLO_NEW || d->verdict == HELLO_RESUME || d->verdict == HELLO_TAKEOVER));
    if (d->verdict == HELLO_RESUME || d->verdict == HELLO_TAKEOVER) {
        CHECK(holder);
        CHECK((d->verdict == HELLO_TAKEOVER) == who->connected);
        return;
    }
    if (d->verdict == HELLO_NEW) {
        CHECK(who == NULL && proto_valid_subject(d->subject) && !fake_by_subject(d->subject, &WORLD));
        return;
    }
    /* Without the token: a reclaim or an end page, never for a live participant's game. */
    CHECK(who && !holder && x.resume_without_token == RESUME_UNTIL_GAME);
    if (d->verdict == HELLO_VIEW)
        CHECK(who->finished && who->acted);
    if (d->verdict == HELLO_RECLAIM)
        CHECK(!who->connected && !who->started && !(who->finished && who->acted) && !h->missing);
}

static void check_stored(json_t *params)
{
    json_t *kept = identity_stored_params(&x, params);
    CHECK(kept && json_object_size(kept) == 2);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(kept, "params"), key, v)
    {
        bool listed = false;
        for (int i = 0; i < x.nidentity; i++)
            listed |= strcmp(key, x.identity_params[i]) == 0;
        CHECK(listed && json_string_length(v) <= IDENTITY_VALUE_MAX);
    }
    json_object_foreach(json_object_get(kept, "study"), key, v)
    {
        bool listed = false;
        for (int i = 0; i < x.nstudy; i++)
            listed |= strcmp(key, x.study_params[i]) == 0;
        CHECK(listed && json_string_length(v) <= IDENTITY_VALUE_MAX);
    }
    json_decref(kept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    x.resume_without_token = (sel & 1) ? RESUME_NEVER : RESUME_UNTIL_GAME;
    /* Flip one of each person's states from the selector (bits 1-7), so every kind meets
     * every rule. Restored before returning. */
    known saved[NWORLD];
    memcpy(saved, world, sizeof world);
    for (size_t i = 0; i < NWORLD; i++) {
        int bit = (int)((sel >> 1) + i) % 4;
        bool *flag = bit == 0   ? &world[i].connected
                     : bit == 1 ? &world[i].finished
                     : bit == 2 ? &world[i].started
                                : &world[i].acted;
        if (sel & 0x80)
            *flag = !*flag;
    }
    client_msg m;
    char err[256];
    if (proto_decode((const char *)data + 1, size - 1, &m, err, sizeof err) == 0) {
        if (m.type == MSG_HELLO) {
            hello_claims h = {.params = m.params,
                              .subject = m.has_subject ? m.subject : NULL,
                              .token = m.has_token ? m.token : NULL,
                              .missing = m.missing[0] != '\0'};
            hello_decision d;
            identity_decide(&x, &LOOKUP, &h, &d);
            check_decision(&h, &d);
            if (d.verdict != HELLO_REFUSE)
                check_stored(m.params);
        }
        proto_client_msg_free(&m);
    }
    memcpy(world, saved, sizeof world);
    return 0;
}
