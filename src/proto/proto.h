/*
 * Wire messages (docs/PROTOCOL.md): decoding and validating what clients send, encoding
 * the binary game messages the server sends (the JSON ones are built in messages.h). Everything a client sends is hostile until
 * proto_decode_* says otherwise; a decoded message has every field checked for type,
 * length and charset.
 */
#ifndef COHORT_PROTO_H
#define COHORT_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"

#define PROTO_SUBJECT_MAX 64
#define PROTO_TOKEN_LEN 32
#define PROTO_SCENE_MAX 63
#define PROTO_MAX_PARAMS 32
#define PROTO_MAX_FORM_FIELDS 100
#define PROTO_MAX_VALUE 4096
#define PROTO_MAX_ATTEMPT 1000000

/* The messages a client may send, once (docs/PROTOCOL.md, "client to server"; a test
 * checks the two agree). Server-to-client messages are in messages.h. */
#define PROTO_CLIENT_MESSAGES(X)                                                           \
    X(MSG_HELLO, "hello") X(MSG_ADVANCE, "advance") X(MSG_START, "start")                  \
    X(MSG_LEAVE, "leave") X(MSG_VISIBILITY, "visibility")
#define PROTO_CLIENT_ENUM_ITEM(id, name) id,
typedef enum { PROTO_CLIENT_MESSAGES(PROTO_CLIENT_ENUM_ITEM) MSG_COUNT_ } msg_type;

/* hello.device: what the page says about its device and window (docs/PROTOCOL.md). All
 * of it unproven; the server screens with it (src/flow/screen.h). Either every field was
 * sent, typed and in range, or `present` is false. */
#define PROTO_DEVICE_MAX_PX 100000    /* a window side, CSS pixels */
#define PROTO_DEVICE_MAX_TOUCH 256    /* navigator.maxTouchPoints */
typedef struct {
    bool present;
    int width, height;     /* window.innerWidth, innerHeight: CSS pixels */
    bool mobile;           /* the user agent says phone or tablet (web/device.js) */
    pointer_kind pointer;  /* the primary pointer: (pointer: fine | coarse | none) */
    bool hover;            /* (hover: hover): the primary pointer can hover */
    int touch_points;      /* navigator.maxTouchPoints */
} device_facts;

typedef struct {
    msg_type type;
    bool has_subject, has_token;
    char subject[PROTO_SUBJECT_MAX + 1];
    char token[PROTO_TOKEN_LEN + 1];
    char scene[PROTO_SCENE_MAX + 1];
    json_t *params; /* hello: object of strings (owned; NULL if absent) */
    json_t *form;   /* advance: object of strings (owned; NULL if absent) */
    char missing[160]; /* hello: browser features the client lacks, comma-separated; "" = none */
    device_facts device; /* hello: the device, if the page said */
    bool visible;
    int attempt;    /* advance: the quiz attempt the page makes, 1..PROTO_MAX_ATTEMPT; 0 = not said */
} client_msg;

/* 0 and a filled msg, or -1 with a one-line reason in err. */
int proto_decode(const char *text, size_t len, client_msg *msg, char *err, size_t errlen);
void proto_client_msg_free(client_msg *msg);

/* 1-64 characters of [A-Za-z0-9_.-], not starting with '.' */
bool proto_valid_subject(const char *s);
bool proto_valid_token(const char *s);

enum { BIN_INPUT = 1, BIN_CONFIRM = 2, BIN_STATE = 3 };
#define PROTO_INPUT_SIZE 24
#define PROTO_CONFIRM_HEADER 12
#define PROTO_STATE_HEADER 12
#define PROTO_INPUT_HAS_HASH 1u
/* A model seat's action, sent by the page that runs the model (docs/AGENTS.md): the seat
 * is in the high byte of flags. */
#define PROTO_INPUT_HOSTED 2u

typedef struct {
    uint8_t episode;
    uint16_t flags;
    uint32_t frame;
    int32_t action;
    uint32_t confirmed;
    uint64_t hash;
} input_msg;

/* The seat a PROTO_INPUT_HOSTED input is for. */
static inline int proto_input_hosted_seat(const input_msg *in) { return in->flags >> 8; }

/* 0, or -1 when the bytes are not an INPUT message. */
int proto_decode_input(const uint8_t *buf, size_t len, input_msg *out);
void proto_encode_input(uint8_t out[PROTO_INPUT_SIZE], const input_msg *in);

/* CONFIRM: header, then per frame nseats action bytes and a u64 hash. */
size_t proto_confirm_size(uint8_t nseats, uint16_t count);
void proto_confirm_header(uint8_t *out, uint8_t episode, uint8_t nseats, uint32_t first,
                          uint16_t count);
/* Writes one entry at out; returns the bytes written (nseats + 8). */
size_t proto_confirm_entry(uint8_t *out, const uint8_t *actions, uint8_t nseats, uint64_t hash);

/* STATE: header then the state bytes. Returns the total size written, 0 if cap too small. */
size_t proto_encode_state(uint8_t *out, size_t cap, uint8_t episode, uint32_t frame,
                          const void *state, uint32_t size);

/* ---- decoders for clients (bots, tests) ---- */

/* CONFIRM: parse the header; -1 if malformed (len must be exactly the header plus count
 * entries of nseats + 8 bytes; nseats 0 is malformed). */
int proto_decode_confirm_header(const uint8_t *buf, size_t len, uint8_t *episode,
                                uint8_t *nseats, uint32_t *first, uint16_t *count);
/* CONFIRM: entry i (frame first + i) of a message proto_decode_confirm_header accepts:
 * its nseats actions into actions (room for nseats bytes) and its hash. -1, with nothing
 * written, if the message is malformed or i >= count. */
int proto_decode_confirm_entry(const uint8_t *buf, size_t len, uint16_t i, uint8_t *actions,
                               uint64_t *hash);
/* STATE: parse the header; the state bytes follow at buf + PROTO_STATE_HEADER. -1 if
 * malformed, including a size that does not match len. */
int proto_decode_state_header(const uint8_t *buf, size_t len, uint8_t *episode, uint32_t *frame,
                              uint32_t *size);

#endif
