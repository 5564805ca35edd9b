/*
 * The network layer's loop and its WebSockets: one thread, one epoll set, no library
 * between the sockets and the frames (docs/DESIGN.md, section 14, says why and what it
 * measured).
 *
 * A loop pass: wait for events; read every socket that has bytes, up to
 * NET_READS_PER_PASS reads each (the rest next pass), handing whole messages to the
 * handlers where they lie in the read buffer; run the tick when it is due; call
 * on_pass_end; then write what every connection got during the pass with one call each.
 * Each socket is registered once, edge-triggered for reading and writing both, so no
 * message costs an epoll_ctl; a write that comes back short leaves the rest for the next
 * EPOLLOUT. Frames are encoded straight into a connection's send buffer, which grows by
 * doubling and is kept: sending a message allocates nothing once a connection has warmed up.
 *
 * HTTP (http.c) shares the socket code; an upgrade at /ws turns the connection into a
 * WebSocket. TLS (tls.c), when configured, wraps every socket of the port.
 */
#include "net.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/log.h"
#include "net_internal.h"
#include "tls.h"
#include "wsframe.h"

enum {
    PING_LEN = 16,
    STOP_FLUSH_MS = 2000,
    CLOSE_WAIT_MS = 3000,     /* a closing socket's last chance to read our close frame */
    MAX_EVENTS = 512,
    /* A send buffer bigger than this is freed once empty: a game's confirmations fit in
     * it, pass after pass, with no allocation, while a page's worth of text once (a scene)
     * does not pin kilobytes for every idle participant. */
    OUT_KEEP = 4096,
    /* The partial-input and fragmented-message buffers are rare (a frame cut by the
     * network, a browser fragmenting): freed as soon as they are empty. */
    IN_KEEP = 0,
    RX_KEEP = 0,
};

/* The time of the current loop pass: read from the clock by the first caller in a pass
 * (after the wait for events, so it is the time the events are handled), shared by the
 * rest, forgotten when the pass ends. */
static loop_time pass_time(net *n)
{
    if (!n->now_valid) {
        n->now = clock_now();
        n->now_valid = true;
    }
    return n->now;
}

loop_time net_pass_time(net *n) { return pass_time(n); }

/* ---- the send buffer ------------------------------------------------------------------ */

static void mark_dirty(net_conn *c)
{
    if (c->dirty || c->dead)
        return;
    c->dirty = true;
    c->dirty_next = c->n->dirty;
    c->n->dirty = c;
}

/* The one growth rule of every buffer in net/ (net_internal.h). */
bool net_buf_grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t want = *cap ? *cap : 1024;
    while (want < need)
        want *= 2;
    uint8_t *grown = realloc(*buf, want);
    if (!grown)
        return false;
    *buf = grown;
    *cap = want;
    return true;
}

