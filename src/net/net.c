/*
 * libwebsockets behind net.h. One service thread; every callback here runs on it.
 *
 * Each WebSocket gets a net_conn that owns a byte-bounded send queue, a reassembly buffer
 * for fragmented messages and a token bucket against floods. HTTP GETs under /healthz
 * and /api go to the function given to net_set_http; everything else is a static file.
 *
 * lws runs on libev's epoll backend (its evlib plugin, with a loop we own): lws's default
 * loop calls poll() over every socket on every wake, which at 1000 connections cost more
 * CPU than the game itself (bench/README.md). If the plugin cannot be loaded the server
 * falls back to the poll() loop and says so.
 *
 * net binds the port itself and hands lws each accepted socket, so that the connection caps
 * and the open-file limit are enforced before lws sees a connection (listen.c says why).
 */
#include "net.h"

#include <ev.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/clock.h"
#include "../util/log.h"
#include "net_internal.h"
#include "request.h"

enum { OUT_TEXT, OUT_BINARY };
enum { PING_LEN = 16 };
enum { DRAIN_QUIET_MS = 200 };
enum { STOP_FLUSH_MS = 2000 };

struct out_msg {
    struct out_msg *next;
    size_t len;
    int kind;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then the payload */
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

static void conn_free_queue(net_conn *c)
{
    out_msg *m = c->head;
    while (m) {
        out_msg *next = m->next;
        free(m);
        m = next;
    }
    c->head = c->tail = NULL;
    c->queued = 0;
}

/* Cut a connection off now, without sending what is queued. */
static void conn_abort(net_conn *c, const char *reason)
{
    if (!c->closing) {
        c->closing = true;
        snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
    }
    c->violated = true;
    conn_free_queue(c);
    lws_callback_on_writable(c->wsi);
}

static void violation(net_conn *c, const char *kind, const char *detail)
{
    if (c->violated)
        return;
    c->violated = true;
    c->n->stats.violations++;
    if (c->n->h.on_violation)
        c->n->h.on_violation(c, kind, detail, pass_time(c->n), c->n->ud);
    if (!c->closing)
        net_close(c, detail);
    /* A client that stops reading must not keep the socket forever. */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 3);
}

static int enqueue(net_conn *c, int kind, const void *data, size_t len)
{
    if (!c || c->closing)
        return -1;
    if (c->queued + len > c->n->cfg.max_send_queue) {
        c->n->stats.violations++;
        if (c->n->h.on_violation)
            c->n->h.on_violation(c, "send_queue_full", "not reading fast enough",
                                   pass_time(c->n), c->n->ud);
        conn_abort(c, "not reading fast enough");
        return -1;
    }
    out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return -1;
    m->next = NULL;
    m->len = len;
    m->kind = kind;
    memcpy(m->buf + LWS_PRE, data, len);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->queued += len;
    lws_callback_on_writable(c->wsi);
    return 0;
}

int net_send_text(net_conn *c, const char *msg, size_t len) { return enqueue(c, OUT_TEXT, msg, len); }
int net_send_binary(net_conn *c, const void *msg, size_t len) { return enqueue(c, OUT_BINARY, msg, len); }

void net_close(net_conn *c, const char *reason)
{
    if (!c || c->closing)
        return;
    c->closing = true;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", reason ? reason : "");
    lws_callback_on_writable(c->wsi);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 3);
}

void net_conn_admit(net_conn *c)
{
    if (c)
        c->admitted = true;
}

void net_conn_set_user(net_conn *c, void *user) { c->user = user; }
void *net_conn_user(const net_conn *c) { return c->user; }
const char *net_conn_peer(const net_conn *c) { return c->peer; }
uint32_t net_conn_id(const net_conn *c) { return c->id; }
size_t net_conn_queued(const net_conn *c) { return c->queued; }
net_stats net_get_stats(const net *n) { return n->stats; }
int net_port(const net *n) { return n->port; }

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

