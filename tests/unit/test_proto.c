/* The message decoder against good, malformed and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/messages.h"
#include "proto/names.h"
#include "proto/proto.h"

static int decode(const char *text, client_msg *m, char *err)
{
    return proto_decode(text, strlen(text), m, err, 200);
}

static void hello_with_everything(void **state)
{
    client_msg m;
    char err[200];
    assert_int_equal(decode("{\"type\":\"hello\",\"subject\":\"P-1.a_b\",\"token\":"
                            "\"0123456789abcdef0123456789abcdef\",\"params\":{\"PROLIFIC_PID\":"
                            "\"abc\",\"n\":3,\"b\":true}}",
                            &m, err),
                     0);
    assert_int_equal(m.type, MSG_HELLO);
    assert_true(m.has_subject);
    assert_string_equal(m.subject, "P-1.a_b");
    assert_true(m.has_token);
    assert_string_equal(json_string_value(json_object_get(m.params, "PROLIFIC_PID")), "abc");
    assert_string_equal(json_string_value(json_object_get(m.params, "n")), "3");
    assert_string_equal(json_string_value(json_object_get(m.params, "b")), "true");
    proto_client_msg_free(&m);
}

static void hello_with_nulls(void **state)
{
    client_msg m;
    char err[200];
    assert_int_equal(decode("{\"type\":\"hello\",\"subject\":null,\"token\":null,\"params\":{}}",
                            &m, err),
                     0);
    assert_false(m.has_subject);
    assert_false(m.has_token);
    proto_client_msg_free(&m);
}

static void other_messages(void **state)
{
    client_msg m;
    char err[200];
    assert_int_equal(decode("{\"type\":\"advance\",\"scene\":\"consent\",\"form\":{\"age\":\"31\"}}",
                            &m, err),
                     0);
    assert_int_equal(m.type, MSG_ADVANCE);
    assert_string_equal(m.scene, "consent");
    assert_string_equal(json_string_value(json_object_get(m.form, "age")), "31");
    assert_int_equal(m.attempt, 0); /* not said: a quiz page grades every advance */
    proto_client_msg_free(&m);
    assert_int_equal(decode("{\"type\":\"advance\",\"scene\":\"quiz\",\"attempt\":2}", &m, err), 0);
    assert_int_equal(m.attempt, 2);
    proto_client_msg_free(&m);
    assert_int_equal(decode("{\"type\":\"start\",\"scene\":\"game\"}", &m, err), 0);
    assert_int_equal(m.type, MSG_START);
    proto_client_msg_free(&m);
    assert_int_equal(decode("{\"type\":\"leave\"}", &m, err), 0);
    assert_int_equal(m.type, MSG_LEAVE);
    assert_int_equal(decode("{\"type\":\"visibility\",\"visible\":false}", &m, err), 0);
    assert_false(m.visible);
}

