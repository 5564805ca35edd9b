/*
 * RFC 6455 framing as pure functions over bytes: no sockets, no allocation. net.c parses
 * each client frame in place in the buffer it read into and writes server frames straight
 * into a connection's send buffer; tests/fuzz/fuzz_net.c runs these on arbitrary bytes.
 *
 * Why not wslay's frame API (Debian packages it): it reads through a callback into a 4 KiB
 * buffer of its own per connection and hands back the payload from there, a copy of every
 * byte and 4 KiB more per participant; here a whole frame that arrived in one read is
 * unmasked where it lies and handed to the game as it is (docs/DESIGN.md, section 14).
 */
#ifndef COHORT_NET_WSFRAME_H
#define COHORT_NET_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
    WS_HEADER_MAX = 14,          /* the longest header a client may send */
    WS_SERVER_HEADER_MAX = 10,   /* the longest one we write (no mask) */
    WS_CONTROL_MAX = 125,        /* a control frame's payload at most */
};

/* Close codes we send (RFC 6455 7.4.1). */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_BAD_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
};

typedef struct {
    bool fin;
    uint8_t opcode;
    uint8_t mask[4];
    uint64_t payload_len;
    size_t header_len;
} ws_frame;

typedef enum {
    WS_PARSE_OK = 1,       /* *f holds the header; the payload may not all be there yet */
    WS_PARSE_MORE = 0,     /* the header itself is not whole yet */
    WS_PARSE_ERROR = -1,   /* a protocol error: *why says which */
} ws_parse_result;

/* One client frame's header at buf[0..len). A client frame must be masked, use no
 * reserved bit or opcode, and a control frame must be final and at most 125 bytes. */
ws_parse_result ws_frame_parse(const uint8_t *buf, size_t len, ws_frame *f, const char **why);

/* XOR with the mask, where the bytes lie; offset is where p starts within the payload. */
void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t offset);

/* A final, unmasked server frame's header for a payload of len bytes into out (at least
 * WS_SERVER_HEADER_MAX bytes): its length. */
size_t ws_frame_header(uint8_t *out, uint8_t opcode, size_t len);

/* Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
bool ws_utf8_valid(const uint8_t *s, size_t n);

/* Sec-WebSocket-Accept for a client's key: base64(SHA-1(key + the RFC's GUID)), with NUL,
 * into out[29]. false if the key is not the 24 characters of a base64 16-byte nonce. */
bool ws_accept_key(const char *key, size_t len, char out[29]);

#endif