static void on_receive(net_conn *c, const void *in, size_t len)
{
    struct lws *wsi = c->wsi;
    bool first = lws_is_first_fragment(wsi);
    bool final = lws_is_final_fragment(wsi);
    net *n = c->n;

    c->last_rx_ms = pass_time(n).mono_ms;
    if (c->violated)
        return; /* read and dropped: see DRAIN_QUIET_MS */
    n->stats.bytes_in += len;
    if (first) {
        c->rx_len = 0;
        c->rx_discard = false;
    }
    if (c->rx_discard)
        return;
    if (c->rx_len + len > n->cfg.max_message) {
        c->rx_discard = true;
        char detail[96];
        snprintf(detail, sizeof detail, "message over %zu bytes", n->cfg.max_message);
        violation(c, "message_too_big", detail);
        return;
    }
    if (c->rx_len + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 1024;
        while (cap < c->rx_len + len + 1)
            cap *= 2;
        unsigned char *grown = realloc(c->rx, cap);
        if (!grown) {
            violation(c, "message_too_big", "out of memory for message");
            return;
        }
        c->rx = grown;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!final)
        return;

    if (!take_token(c)) {
        violation(c, "flood", "too many messages");
        return;
    }
    n->stats.messages_in++;
    c->rx[c->rx_len] = '\0'; /* text handlers get a terminated string */
    if (lws_frame_is_binary(wsi)) {
        if (n->h.on_binary)
            n->h.on_binary(c, c->rx, c->rx_len, pass_time(n), n->ud);
    } else if (n->h.on_text) {
        n->h.on_text(c, (const char *)c->rx, c->rx_len, pass_time(n), n->ud);
    }
    /* A long message once should not pin a large buffer for the connection's life. */
    if (c->rx_cap > 16384) {
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
    c->rx_len = 0;
}

static int on_writable(net_conn *c)
{
    struct lws *wsi = c->wsi;
    if (c->ping_due && !c->closing) {
        /* The payload is the send time in hex: lws validates pong payloads as UTF-8
         * when UTF-8 validation is on, so raw binary would get the connection closed. */
        unsigned char buf[LWS_PRE + PING_LEN + 1];
        int64_t now = clock_mono_us();
        snprintf((char *)buf + LWS_PRE, PING_LEN + 1, "%016llx", (unsigned long long)now);
        c->ping_due = false;
        c->ping_sent_us = now;
        if (lws_write(wsi, buf + LWS_PRE, PING_LEN, LWS_WRITE_PING) < PING_LEN)
            return -1;
        if (c->head)
            lws_callback_on_writable(wsi);
        return 0;
    }
    out_msg *m = c->head;
    if (m) {
        int kind = m->kind == OUT_TEXT ? LWS_WRITE_TEXT : LWS_WRITE_BINARY;
        if (lws_write(wsi, m->buf + LWS_PRE, m->len, (enum lws_write_protocol)kind) < (int)m->len)
            return -1;
        c->n->stats.messages_out++;
        c->n->stats.bytes_out += m->len;
        c->head = m->next;
        if (!c->head)
            c->tail = NULL;
        c->queued -= m->len;
        free(m);
        if (c->head || c->closing)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (c->closing) {
        /* Closing a socket with unread bytes makes the kernel reset the connection, and the
         * client then loses the error we just sent it. A violator (a flood, say) still has
         * bytes in flight: keep reading and dropping them until it goes quiet; lws's
         * timeout set in violation() bounds the wait. */
        if (c->violated && pass_time(c->n).mono_ms - c->last_rx_ms < DRAIN_QUIET_MS)
            return 0; /* the tick asks again */
        lws_close_reason(wsi, c->violated ? LWS_CLOSE_STATUS_POLICY_VIOLATION
                                          : LWS_CLOSE_STATUS_NORMAL,
                         (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    return 0;
}

static net_conn *conn_new(net *n, struct lws *wsi)
{
    net_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->wsi = wsi;
    c->n = n;
    c->id = ++n->next_id;
    c->tokens = n->cfg.max_msgs_per_s;
    c->tokens_at_ms = pass_time(n).mono_ms;
    c->last_pong_ms = c->tokens_at_ms;
    c->next_ping_ms = c->tokens_at_ms + 200; /* an early sample for the matchmaker */
    c->opened_ms = c->tokens_at_ms;
    net_listen_peer(wsi, c->peer, sizeof c->peer);
    c->next = n->conns;
    if (n->conns)
        n->conns->prev = c;
    n->conns = c;
    n->stats.connections_open++;
    n->stats.connections_total++;
    return c;
}

static void conn_destroy(net_conn *c)
{
    net *n = c->n;
    if (c->prev)
        c->prev->next = c->next;
    else
        n->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    n->stats.connections_open--;
    conn_free_queue(c);
    free(c->rx);
    free(c);
}

/*
 * Sent with every response, files and API alike. The page runs only its own scripts (no
 * inline script anywhere) and its own WebAssembly; it talks only to its own origin (the
 * WebSocket included: CSP's 'self' covers ws and wss of the same host); no site may frame
 * it; no address (a participant's id is in the query) leaks through the Referer.
 */
static const struct {
    const char *name, *value;
} SECURITY_HEADERS[] = {
    {"content-security-policy:",
     "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' "
     "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; "
     "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"x-content-type-options:", "nosniff"},
    {"referrer-policy:", "no-referrer"},
    {"x-frame-options:", "DENY"},
};

static int add_security_headers(struct lws *wsi, unsigned char **p, unsigned char *end)
{
    for (size_t i = 0; i < sizeof SECURITY_HEADERS / sizeof SECURITY_HEADERS[0]; i++)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)SECURITY_HEADERS[i].name,
                                        (const unsigned char *)SECURITY_HEADERS[i].value,
                                        (int)strlen(SECURITY_HEADERS[i].value), p, end))
            return -1;
    return 0;
}

static int http_begin(net *n, struct lws *wsi, session *s)
{
    char uri[NET_URI_MAX], query[NET_QUERY_MAX] = "";
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0)
        return lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL) ? -1 : -1;
    size_t qlen = 0;
    for (int i = 0; i < NET_QUERY_FRAGS; i++) {
        char frag[NET_QUERY_FRAG_MAX];
        int got = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (got <= 0 || !net_query_append(query, sizeof query, &qlen, frag))
            break;
    }
    /* The admin key travels in a header, never in the address (which proxies log). */
    char auth[160] = "", client[NET_ADDR_STRLEN];
    const char *bearer = "";
    if (lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 7 &&
        strncasecmp(auth, "Bearer ", 7) == 0)
        bearer = auth + 7;
    net_listen_client(n, wsi, client, sizeof client);
    net_http_request req = {uri, query, bearer, client};
    char *body = NULL;
    const char *ctype = "application/json";
    int status = n->http ? n->http(&req, &body, &ctype, pass_time(n), n->http_ud) : 404;
    if (!body) {
        body = strdup(status == 404 ? "{\"error\":\"not found\"}" : "{}");
        if (!body)
            return -1;
    }
    s->http_body = body;
    s->http_len = strlen(body);
    s->http_sent = 0;

    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, (unsigned)status, ctype, s->http_len, &p, end))
        return -1;
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &p, end))
        return -1;
    if (add_security_headers(wsi, &p, end))
        return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_write(struct lws *wsi, session *s)
{
    if (!s->http_body)
        return 0;
    unsigned char buf[LWS_PRE + 4096];
    size_t chunk = s->http_len - s->http_sent;
    if (chunk > 4096)
        chunk = 4096;
    memcpy(buf + LWS_PRE, s->http_body + s->http_sent, chunk);
    bool last = s->http_sent + chunk == s->http_len;
    if (lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
        (int)chunk)
        return -1;
    s->http_sent += chunk;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    free(s->http_body);
    s->http_body = NULL;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    net *n = ctx ? lws_context_user(ctx) : NULL;
    session *s = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[32];
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") != 0)
            return 1; /* WebSockets only at /ws */
        return net_listen_upgrade(n, wsi);
    }
    case LWS_CALLBACK_RAW_RX_FILE: /* the listening socket is readable */
        if (wsi == n->listen_wsi)
            net_listen_readable(n);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (wsi == n->listen_wsi)
            n->listen_wsi = NULL;
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (n)
            net_listen_wsi_destroyed(n, wsi);
        break;
    case LWS_CALLBACK_ESTABLISHED:
        s->conn = conn_new(n, wsi);
        if (!s->conn)
            return -1;
        if (n->h.on_open)
            n->h.on_open(s->conn, pass_time(n), n->ud);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (s->conn)
            on_receive(s->conn, in, len);
        return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
        if (s->conn && len == PING_LEN) {
            char hex[PING_LEN + 1];
            memcpy(hex, in, PING_LEN);
            hex[PING_LEN] = '\0';
            int64_t sent = (int64_t)strtoull(hex, NULL, 16);
            if (sent == s->conn->ping_sent_us) {
                s->conn->last_pong_ms = pass_time(n).mono_ms;
                /* Microseconds straight from the clock: a round trip is a measurement,
                 * finer than the pass's millisecond stamp. */
                int64_t rtt = (clock_mono_us() - sent) / 1000;
                if (n->h.on_rtt)
                    n->h.on_rtt(s->conn, (uint32_t)(rtt < 0 ? 0 : rtt), pass_time(n), n->ud);
            }
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return s->conn ? on_writable(s->conn) : 0;
    case LWS_CALLBACK_CLOSED:
        if (s->conn) {
            if (n->h.on_close)
                n->h.on_close(s->conn, pass_time(n), n->ud);
            conn_destroy(s->conn);
            s->conn = NULL;
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        return http_begin(n, wsi, s);
    case LWS_CALLBACK_ADD_HEADERS: { /* a file lws serves from a mount */
        struct lws_process_html_args *args = in;
        unsigned char *p = (unsigned char *)args->p;
        if (add_security_headers(wsi, &p, p + args->max_len))
            return 1;
        args->max_len -= (int)(p - (unsigned char *)args->p);
        args->p = (char *)p;
        return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (s && s->http_body)
            return http_write(wsi, s);
        break;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (s) {
            free(s->http_body);
            s->http_body = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* A WebSocket that was never admitted (no good hello): it holds a socket and a participant
 * slot for nothing. Closed with a policy-violation status and a reason the client can
 * read; not reported to the handlers, which never knew of it as anyone. */
static void hello_timeout(net_conn *c)
{
    net *n = c->n;
    char reason[64];
    snprintf(reason, sizeof reason, "no hello within %d ms", n->cfg.hello_timeout_ms);
    n->stats.hello_timeouts++;
    ratelog_line(&n->hello_log, pass_time(n).mono_ms, "connection %u (%s) closed: %s", c->id,
                 c->peer, reason);
    net_close(c, reason);
    c->violated = true; /* 1008, and no more input is delivered */
}

/* SIGHUP (net_reload_tls): every vhost using these paths reads the files again; connections
 * already open keep the certificate they were given. */
static void reload_tls(net *n)
{
    n->reload_tls = 0;
    if (!n->cfg.tls_cert)
        log_warn("SIGHUP: no --tls-cert to reload");
    else if (lws_tls_cert_updated(n->ctx, n->cfg.tls_cert, n->cfg.tls_key, NULL, 0, NULL, 0) == 0)
        log_info("TLS certificate reloaded from %s", n->cfg.tls_cert);
    else
        log_error("TLS certificate reload from %s failed: still serving the old one",
                  n->cfg.tls_cert);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    net *n = lws_container_of(sul, net, tick_sul);
    if (n->reload_tls)
        reload_tls(n);
    loop_time t = pass_time(n);
    int64_t now = t.mono_ms;
    for (net_conn *c = n->conns; c; c = c->next) {
        if (c->closing && c->violated && !c->head) {
            lws_callback_on_writable(c->wsi); /* is it quiet enough to close yet? */
            continue;
        }
        if (c->closing)
            continue;
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
            c->ping_due = true;
            c->next_ping_ms = now + n->cfg.ping_interval_ms;
            lws_callback_on_writable(c->wsi);
        }
    }
    ratelog_flush(&n->hello_log, now);
    ratelog_flush(&n->refuse_log, now);
    ratelog_flush(&n->accept_log, now);
    if (n->h.on_tick)
        n->h.on_tick(t, n->ud);
    lws_sul_schedule(n->ctx, 0, &n->tick_sul, tick, (lws_usec_t)n->cfg.tick_ms * LWS_US_PER_MS);
}

net *net_create(const net_config *cfg, const net_handlers *h, void *ud)
{
    net *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->cfg = *cfg;
    n->h = *h;
    n->ud = ud;
    if (n->cfg.tick_ms <= 0)
        n->cfg.tick_ms = 25;
    if (n->cfg.http_header_timeout_s <= 0)
        n->cfg.http_header_timeout_s = 5;
    n->hello_log.what = "connections closed for sending no hello";
    n->refuse_log.what = "connections refused";
    n->accept_log.what = "accept failures";

    lws_set_log_level(LLL_ERR, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write must not kill the server */
    /* Before lws's context: lws sizes its descriptor tables by the open-file limit. */
    if (net_listen_open(n) != 0) {
        net_listen_close(n);
        free(n);
        return NULL;
    }

    n->protocols[0] = (struct lws_protocols){
        .name = "cohort",
        .callback = callback,
        .per_session_data_size = sizeof(session),
        .rx_buffer_size = 4096,
    };

    /* lws serves only the types it knows (415 otherwise): these too, and, last, anything
     * else as bytes, since a trained agent's weights (TensorFlow.js shards such as
     * group1-shard1of1, .onnx files; docs/AGENTS.md) have no type of their own. "*" matches
     * any name; with nosniff (the security headers) a browser never runs such a file. */
    static const char *types[][2] = {
        {".wasm", "application/wasm"},
        {".mjs", "text/javascript"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {"*", "application/octet-stream"},
    };
    enum { NTYPES = sizeof types / sizeof types[0] };
    _Static_assert(NTYPES <= sizeof n->mime / sizeof n->mime[0], "room for every type");
    for (int i = 0; i < NTYPES; i++) {
        n->mime[i].next = i < NTYPES - 1 ? &n->mime[i + 1] : NULL;
        n->mime[i].name = types[i][0];
        n->mime[i].value = types[i][1];
    }
    int m = 0;
    n->mounts[m++] = (struct lws_http_mount){
        .mountpoint = "/healthz", .mountpoint_len = 8, .origin = "cohort",
        .origin_protocol = LWSMPRO_CALLBACK};
    n->mounts[m++] = (struct lws_http_mount){
        .mountpoint = "/api", .mountpoint_len = 4, .origin = "cohort",
        .origin_protocol = LWSMPRO_CALLBACK};
    if (cfg->pages_root)
        n->mounts[m++] = (struct lws_http_mount){
            .mountpoint = "/pages", .mountpoint_len = 6, .origin = cfg->pages_root,
            .origin_protocol = LWSMPRO_FILE, .extra_mimetypes = n->mime, .protocol = "cohort"};
    /* Files go out with lws's Cache-Control: no-store, so a new client version reaches a
     * participant on their next load. .protocol binds the file's transaction to our
     * callback, which adds the security headers (LWS_CALLBACK_ADD_HEADERS). */
    n->mounts[m++] = (struct lws_http_mount){
        .mountpoint = "/", .mountpoint_len = 1, .origin = cfg->web_root, .def = "index.html",
        .origin_protocol = LWSMPRO_FILE, .extra_mimetypes = n->mime, .protocol = "cohort"};
    for (int i = 0; i + 1 < m; i++)
        n->mounts[i].mount_next = &n->mounts[i + 1];

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* a server vhost; net listens (listen.c) */
    info.protocols = n->protocols;
    info.mounts = n->mounts;
    info.user = n;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cfg->tls_cert && cfg->tls_key) {
        /* HTTPS and WSS on the one port (OpenSSL through lws); HTTP/1.1 only, so a
         * browser never tries WebSockets over HTTP/2. */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
        info.alpn = "http/1.1";
    }
    /* The longest a file being sent (or a request body) may stall. */
    info.timeout_secs = 10;
    /* Once a request's first bytes arrive, the rest of its headers must follow within
     * this (slowloris); a connection that sends nothing gets the same from listen.c. */
    info.timeout_secs_ah_idle = (unsigned)n->cfg.http_header_timeout_s;
    /* A request being read holds a header table; with fewer tables than connections, a
     * connection that finds none waits in a queue with its input off. 1,100 half-sent
     * requests against a pool of 1,024 kept new connections waiting 9.5 s. One table per
     * connection the caps allow means nobody waits. The tables are made as needed and
     * kept: 1,100 half-sent requests grew the server by 6.5 MB, which stays. */
    info.max_http_header_pool =
        (unsigned short)(n->max_connections < 65535 ? n->max_connections : 65535);
    info.fd_limit_per_thread = 0; /* the open-file limit, as raised by net_listen_open */
    /* Liveness is ours (pings every ping_interval_ms, cut after idle_timeout_ms). lws's
     * own validity timer would be re-armed on every message, a sorted insert into a list
     * as long as the connection count. A zero hangup turns it off. */
    static const lws_retry_bo_t no_lws_validity = {.secs_since_valid_hangup = 0};
    info.retry_and_idle_policy = &no_lws_validity;

    n->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    if (n->loop) {
        struct lws_context_creation_info ev_info = info;
        ev_info.options |= LWS_SERVER_OPTION_LIBEV;
        n->foreign_loops[0] = n->loop;
        ev_info.foreign_loops = n->foreign_loops;
        n->ctx = lws_create_context(&ev_info);
        if (!n->ctx) {
            ev_loop_destroy(n->loop);
            n->loop = NULL;
        }
    }
    if (!n->ctx) {
        /* Warn only if this works: when both fail the cause is elsewhere (the port, say). */
        n->ctx = lws_create_context(&info);
        if (n->ctx)
            log_warn("no libev epoll loop (libwebsockets' libev plugin missing?): using"
                     " lws's poll() loop, which costs more CPU per connection");
    }
    if (!n->ctx) {
        if (n->loop)
            ev_loop_destroy(n->loop);
        net_listen_close(n);
        free(n);
        return NULL;
    }
    n->vhost = lws_get_vhost_by_name(n->ctx, "default");
    if (!n->vhost || net_listen_start(n) != 0) {
        lws_context_destroy(n->ctx);
        if (n->loop)
            ev_loop_destroy(n->loop);
        net_listen_close(n);
        free(n);
        return NULL;
    }
    lws_sul_schedule(n->ctx, 0, &n->tick_sul, tick, (lws_usec_t)n->cfg.tick_ms * LWS_US_PER_MS);
    return n;
}

/* One wait for events and the callbacks they cause, then on_pass_end: one loop pass. */
static int run_pass(net *n)
{
    if (n->loop) {
        ev_run(n->loop, EVRUN_ONCE);
    } else if (lws_service(n->ctx, 0) < 0) {
        log_error("event loop failed (lws_service)");
        return -1;
    }
    if (n->h.on_pass_end)
        n->h.on_pass_end(pass_time(n), n->ud);
    n->now_valid = false;
    return 0;
}

static bool output_queued(const net *n)
{
    for (const net_conn *c = n->conns; c; c = c->next)
        if (c->head && !c->violated)
            return true;
    return false;
}

int net_run(net *n)
{
    while (!n->stop)
        if (run_pass(n) != 0)
            return -1;
    /* Stopping: what is queued was promised to someone (an end scene with its code, say).
     * Let it go out, for at most STOP_FLUSH_MS, before net_destroy closes the sockets. */
    int64_t until = clock_mono_ms() + STOP_FLUSH_MS;
    while (output_queued(n) && clock_mono_ms() < until)
        if (run_pass(n) != 0)
            return -1;
    return 0;
}
void net_stop(net *n) { n->stop = 1; }
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
    lws_context_destroy(n->ctx); /* closes every connection: on_close runs for each */
    if (n->loop)
        ev_loop_destroy(n->loop);
    net_listen_close(n);
    free(n);
}