static void rejects_with_a_reason(void **state)
{
    static const struct {
        const char *text, *reason;
    } cases[] = {
        {"", "malformed JSON"},
        {"{", "malformed JSON"},
        {"not json", "malformed JSON"},
        {"[1,2]", "a message must be a JSON object"},
        {"\"hello\"", "malformed JSON"},
        {"{}", "a message needs a string field \"type\""},
        {"{\"type\":7}", "a message needs a string field \"type\""},
        {"{\"type\":\"explode\"}", "unknown message type \"explode\""},
        {"{\"type\":\"hello\",\"type\":\"hello\"}", "malformed JSON"},
        {"{\"type\":\"hello\",\"subject\":\"../etc/passwd\"}", "subject must be"},
        {"{\"type\":\"hello\",\"subject\":\"a b\"}", "subject must be"},
        {"{\"type\":\"hello\",\"subject\":\".hidden\"}", "subject must be"},
        {"{\"type\":\"hello\",\"subject\":\"\"}", "subject must be"},
        {"{\"type\":\"hello\",\"subject\":12}", "subject must be"},
        {"{\"type\":\"hello\",\"token\":\"xyz\"}", "token must be 32 hex characters"},
        {"{\"type\":\"hello\",\"token\":\"0123456789ABCDEF0123456789abcdef\"}",
         "token must be 32 hex characters"},
        {"{\"type\":\"hello\",\"params\":[1]}", "params must be an object"},
        {"{\"type\":\"hello\",\"params\":{\"a\":{\"b\":1}}}", "params.a must be a string"},
        {"{\"type\":\"hello\",\"device\":[1]}",
         "device must be an object of width"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":800,\"mobile\":false,\"pointer\":\"fine\",\"hover\":true}}",
         "device must be an object of width"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":800,\"mobile\":false,\"pointer\":\"fine\",\"hover\":true,\"touch_points\":0,\"x\":1}}",
         "device must be an object of width"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":800,\"mobile\":false,\"pointer\":\"fine\",\"hover\":true,\"touch\":0}}",
         "device.touch_points is missing"},
        {"{\"type\":\"hello\",\"device\":{\"width\":-5,\"height\":800,\"mobile\":false,\"pointer\":\"fine\",\"hover\":true,\"touch_points\":0}}",
         "device.width must be an integer from 0 to 100000"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":1e9,\"mobile\":false,\"pointer\":\"fine\",\"hover\":true,\"touch_points\":0}}",
         "device.height must be an integer from 0 to 100000"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":\"800\",\"mobile\":false,\"pointer\":\"fine\",\"hover\":true,\"touch_points\":0}}",
         "device.height must be an integer"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":800,\"mobile\":false,\"pointer\":\"fine\",\"hover\":true,\"touch_points\":9999}}",
         "device.touch_points must be an integer from 0 to 256"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":800,\"mobile\":0,\"pointer\":\"fine\",\"hover\":true,\"touch_points\":0}}",
         "device.mobile must be true or false"},
        {"{\"type\":\"hello\",\"device\":{\"width\":1200,\"height\":800,\"mobile\":false,\"pointer\":\"mouse\",\"hover\":true,\"touch_points\":0}}",
         "device.pointer must be fine, coarse or none"},
        {"{\"type\":\"advance\"}", "scene must be a scene id"},
        {"{\"type\":\"advance\",\"scene\":\"a/b\"}", "scene must be a scene id"},
        {"{\"type\":\"advance\",\"scene\":\"x\",\"form\":\"no\"}", "form must be an object"},
        {"{\"type\":\"advance\",\"scene\":\"x\",\"attempt\":0}",
         "attempt must be an integer from 1 to 1000000"},
        {"{\"type\":\"advance\",\"scene\":\"x\",\"attempt\":\"2\"}",
         "attempt must be an integer from 1 to 1000000"},
        {"{\"type\":\"advance\",\"scene\":\"x\",\"attempt\":1.5}",
         "attempt must be an integer from 1 to 1000000"},
        {"{\"type\":\"start\",\"scene\":null}", "scene must be a scene id"},
        {"{\"type\":\"visibility\",\"visible\":\"yes\"}", "visible must be true or false"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        client_msg m;
        char err[200] = "";
        int rc = decode(cases[i].text, &m, err);
        if (rc == 0 || strstr(err, cases[i].reason) == NULL)
            fail_msg("input %s: rc %d, err \"%s\", wanted \"%s\"", cases[i].text, rc, err,
                     cases[i].reason);
    }
}

static void rejects_oversized_fields(void **state)
{
    client_msg m;
    char err[200];
    size_t n = PROTO_MAX_VALUE + 100;
    char *text = malloc(n + 100);
    int w = snprintf(text, n + 100, "{\"type\":\"advance\",\"scene\":\"s\",\"form\":{\"a\":\"");
    memset(text + w, 'x', n);
    strcpy(text + w + n, "\"}}");
    assert_int_equal(decode(text, &m, err), -1);
    assert_non_null(strstr(err, "longer than"));
    free(text);

    /* Too many params */
    char big[4096];
    size_t o = (size_t)snprintf(big, sizeof big, "{\"type\":\"hello\",\"params\":{");
    for (int i = 0; i < PROTO_MAX_PARAMS + 1; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "%s\"k%d\":\"v\"", i ? "," : "", i);
    snprintf(big + o, sizeof big - o, "}}");
    assert_int_equal(decode(big, &m, err), -1);
    assert_non_null(strstr(err, "more than"));
}

static void embedded_nul_is_not_a_short_message(void **state)
{
    client_msg m;
    char err[200];
    const char text[] = "{\"type\":\"leave\"}\0garbage";
    assert_int_equal(proto_decode(text, sizeof text - 1, &m, err, sizeof err), -1);
}

static void binary_input_round_trip_and_rejects(void **state)
{
    input_msg in = {.episode = 3, .flags = 1, .frame = 123456, .action = -5, .confirmed = 99,
                    .hash = 0x0123456789abcdefULL};
    uint8_t buf[PROTO_INPUT_SIZE];
    proto_encode_input(buf, &in);
    input_msg out;
    assert_int_equal(proto_decode_input(buf, sizeof buf, &out), 0);
    assert_int_equal(out.episode, 3);
    assert_int_equal(out.frame, 123456);
    assert_int_equal(out.action, -5);
    assert_int_equal(out.confirmed, 99);
    assert_true(out.hash == 0x0123456789abcdefULL);
    assert_int_equal(proto_decode_input(buf, sizeof buf - 1, &out), -1);
    buf[0] = BIN_CONFIRM;
    assert_int_equal(proto_decode_input(buf, sizeof buf, &out), -1);
    assert_int_equal(proto_decode_input(buf, 0, &out), -1);
}

static void confirm_and_state_encoding(void **state)
{
    uint8_t buf[64];
    uint8_t actions[2] = {4, 5};
    proto_confirm_header(buf, 1, 2, 77, 2);
    size_t off = PROTO_CONFIRM_HEADER;
    off += proto_confirm_entry(buf + off, actions, 2, 42);
    off += proto_confirm_entry(buf + off, actions, 2, 43);
    assert_int_equal(off, proto_confirm_size(2, 2));
    uint8_t ep, ns;
    uint32_t first;
    uint16_t count;
    assert_int_equal(proto_decode_confirm_header(buf, off, &ep, &ns, &first, &count), 0);
    assert_int_equal(first, 77);
    assert_int_equal(count, 2);
    assert_int_equal(proto_decode_confirm_header(buf, off - 1, &ep, &ns, &first, &count), -1);
    uint32_t st = 0xdeadbeef;
    assert_int_equal(proto_encode_state(buf, 8, 0, 5, &st, 4), 0);
    assert_int_equal(proto_encode_state(buf, sizeof buf, 0, 5, &st, 4), PROTO_STATE_HEADER + 4);
    assert_int_equal(buf[0], BIN_STATE);
}

/* The client-side CONFIRM decoders: entries read back as written, at odd offsets too
 * (nseats 3: every hash unaligned), and nothing is read past the message. */
static void confirm_entry_decoding(void **state)
{
    uint8_t buf[64];
    const uint8_t a0[3] = {1, 2, 3}, a1[3] = {7, 0, 255};
    proto_confirm_header(buf, 9, 3, 1000, 2);
    size_t off = PROTO_CONFIRM_HEADER;
    off += proto_confirm_entry(buf + off, a0, 3, 0x0102030405060708ULL);
    off += proto_confirm_entry(buf + off, a1, 3, 0xfedcba9876543210ULL);
    assert_int_equal(off, proto_confirm_size(3, 2));

    uint8_t acts[3];
    uint64_t hash;
    assert_int_equal(proto_decode_confirm_entry(buf, off, 0, acts, &hash), 0);
    assert_memory_equal(acts, a0, 3);
    assert_true(hash == 0x0102030405060708ULL);
    assert_int_equal(proto_decode_confirm_entry(buf, off, 1, acts, &hash), 0);
    assert_memory_equal(acts, a1, 3);
    assert_true(hash == 0xfedcba9876543210ULL);
    /* little-endian on the wire, whatever the host */
    assert_int_equal(buf[PROTO_CONFIRM_HEADER + 3], 0x08);
    assert_int_equal(buf[PROTO_CONFIRM_HEADER + 10], 0x01);

    /* past the last entry, a cut message, another kind: -1 and nothing written */
    uint8_t untouched[3] = {0xaa, 0xaa, 0xaa};
    memcpy(acts, untouched, 3);
    hash = 42;
    assert_int_equal(proto_decode_confirm_entry(buf, off, 2, acts, &hash), -1);
    assert_int_equal(proto_decode_confirm_entry(buf, off - 1, 0, acts, &hash), -1);
    assert_int_equal(proto_decode_confirm_entry(buf, off + 1, 0, acts, &hash), -1);
    assert_int_equal(proto_decode_confirm_entry(buf, 4, 0, acts, &hash), -1);
    buf[0] = BIN_STATE;
    assert_int_equal(proto_decode_confirm_entry(buf, off, 0, acts, &hash), -1);
    buf[0] = BIN_CONFIRM;
    buf[2] = 0; /* nseats 0 */
    assert_int_equal(proto_decode_confirm_entry(buf, PROTO_CONFIRM_HEADER + 16, 0, acts, &hash), -1);
    assert_memory_equal(acts, untouched, 3);
    assert_true(hash == 42);

    /* an empty CONFIRM is well formed and has no entries */
    proto_confirm_header(buf, 0, 2, 5, 0);
    uint8_t ep, ns;
    uint32_t first;
    uint16_t count;
    assert_int_equal(proto_decode_confirm_header(buf, PROTO_CONFIRM_HEADER, &ep, &ns, &first, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(proto_decode_confirm_entry(buf, PROTO_CONFIRM_HEADER, 0, acts, &hash), -1);
}

static void state_header_decoding(void **state)
{
    uint8_t buf[64], st[5] = {10, 20, 30, 40, 50};
    size_t n = proto_encode_state(buf, sizeof buf, 7, 0x01020304u, st, sizeof st);
    assert_int_equal(n, PROTO_STATE_HEADER + sizeof st);
    uint8_t ep = 0;
    uint32_t frame = 0, size = 0;
    assert_int_equal(proto_decode_state_header(buf, n, &ep, &frame, &size), 0);
    assert_int_equal(ep, 7);
    assert_int_equal(frame, 0x01020304u);
    assert_int_equal(size, sizeof st);
    assert_memory_equal(buf + PROTO_STATE_HEADER, st, sizeof st);
    assert_int_equal(buf[4], 0x04); /* little-endian */

    /* size must match len exactly: short, long, header only, empty, another kind */
    assert_int_equal(proto_decode_state_header(buf, n - 1, &ep, &frame, &size), -1);
    assert_int_equal(proto_decode_state_header(buf, n + 1, &ep, &frame, &size), -1);
    assert_int_equal(proto_decode_state_header(buf, PROTO_STATE_HEADER, &ep, &frame, &size), -1);
    assert_int_equal(proto_decode_state_header(buf, PROTO_STATE_HEADER - 1, &ep, &frame, &size), -1);
    assert_int_equal(proto_decode_state_header(buf, 0, &ep, &frame, &size), -1);
    buf[0] = BIN_CONFIRM;
    assert_int_equal(proto_decode_state_header(buf, n, &ep, &frame, &size), -1);
    buf[0] = BIN_STATE;
    /* a size field that would overflow 32-bit arithmetic */
    buf[8] = buf[9] = buf[10] = buf[11] = 0xff;
    assert_int_equal(proto_decode_state_header(buf, n, &ep, &frame, &size), -1);

    /* a zero-size state is well formed */
    n = proto_encode_state(buf, sizeof buf, 1, 0, st, 0);
    assert_int_equal(proto_decode_state_header(buf, n, &ep, &frame, &size), 0);
    assert_int_equal(size, 0);
}

/* Random bytes must never crash the decoders. */
static void random_garbage(void **state)
{
    srand(1234);
    char buf[256];
    int confirms = 0, states = 0;
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)(rand() % (int)sizeof buf);
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(rand() % 256);
        if (n > 2 && rand() % 2) {
            buf[0] = '{';
            buf[n - 1] = '}';
        }
        client_msg m;
        char err[200];
        if (proto_decode(buf, n, &m, err, sizeof err) == 0)
            proto_client_msg_free(&m);
        input_msg in;
        proto_decode_input((const uint8_t *)buf, n, &in);
        /* binary: the right kind byte, and often a length field that nearly fits */
        uint8_t *b = (uint8_t *)buf, acts[256], ep, ns;
        uint32_t first, frame, size;
        uint16_t count;
        uint64_t hash;
        if (n > 12 && rand() % 2) {
            b[0] = (uint8_t)(BIN_CONFIRM + rand() % 2);
            b[2] = (uint8_t)(rand() % 4);
            size_t fit = b[0] == BIN_CONFIRM ? (n - 12) / (b[2] + 8u) : n - 12;
            fit += (size_t)(rand() % 3) - 1; /* one short, exact or one over */
            b[8] = (uint8_t)fit;
            b[9] = (uint8_t)(fit >> 8);
            if (b[0] == BIN_STATE)
                b[10] = b[11] = 0; /* the u32 size's high bytes */
        }
        if (proto_decode_confirm_header(b, n, &ep, &ns, &first, &count) == 0) {
            confirms++;
            for (uint16_t k = 0; k <= count; k++)
                assert_int_equal(proto_decode_confirm_entry(b, n, k, acts, &hash), k < count ? 0 : -1);
        }
        if (proto_decode_state_header(b, n, &ep, &frame, &size) == 0) {
            states++;
            assert_int_equal(PROTO_STATE_HEADER + (size_t)size, n);
        }
    }
    assert_true(confirms > 100 && states > 100); /* the decoders' good paths ran too */
}

/* Takes the text; returns it parsed (caller decrefs) after checking its type. */
static json_t *built(char *text, const char *type)
{
    assert_non_null(text);
    json_t *m = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "type")), type);
    return m;
}

