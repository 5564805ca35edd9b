/*
 * libFuzzer target for what net parses from the wire itself (src/net/request.c,
 * src/net/wsframe.c): HTTP requests fed to net_request_feed in pieces, as reads would cut
 * them, then the same bytes as client WebSocket frames the way net.c walks them (parse,
 * unmask in place, check text for UTF-8), and as a Sec-WebSocket-Key.
 * Built by `make fuzz-net`; run with ASan and UBSan.
 *
 * Input: the first byte says where the request is cut (its value modulo the length); the
 * rest is the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/request.h"
#include "net/wsframe.h"

static void http(const uint8_t *data, size_t size, size_t cut)
{
    net_request r;
    net_request_init(&r);
    size_t off = 0;
    /* two pieces, then whatever the parser leaves: each call must make progress or stop */
    const size_t pieces[2] = {cut, size - cut};
    for (int i = 0; i < 2 && !r.complete && !r.error; i++) {
        size_t piece = pieces[i], done = 0;
        while (done < piece && !r.complete && !r.error) {
            size_t used = net_request_feed(&r, (const char *)data + off + done, piece - done);
            if (used == 0)
                break;
            if (used > piece - done)
                __builtin_trap();
            done += used;
        }
        off += piece;
    }
    if (r.seen > NET_HEADERS_MAX || r.target_len >= sizeof r.target ||
        strlen(r.target) != r.target_len || strlen(r.h_xff) >= sizeof r.h_xff)
        __builtin_trap();
    if (r.complete && !r.error) {
        char path[NET_URI_MAX], query[NET_QUERY_MAX];
        if (net_target_split(r.target, r.target_len, path, query))
            (void)net_mime_type(path), (void)net_path_servable(path);
        char accept[29];
        if (ws_accept_key(r.h_ws_key, strlen(r.h_ws_key), accept) && strlen(accept) != 28)
            __builtin_trap();
    }
    if (r.error && !net_status_text(r.error)[0])
        __builtin_trap(); /* every error we answer with has its line */
}

static void frames(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 1);
    if (!buf)
        return;
    memcpy(buf, data, size);
    size_t off = 0;
    while (off < size) {
        ws_frame f;
        const char *why = NULL;
        ws_parse_result r = ws_frame_parse(buf + off, size - off, &f, &why);
        if (r == WS_PARSE_ERROR) {
            if (!why || !why[0])
                __builtin_trap();
            break;
        }
        if (r == WS_PARSE_MORE)
            break;
        if (f.header_len < 6 || f.header_len > WS_HEADER_MAX)
            __builtin_trap();
        if ((f.opcode & 0x8) && (f.payload_len > WS_CONTROL_MAX || !f.fin))
            __builtin_trap();
        if (size - off - f.header_len < f.payload_len)
            break;
        uint8_t *p = buf + off + f.header_len;
        ws_unmask(p, (size_t)f.payload_len, f.mask, 0);
        (void)ws_utf8_valid(p, (size_t)f.payload_len);
        /* a server frame of the same payload parses back (with a mask bit added) */
        uint8_t h[WS_SERVER_HEADER_MAX + 4];
        size_t hl = ws_frame_header(h, f.opcode ? f.opcode : WS_OP_BINARY, (size_t)f.payload_len);
        h[1] |= 0x80;
        memset(h + hl, 0, 4);
        ws_frame back;
        const char *why2;
        if (!(f.opcode & 0x8) &&
            (ws_frame_parse(h, hl + 4, &back, &why2) != WS_PARSE_OK ||
             back.payload_len != f.payload_len))
            __builtin_trap();
        off += f.header_len + (size_t)f.payload_len;
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cut = size > 1 ? data[0] % size : 0;
    data++, size--;
    if (cut > size)
        cut = size;
    http(data, size, cut);
    frames(data, size);
    return 0;
}