/* Room for len more bytes at the end of the send buffer: where they go, or NULL. */
static uint8_t *out_reserve(net_conn *c, size_t len)
{
    if (c->out_off && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + len > c->out_cap && c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (!net_buf_grow(&c->out, &c->out_cap, c->out_len + len))
        return NULL;
    return c->out + c->out_len;
}

int net_conn_put(net_conn *c, const void *data, size_t len)
{
    uint8_t *p = out_reserve(c, len);
    if (!p)
        return -1;
    memcpy(p, data, len);
    c->out_len += len;
    mark_dirty(c);
    return 0;
}

static size_t out_pending(const net_conn *c) { return c->out_len - c->out_off; }

/* One frame, header and payload, into the send buffer. */
static int put_frame(net_conn *c, uint8_t opcode, const void *data, size_t len)
{
    uint8_t *p = out_reserve(c, WS_SERVER_HEADER_MAX + len);
    if (!p)
        return -1;
    size_t h = ws_frame_header(p, opcode, len);
    if (len)
        memcpy(p + h, data, len);
    c->out_len += h + len;
    mark_dirty(c);
    return 0;
}

/* ---- closing ------------------------------------------------------------------------- */

/* The one doubly-linked list of connections (net_internal.h): a loop's open sockets, a
 * worker's closed ones waiting for home. */
void net_conn_list_push(net_conn **head, net_conn *c)
{
    c->prev = NULL;
    c->next = *head;
    if (*head)
        (*head)->prev = c;
    *head = c;
}

void net_conn_list_remove(net_conn **head, net_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        *head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

void net_conn_kill(net_conn *c)
{
    if (c->dead)
        return;
    net *n = c->n;
    c->dead = true;
    if (c->opened && n->h.on_close)
        n->h.on_close(c, pass_time(n), n->ud);
    if (c->opened && !n->home)
        n->stats.connections_open--; /* a lent one's count is home's, as are its caps */
    if (c->kept && n->lent_open)
        n->lent_open[0]--;
    c->kept = false;
    epoll_ctl(n->ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ssl) {
        SSL_free(c->ssl); /* no close_notify: a dying peer need not wait for one */
        c->ssl = NULL;
    }
    close(c->fd);
    c->fd = -1;
    if (c->file.fd >= 0)
        close(c->file.fd);
    c->file.fd = -1;
    net_conn_list_remove(&n->conns, c);
    if (n->home) {
        net_loops_closed(n, c); /* home frees it once it has heard */
        return;
    }
    net_listen_closed(n, c);
    c->next = n->graveyard; /* events of this pass may still name it */
    n->graveyard = c;
}

void net_conn_free(net_conn *c)
{
    if (c->req)
        net_http_free(c);
    free(c->in);
    free(c->out);
    free(c->rx);
    free(c);
}

/* The close frame: the code, then a reason cut to fit 123 bytes without splitting a
 * character. Everything queued before it still goes out first. */
static void queue_close(net_conn *c, uint16_t code, const char *reason)
{
    uint8_t payload[WS_CONTROL_MAX];
    size_t len = strlen(reason);
    if (len > sizeof payload - 2)
        len = sizeof payload - 2;
    while (len > 0 && !ws_utf8_valid((const uint8_t *)reason, len))
        len--;
    payload[0] = (uint8_t)(code >> 8);
    payload[1] = (uint8_t)code;
    memcpy(payload + 2, reason, len);
    c->closing = true;
    c->close_code = code;
    c->deadline_ms = pass_time(c->n).mono_ms + CLOSE_WAIT_MS;
    if (put_frame(c, WS_OP_CLOSE, payload, 2 + len) != 0)
        c->close_sent = true; /* nothing to wait for: the deadline ends it */
}

void net_close(net_conn *c, const char *reason)
{
    if (c && c->lent) {
        net_loops_close(c, reason);
        return;
    }
    net_conn_close_now(c, reason);
}

void net_conn_close_now(net_conn *c, const char *reason)
{
    if (!c || c->closing || c->dead)
        return;
    queue_close(c, c->violated ? (c->close_code ? c->close_code : WS_CLOSE_POLICY)
                               : WS_CLOSE_NORMAL,
                reason ? reason : "");
}

/* Cut a connection off without sending what is queued (it is not being read): at the end
 * of the pass, never from inside the handler that was sending. */
static void conn_abort(net_conn *c)
{
    c->closing = true;
    c->violated = true;
    c->aborted = true;
    c->out_off = c->out_len = 0;
    mark_dirty(c);
}

static uint16_t close_code_for(const char *kind)
{
    if (strcmp(kind, "message_too_big") == 0)
        return WS_CLOSE_TOO_BIG;
    if (strcmp(kind, "bad_utf8") == 0)
        return WS_CLOSE_BAD_DATA;
    if (strcmp(kind, "protocol") == 0)
        return WS_CLOSE_PROTOCOL;
    return WS_CLOSE_POLICY;
}

static void violation(net_conn *c, const char *kind, const char *detail)
{
    if (c->violated)
        return;
    c->violated = true;
    c->close_code = close_code_for(kind);
    c->n->stats.violations++;
    if (c->n->h.on_violation)
        c->n->h.on_violation(c, kind, detail, pass_time(c->n), c->n->ud);
    /* On a worker the handler runs on home, later: home closes it once the handler has
     * said what it wanted to (an error message goes out before the close). */
    if (!c->closing && !c->dead && !c->n->home)
        net_conn_close_now(c, detail);
}

/* ---- sending --------------------------------------------------------------------------- */

int net_conn_enqueue(net_conn *c, uint8_t opcode, const void *data, size_t len)
{
    if (!c || c->closing || c->dead || c->kind != CONN_WS)
        return -1;
    if (out_pending(c) + len > c->n->cfg.max_send_queue) {
        c->n->stats.violations++;
        c->violated = true;
        if (c->n->h.on_violation)
            c->n->h.on_violation(c, "send_queue_full", "not reading fast enough",
                                 pass_time(c->n), c->n->ud);
        conn_abort(c);
        return -1;
    }
    if (put_frame(c, opcode, data, len) != 0)
        return -1;
    c->n->stats.messages_out++;
    c->n->stats.bytes_out += len;
    return 0;
}

static int send_message(net_conn *c, uint8_t opcode, const void *data, size_t len)
{
    if (c && c->lent)
        return net_loops_send(c, opcode, data, len);
    return net_conn_enqueue(c, opcode, data, len);
}

int net_send_text(net_conn *c, const char *msg, size_t len) { return send_message(c, WS_OP_TEXT, msg, len); }
int net_send_binary(net_conn *c, const void *msg, size_t len) { return send_message(c, WS_OP_BINARY, msg, len); }

void net_conn_admit(net_conn *c)
{
    if (c && c->lent)
        net_loops_admit(c);
    else if (c)
        c->admitted = true;
}

void net_conn_set_user(net_conn *c, void *user) { c->user = user; }
void *net_conn_user(const net_conn *c) { return c->user; }
const char *net_conn_peer(const net_conn *c) { return c->peer_name; }
uint32_t net_conn_id(const net_conn *c) { return c->id; }
/* A lent connection's queue is its loop's to know: home sees none. */
size_t net_conn_queued(const net_conn *c) { return c->lent ? 0 : out_pending(c); }
net_stats net_get_stats(const net *n) { return net_loops_stats(n); }
int net_port(const net *n) { return n->port; }

/* ---- receiving ------------------------------------------------------------------------- */

static bool take_token(net_conn *c)
{
    int64_t now = pass_time(c->n).mono_ms;
    double rate = c->n->cfg.max_msgs_per_s;
    c->tokens += (double)(now - c->tokens_at_ms) * rate / 1000.0;
    if (c->tokens > rate)
        c->tokens = rate;
    c->tokens_at_ms = now;
    if (c->tokens < 1.0)
        return false;
    c->tokens -= 1.0;
    return true;
}

/* A whole message. msg has one writable byte past len: handlers get it NUL-terminated. */
static void on_message(net_conn *c, uint8_t opcode, uint8_t *msg, size_t len)
{
    net *n = c->n;
    if (c->closing)
        return; /* sent after our close frame: nobody is listening */
    if (!take_token(c)) {
        violation(c, "flood", "too many messages");
        return;
    }
    if (opcode == WS_OP_TEXT && !ws_utf8_valid(msg, len)) {
        violation(c, "bad_utf8", "text that is not UTF-8");
        return;
    }
    n->stats.messages_in++;
    uint8_t saved = msg[len];
    msg[len] = '\0';
    if (opcode == WS_OP_BINARY) {
        if (n->h.on_binary)
            n->h.on_binary(c, msg, len, pass_time(n), n->ud);
    } else if (n->h.on_text) {
        n->h.on_text(c, (const char *)msg, len, pass_time(n), n->ud);
    }
    msg[len] = saved;
}

static void on_pong(net_conn *c, const uint8_t *p, size_t len)
{
    if (len != PING_LEN)
        return;
    char hex[PING_LEN + 1];
    memcpy(hex, p, PING_LEN);
    hex[PING_LEN] = '\0';
    int64_t sent = (int64_t)strtoull(hex, NULL, 16);
    if (sent != c->ping_sent_us)
        return;
    net *n = c->n;
    c->last_pong_ms = pass_time(n).mono_ms;
    /* Microseconds straight from the clock: a round trip is a measurement, finer than the
     * pass's millisecond stamp. */
    int64_t rtt = (clock_mono_us() - sent) / 1000;
    if (n->h.on_rtt)
        n->h.on_rtt(c, (uint32_t)(rtt < 0 ? 0 : rtt), pass_time(n), n->ud);
}

static void on_close_frame(net_conn *c, const uint8_t *p, size_t len)
{
    c->close_received = true;
    if (c->closing) { /* the answer to ours */
        if (c->close_sent)
            net_conn_kill(c);
        return; /* else the flush ends it once ours has gone */
    }
    uint16_t code = WS_CLOSE_NORMAL;
    if (len == 1 || (len > 2 && !ws_utf8_valid(p + 2, len - 2))) {
        code = WS_CLOSE_PROTOCOL;
    } else if (len >= 2) {
        uint16_t theirs = (uint16_t)(p[0] << 8 | p[1]);
        if (theirs >= 1000 && theirs < 5000 && theirs != 1004 && theirs != 1005 && theirs != 1006)
            code = theirs;
        else
            code = WS_CLOSE_PROTOCOL;
    }
    queue_close(c, code, "");
}

/* One whole frame, its payload unmasked where it lies (with a writable byte after it). */
static void on_frame(net_conn *c, const ws_frame *f, uint8_t *p, size_t len)
{
    switch (f->opcode) {
    case WS_OP_PING:
        if (!c->closing)
            put_frame(c, WS_OP_PONG, p, len);
        return;
    case WS_OP_PONG:
        on_pong(c, p, len);
        return;
    case WS_OP_CLOSE:
        on_close_frame(c, p, len);
        return;
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (c->rx_opcode) {
            violation(c, "protocol", "a new message inside a fragmented one");
            return;
        }
        if (f->fin) {
            on_message(c, f->opcode, p, len);
            return;
        }
        c->rx_opcode = f->opcode;
        c->rx_len = 0;
        break;
    default: /* continuation */
        if (!c->rx_opcode) {
            violation(c, "protocol", "a continuation with no message begun");
            return;
        }
        break;
    }
    if (!net_buf_grow(&c->rx, &c->rx_cap, c->rx_len + len + 1)) {
        violation(c, "message_too_big", "out of memory for message");
        return;
    }
    memcpy(c->rx + c->rx_len, p, len);
    c->rx_len += len;
    if (!f->fin)
        return;
    uint8_t op = c->rx_opcode;
    c->rx_opcode = 0;
    on_message(c, op, c->rx, c->rx_len);
    c->rx_len = 0;
    /* A long message once should not pin a large buffer for the connection's life. */
    if (c->rx_cap > RX_KEEP) {
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
}

/* Frames from buf[0..len) (one writable byte past len): how many bytes were used; the
 * rest is the start of a frame still arriving. */
static size_t ws_consume(net_conn *c, uint8_t *buf, size_t len)
{
    size_t off = 0, max = c->n->cfg.max_message;
    while (off < len) {
        if (c->violated || c->close_received || c->dead)
            return len; /* read and dropped until the close completes */
        ws_frame f;
        const char *why = "";
        ws_parse_result r = ws_frame_parse(buf + off, len - off, &f, &why);
        if (r == WS_PARSE_MORE)
            break;
        if (r == WS_PARSE_ERROR) {
            violation(c, "protocol", why);
            return len;
        }
        bool data = !(f.opcode & 0x8);
        if (data && c->rx_len + f.payload_len > max) {
            char detail[96];
            snprintf(detail, sizeof detail, "message over %zu bytes", max);
            violation(c, "message_too_big", detail);
            return len;
        }
        if (len - off - f.header_len < f.payload_len)
            break; /* the payload is still arriving */
        uint8_t *p = buf + off + f.header_len;
        size_t plen = (size_t)f.payload_len;
        ws_unmask(p, plen, f.mask, 0);
        on_frame(c, &f, p, plen);
        off += f.header_len + plen;
    }
    return off;
}

/* ---- reading ------------------------------------------------------------------------- */

static size_t in_limit(const net_conn *c)
{
    return c->kind == CONN_HTTP ? 2 * NET_HEADERS_MAX
                                : c->n->cfg.max_message + WS_HEADER_MAX + NET_SCRATCH;
}

static bool in_append(net_conn *c, const uint8_t *data, size_t len)
{
    if (c->in_len + len > in_limit(c))
        return false;
    if (!net_buf_grow(&c->in, &c->in_cap, c->in_len + len + 1))
        return false;
    memcpy(c->in + c->in_len, data, len);
    c->in_len += len;
    return true;
}

/* Bytes by what the connection is now; an HTTP request that upgrades hands the rest on. */
static size_t consume(net_conn *c, uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (off < len && !c->dead) {
        conn_kind k = c->kind;
        off += k == CONN_HTTP ? net_http_input(c, buf + off, len - off)
                              : ws_consume(c, buf + off, len - off);
        if (c->kind == k)
            break;
    }
    return off;
}

/* What is left of buf after used bytes waits in c->in for the next read. */
static void keep_rest(net_conn *c, uint8_t *buf, size_t len, size_t used)
{
    size_t rest = len - used;
    if (buf == c->in) {
        memmove(c->in, c->in + used, rest);
        c->in_len = rest;
    } else if (rest) {
        c->in_len = 0;
        if (!in_append(c, buf + used, rest)) {
            net_conn_kill(c);
            return;
        }
    }
    if (c->in_len == 0 && c->in_cap > IN_KEEP) {
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

static void deliver(net_conn *c, uint8_t *data, size_t len)
{
    uint8_t *buf = data;
    size_t blen = len;
    if (c->in_len) {
        if (!in_append(c, data, len)) {
            if (c->kind == CONN_WS)
                violation(c, "message_too_big", "message too big");
            else
                net_conn_kill(c);
            return;
        }
        buf = c->in;
        blen = c->in_len;
    }
    size_t used = consume(c, buf, blen);
    if (!c->dead)
        keep_rest(c, buf, blen, used);
}

void net_conn_resume_input(net_conn *c)
{
    if (c->dead || !c->in_len)
        return;
    size_t len = c->in_len;
    size_t used = consume(c, c->in, len);
    if (!c->dead)
        keep_rest(c, c->in, len, used);
}

/* Reads what the socket has, up to NET_READS_PER_PASS reads: then it waits on the ready
 * list for the next pass, so that one busy client cannot starve the rest. Once an event
 * said the peer hung up (or reset: c->hup), a short read is not the end of it, since no
 * second edge will come: it reads on until the socket says so. */
static void conn_read(net_conn *c)
{
    net *n = c->n;
    for (int i = 0; i < NET_READS_PER_PASS; i++) {
        if (c->dead)
            return;
        ssize_t r;
        if (c->ssl) {
            r = net_tls_read(c->ssl, n->scratch, NET_SCRATCH);
        } else {
            r = read(c->fd, n->scratch, NET_SCRATCH);
            if (r < 0)
                r = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? NET_IO_AGAIN
                                                                              : NET_IO_CLOSED;
        }
        if (r == NET_IO_AGAIN)
            return;
        if (r == 0 || r == NET_IO_CLOSED) {
            net_conn_kill(c); /* the peer hung up (or reset): nothing can reach it now */
            return;
        }
        n->stats.bytes_in += (uint64_t)r;
        deliver(c, n->scratch, (size_t)r);
        /* A short read emptied a plain socket (its next bytes raise a new edge); TLS
         * hands out one record at a time, so only EAGAIN says so there. */
        if (!c->ssl && r < NET_SCRATCH && !c->hup)
            return;
    }
    if (!c->ready && !c->dead) {
        c->ready = true;
        c->ready_next = n->ready;
        n->ready = c;
    }
}

/* ---- writing ------------------------------------------------------------------------- */

/* After everything queued has gone: a WebSocket that is closing shuts its side (the close
 * frame went last) and ends once the peer answers or the deadline passes. */
static void drained(net_conn *c)
{
    if (c->kind == CONN_HTTP) {
        net_http_drained(c);
        return;
    }
    if (!c->closing)
        return;
    c->close_sent = true;
    if (c->close_received) {
        net_conn_kill(c); /* both close frames have gone: the handshake is over */
        return;
    }
    if (!c->shut) {
        /* FIN after the close frame: the peer reads everything, then sees the end. Reading
         * goes on (and is dropped) so that our close does not become a reset that throws
         * away what the peer has not read yet. */
        shutdown(c->fd, SHUT_WR);
        c->shut = true;
    }
}

static void flush(net_conn *c)
{
    net *n = c->n;
    c->dirty = false;
    if (c->dead || !c->tls_done)
        return;
    if (c->aborted) {
        net_conn_kill(c); /* it was not reading */
        return;
    }
    for (;;) {
        size_t pending = out_pending(c);
        if (pending == 0) {
            drained(c); /* may queue more: the next piece of a file, a pipelined answer */
            if (c->dead || out_pending(c) == 0)
                break;
            continue;
        }
        ssize_t w;
        if (c->ssl) {
            w = net_tls_write(c->ssl, c->out + c->out_off, pending);
        } else {
            w = send(c->fd, c->out + c->out_off, pending, MSG_NOSIGNAL);
            if (w < 0)
                w = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? NET_IO_AGAIN
                                                                              : NET_IO_CLOSED;
        }
        if (w == NET_IO_AGAIN) {
            c->blocked = true;
            return;
        }
        if (w <= 0) {
            net_conn_kill(c);
            return;
        }
        c->out_off += (size_t)w;
        if (c->responding) /* progress: the stall clock starts again */
            c->deadline_ms = pass_time(n).mono_ms + NET_RESPONSE_STALL_MS;
        if (c->out_off == c->out_len)
            c->out_off = c->out_len = 0;
    }
    c->blocked = false;
    if (!c->dead && out_pending(c) == 0 && c->out_cap > OUT_KEEP) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
}

/* ---- the WebSocket's lifetime ------------------------------------------------------------ */

void net_conn_to_ws(net_conn *c)
{
    net *n = c->n;
    if (c->req)
        net_http_free(c);
    c->kind = CONN_WS;
    c->id = ++n->next_id;
    int64_t now = pass_time(n).mono_ms;
    c->tokens = n->cfg.max_msgs_per_s;
    c->tokens_at_ms = now;
    c->last_pong_ms = now;
    c->next_ping_ms = now + 200; /* an early sample for the matchmaker */
    c->opened_ms = now;
    c->deadline_ms = 0;
    net_listen_peer(c, c->peer_name, sizeof c->peer_name);
    n->stats.connections_open++;
    n->stats.connections_total++;
    c->opened = true;
    net_loops_upgraded(n, c); /* counted on home first: on_open may lend it */
    if (n->h.on_open)
        n->h.on_open(c, pass_time(n), n->ud);
}

net_conn *net_conn_accepted(net *n, int fd, net_peer *p)
{
    net_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = n;
    c->fd = fd;
    c->peer = p;
    c->file.fd = -1;
    c->kind = CONN_HTTP;
    c->tls_done = n->tls == NULL;
    c->deadline_ms = pass_time(n).mono_ms + (int64_t)n->cfg.http_header_timeout_s * 1000;
    if (n->tls) {
        c->ssl = SSL_new(n->tls);
        if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
            SSL_free(c->ssl);
            free(c);
            return NULL;
        }
        SSL_set_accept_state(c->ssl);
    }
    if (net_conn_attach(n, c) != 0) {
        SSL_free(c->ssl);
        free(c);
        return NULL;
    }
    return c;
}

int net_conn_attach(net *n, net_conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(n->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        return -1;
    net_conn_list_push(&n->conns, c);
    if (out_pending(c)) /* a lent connection's last writes on home came back short */
        mark_dirty(c);
    return 0;
}

void net_conn_detach(net *n, net_conn *c)
{
    epoll_ctl(n->ep, EPOLL_CTL_DEL, c->fd, NULL);
    net_conn_list_remove(&n->conns, c);
    if (c->ready) { /* its loop reads it next pass instead (net_loops_take) */
        for (net_conn **p = &n->ready; *p; p = &(*p)->ready_next)
            if (*p == c) {
                *p = c->ready_next;
                break;
            }
        c->ready = false;
    }
}

static void on_event(net_conn *c, uint32_t events)
{
    if (!c->tls_done) {
        int r = net_tls_handshake(c->ssl);
        if (r < 0) {
            net_conn_kill(c);
            return;
        }
        if (r == 0)
            return;
        c->tls_done = true;
        events |= EPOLLIN; /* the handshake's last record may have come with data */
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c->hup = true;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR) || c->ssl)
        conn_read(c);
    if (!c->dead && (events & EPOLLOUT) && (c->blocked || c->ssl) && out_pending(c))
        mark_dirty(c);
}

/* ---- the tick ---------------------------------------------------------------------------- */

/* A WebSocket that was never admitted (no good hello): it holds a socket and a participant
 * slot for nothing. Closed with a policy-violation status and a reason the client can
 * read. */
static void hello_timeout(net_conn *c)
{
    net *n = c->n;
    char reason[64];
    snprintf(reason, sizeof reason, "no hello within %d ms", n->cfg.hello_timeout_ms);
    n->stats.hello_timeouts++;
    ratelog_line(&n->hello_log, pass_time(n).mono_ms, "connection %u (%s) closed: %s", c->id,
                 c->peer_name, reason);
    c->violated = true; /* 1008, and no more input is delivered */
    c->close_code = WS_CLOSE_POLICY;
    net_conn_close_now(c, reason);
}

/* SIGHUP (net_reload_tls): new connections get the new certificate; open ones keep theirs. */
static void reload_tls(net *n)
{
    n->reload_tls = 0;
    if (!n->cfg.tls_cert) {
        log_warn("SIGHUP: no --tls-cert to reload");
        return;
    }
    char why[256];
    SSL_CTX *ctx = net_tls_context(n->cfg.tls_cert, n->cfg.tls_key, why, sizeof why);
    if (!ctx) {
        log_error("TLS certificate reload from %s failed (%s): still serving the old one",
                  n->cfg.tls_cert, why);
        return;
    }
    SSL_CTX_free(n->tls);
    n->tls = ctx;
    log_info("TLS certificate reloaded from %s", n->cfg.tls_cert);
}

static void tick(net *n)
{
    if (n->reload_tls)
        reload_tls(n);
    loop_time t = pass_time(n);
    int64_t now = t.mono_ms;
    for (net_conn *c = n->conns, *next; c; c = next) {
        next = c->next;
        if (c->kind == CONN_HTTP || c->closing) {
            /* headers not whole in time, a stalled response, a close not answered */
            if (c->deadline_ms && now >= c->deadline_ms)
                net_conn_kill(c);
            continue;
        }
        if (!c->admitted && n->cfg.hello_timeout_ms > 0 &&
            now - c->opened_ms >= n->cfg.hello_timeout_ms) {
            hello_timeout(c);
            continue;
        }
        if (n->cfg.ping_interval_ms <= 0)
            continue;
        if (n->cfg.idle_timeout_ms > 0 && now - c->last_pong_ms > n->cfg.idle_timeout_ms) {
            violation(c, "ping_timeout", "no answer to pings");
            continue;
        }
        if (now >= c->next_ping_ms) {
            /* The payload is the send time in hex: a pong must carry valid UTF-8 for some
             * clients' checks, and this is. */
            char buf[PING_LEN + 1];
            int64_t sent = clock_mono_us();
            snprintf(buf, sizeof buf, "%016llx", (unsigned long long)sent);
            c->ping_sent_us = sent;
            c->next_ping_ms = now + n->cfg.ping_interval_ms;
            put_frame(c, WS_OP_PING, buf, PING_LEN);
        }
    }
    ratelog_flush(&n->hello_log, now);
    ratelog_flush(&n->refuse_log, now);
    ratelog_flush(&n->accept_log, now);
    net_listen_tick(n, now);
    if (n->h.on_tick)
        n->h.on_tick(t, n->ud);
}

/* ---- the loop ---------------------------------------------------------------------------- */

/* What net_create made, given back (its failure path and net_destroy's last step). */
static void net_free(net *n)
{
    net_loops_destroy(n);
    net_listen_close(n);
    SSL_CTX_free(n->tls);
    if (n->ep >= 0)
        close(n->ep);
    free(n->scratch);
    free(n);
}

net *net_create(const net_config *cfg, const net_handlers *h, void *ud)
{
    net *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->cfg = *cfg;
    n->h = *h;
    n->ud = ud;
    n->ep = -1;
    n->listen_fd = -1;
    if (n->cfg.tick_ms <= 0)
        n->cfg.tick_ms = 25;
    if (n->cfg.http_header_timeout_s <= 0)
        n->cfg.http_header_timeout_s = 5;
    n->hello_log.what = "connections closed for sending no hello";
    n->refuse_log.what = "connections refused";
    n->accept_log.what = "accept failures";
    signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write must not kill the server */

    n->scratch = malloc(NET_SCRATCH + 1);
    n->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!n->scratch || n->ep < 0)
        goto fail;
    if (cfg->tls_cert && cfg->tls_key) {
        char why[256];
        n->tls = net_tls_context(cfg->tls_cert, cfg->tls_key, why, sizeof why);
        if (!n->tls) {
            log_error("TLS: %s", why);
            goto fail;
        }
    }
    if (net_listen_open(n) != 0 || net_listen_start(n) != 0 || net_loops_create(n) != 0)
        goto fail;
    n->next_tick_ms = clock_mono_ms() + n->cfg.tick_ms;
    return n;
fail:
    net_free(n);
    return NULL;
}

static void bury(net *n)
{
    /* A socket can die after it went on the ready list this pass: off it first. */
    for (net_conn **p = &n->ready; *p;) {
        if ((*p)->dead)
            *p = (*p)->ready_next;
        else
            p = &(*p)->ready_next;
    }
    while (n->graveyard) {
        net_conn *c = n->graveyard;
        n->graveyard = c->next;
        net_conn_free(c);
    }
}

/* One wait for events and the work they cause, then on_pass_end, then the writes. */
static int run_pass(net *n)
{
    int timeout = 0;
    if (!n->ready) {
        int64_t left = n->next_tick_ms - clock_mono_ms();
        timeout = left < 0 ? 0 : (int)left;
    }
    struct epoll_event evs[MAX_EVENTS];
    int k = epoll_wait(n->ep, evs, MAX_EVENTS, timeout);
    if (k < 0 && errno != EINTR) {
        log_error("event loop failed (epoll_wait: %s)", strerror(errno));
        return -1;
    }
    /* Mail from the other loops first: a worker adopts its connections before their events. */
    for (int i = 0; i < k; i++)
        if (evs[i].data.ptr == &n->inbox) {
            net_loops_take(n);
            evs[i].data.ptr = NULL;
            evs[i].events = 0;
        }
    /* Sockets left with input last pass go first, before new events add to the list. */
    net_conn *again = n->ready;
    n->ready = NULL;
    for (net_conn *c = again, *next; c; c = next) {
        next = c->ready_next;
        c->ready = false;
        if (!c->dead)
            conn_read(c);
    }
    for (int i = 0; i < k; i++) {
        if (evs[i].data.ptr == NULL) {
            if (evs[i].events)
                net_listen_readable(n);
            continue;
        }
        net_conn *c = evs[i].data.ptr;
        if (!c->dead)
            on_event(c, evs[i].events);
    }
    if (clock_mono_ms() >= n->next_tick_ms) {
        tick(n);
        n->next_tick_ms += n->cfg.tick_ms;
        int64_t now = clock_mono_ms();
        if (n->next_tick_ms <= now) /* a long pass: no burst of ticks to catch up */
            n->next_tick_ms = now + n->cfg.tick_ms;
    }
    if (n->h.on_pass_end)
        n->h.on_pass_end(pass_time(n), n->ud);
    while (n->dirty) {
        net_conn *c = n->dirty;
        n->dirty = c->dirty_next;
        flush(c);
    }
    net_loops_pass_end(n);
    bury(n);
    n->now_valid = false;
    return 0;
}

static bool output_queued(const net *n)
{
    for (const net_conn *c = n->conns; c; c = c->next)
        if (out_pending(c) && !c->violated)
            return true;
    return false;
}

int net_run(net *n)
{
    int rc = 0;
    if (!n->home && net_loops_start(n) != 0)
        return -1;
    while (!atomic_load_explicit(&n->stop, memory_order_relaxed) && rc == 0)
        rc = run_pass(n);
    /* Stopping: what is queued was promised to someone (an end scene with its code, say).
     * Let it go out, for at most STOP_FLUSH_MS, before net_destroy closes the sockets. A
     * worker does the same for its own when home tells it to stop, after home's. */
    int64_t until = clock_mono_ms() + STOP_FLUSH_MS;
    while (rc == 0 && output_queued(n) && clock_mono_ms() < until)
        rc = run_pass(n);
    if (!n->home)
        net_loops_join(n);
    return rc;
}
/* A lock-free atomic: safe from a signal handler and from another thread alike. */
void net_stop(net *n) { atomic_store_explicit(&n->stop, 1, memory_order_relaxed); }
void net_reload_tls(net *n) { n->reload_tls = 1; }

void net_set_http(net *n, net_http_fn fn, void *ud)
{
    n->http = fn;
    n->http_ud = ud;
}

void net_destroy(net *n)
{
    if (!n)
        return;
    net_loops_destroy(n); /* the lent ones first: their on_close runs here too */
    while (n->conns)
        net_conn_kill(n->conns); /* on_close runs for every WebSocket */
    bury(n);
    net_free(n);
}