static long long num(json_t *m, const char *key) { return json_integer_value(json_object_get(m, key)); }
static const char *str(json_t *m, const char *key) { return json_string_value(json_object_get(m, key)); }

static void every_server_message_has_its_type_and_fields(void **state)
{
    const char *text_keys[] = {"waitroom_title"}, *vals[] = {"\u05de\u05de\u05ea\u05d9\u05e0\u05d9\u05dd"};
    welcome_words words = {1, text_keys, vals, "he", ""};
    json_t *m = built(proto_msg_welcome("alice", "t0k", "demo", true, &words), "welcome");
    assert_string_equal(str(json_object_get(m, "texts"), "waitroom_title"), vals[0]);
    assert_string_equal(str(m, "lang"), "he");
    assert_string_equal(str(m, "token"), "t0k");
    assert_true(json_is_true(json_object_get(m, "resumed")));
    json_decref(m);
    m = built(proto_msg_scene_page(1, "consent", "<p>\"quoted\"</p>", true), "scene");
    assert_string_equal(str(m, "kind"), "page");
    assert_string_equal(str(m, "html"), "<p>\"quoted\"</p>");
    json_decref(m);
    m = built(proto_msg_scene_game(2, "game", NULL, 300, 2), "scene");
    assert_string_equal(str(m, "html"), "");
    assert_int_equal(num(m, "players"), 2);
    json_decref(m);
    m = built(proto_msg_scene_end(3, OUTCOME_WAITROOM_TIMEOUT, "C1", "https://x/?c=C1", "Thanks",
                                  NULL, NULL),
              "scene");
    assert_string_equal(str(m, "outcome"), "waitroom_timeout");
    assert_string_equal(str(m, "bonus"), "");
    json_decref(m);
    m = built(proto_msg_scene_end(3, OUTCOME_COMPLETED, "C1", "", "Thanks",
                                  "Your bonus: 1.02 GBP", "1.02"),
              "scene");
    assert_string_equal(str(m, "bonus"), "Your bonus: 1.02 GBP");
    assert_string_equal(str(m, "bonus_amount"), "1.02");
    json_decref(m);
    json_decref(built(proto_msg_waiting("game", 1, 2, 9000), "waiting"));
    json_decref(built(proto_msg_matched("g-1", 1, 3000), "matched"));
    const char *labels[] = {"human", "ai:greedy"}, *keys[] = {"ArrowUp"};
    int actions[] = {0};
    game_start_info g = {.game = "g-1", .seat = 0, .nseats = 2, .seat_labels = labels,
                         .env = "cooking/cramped_room", .fps = 30, .nkeys = 1,
                         .key_names = keys, .key_actions = actions, .episode = 1};
    m = built(proto_msg_game_start(&g), "game_start");
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "seats"), 1)),
                        "ai:greedy");
    assert_int_equal(num(json_object_get(m, "keys"), "ArrowUp"), 0);
    /* Paced by fps: step_ms is null; keys held, the default. */
    assert_int_equal(num(m, "fps"), 30);
    assert_true(json_is_null(json_object_get(m, "step_ms")));
    assert_string_equal(str(m, "input"), "held");
    json_decref(m);
    g.fps = 0;
    g.step_ms = 150;
    g.input = "press";
    m = built(proto_msg_game_start(&g), "game_start");
    assert_true(json_is_null(json_object_get(m, "fps")));
    assert_int_equal(num(m, "step_ms"), 150);
    assert_string_equal(str(m, "input"), "press");
    json_decref(m);
    json_decref(built(proto_msg_countdown(0, 3000), "countdown"));
    m = built(proto_msg_episode_start(1, UINT64_MAX), "episode_start");
    assert_string_equal(str(m, "seed"), "18446744073709551615"); /* a string: no double loses it */
    json_decref(m);
    m = built(proto_msg_episode_end(1, 450, EPISODE_TRUNCATED), "episode_end");
    assert_string_equal(str(m, "reason"), "truncated");
    json_decref(m);
    m = built(proto_msg_game_end(GAME_EXCLUDED), "game_end");
    assert_string_equal(str(m, "reason"), "excluded");
    json_decref(m);
    m = built(proto_msg_partner(1, PARTNER_RECONNECTING), "partner");
    assert_string_equal(str(m, "status"), "reconnecting");
    json_decref(m);
    json_decref(built(proto_msg_lag(77), "lag"));
    json_decref(built(proto_msg_replaced(), "replaced"));
    json_decref(built(proto_msg_error("bad_message", "a \"quote\" and a\nnewline"), "error"));
}

static void every_name_table_round_trips(void **state)
{
    for (int i = 0; i < outcome_COUNT_; i++) {
        outcome o;
        assert_true(outcome_parse(outcome_name((outcome)i), &o));
        assert_int_equal(o, i);
    }
    for (int i = 0; i < seat_removal_COUNT_; i++) {
        seat_removal r;
        assert_true(seat_removal_parse(seat_removal_name((seat_removal)i), &r));
        assert_int_equal(r, i);
    }
    outcome untouched = OUTCOME_EXCLUDED;
    assert_false(outcome_parse("finished", &untouched));
    assert_false(outcome_parse(NULL, &untouched));
    assert_int_equal(untouched, OUTCOME_EXCLUDED);
    assert_string_equal(game_end_name((game_end)99), "?");
    assert_string_equal(input_source_name(SOURCE_AI), "ai");
    assert_string_equal(outcome_reason_name(REASON_NONE), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_with_everything),
        cmocka_unit_test(hello_with_nulls),
        cmocka_unit_test(other_messages),
        cmocka_unit_test(rejects_with_a_reason),
        cmocka_unit_test(rejects_oversized_fields),
        cmocka_unit_test(embedded_nul_is_not_a_short_message),
        cmocka_unit_test(binary_input_round_trip_and_rejects),
        cmocka_unit_test(confirm_and_state_encoding),
        cmocka_unit_test(confirm_entry_decoding),
        cmocka_unit_test(state_header_decoding),
        cmocka_unit_test(random_garbage),
        cmocka_unit_test(every_server_message_has_its_type_and_fields),
        cmocka_unit_test(every_name_table_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
