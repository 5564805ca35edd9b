/*
 * A bare libwebsockets echo server: the ceiling of the socket layer on this machine.
 *
 *   lws-echo [--port N] [--ev]
 *
 * --port 0 (the default) picks a free port; it binds 127.0.0.1 only. --ev runs lws on its
 * libev plugin, on an epoll loop of ours as cohort does, instead of its poll() loop.
 *
 * Prints "listening on http://127.0.0.1:PORT" once ready; every WebSocket message is sent
 * back unchanged (a per-connection queue, one write per writable callback, as cohort's
 * net layer does). SIGINT/SIGTERM stop it. bench/load/run drives it with
 * `cohort bots ws://127.0.0.1:PORT/ws --echo`.
 */
#include <ev.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUEUE 256 /* messages; more means the client stopped reading: cut it off */

typedef struct msg {
    struct msg *next;
    size_t len;
    int binary;
    unsigned char buf[]; /* LWS_PRE + payload */
} msg;

typedef struct {
    msg *head, *tail;
    int n;
    unsigned char *rx;
    size_t rx_len, rx_cap;
} session;

static volatile sig_atomic_t stop;
static struct lws_context *ctx;
static lws_sorted_usec_list_t wake; /* a periodic wake-up, so a signal is seen promptly */

static void on_wake(lws_sorted_usec_list_t *sul)
{
    lws_sul_schedule(ctx, 0, &wake, on_wake, 100 * LWS_US_PER_MS);
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void drop_all(session *s)
{
    while (s->head) {
        msg *m = s->head;
        s->head = m->next;
        free(m);
    }
    s->tail = NULL;
    s->n = 0;
    free(s->rx);
    s->rx = NULL;
    s->rx_len = s->rx_cap = 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    session *s = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(s, 0, sizeof *s);
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        if (lws_is_first_fragment(wsi))
            s->rx_len = 0;
        if (s->rx_len + len > s->rx_cap) {
            size_t cap = s->rx_cap ? s->rx_cap * 2 : 1024;
            while (cap < s->rx_len + len)
                cap *= 2;
            unsigned char *g = realloc(s->rx, cap);
            if (!g)
                return -1;
            s->rx = g;
            s->rx_cap = cap;
        }
        memcpy(s->rx + s->rx_len, in, len);
        s->rx_len += len;
        if (!lws_is_final_fragment(wsi))
            return 0;
        if (s->n >= MAX_QUEUE)
            return -1;
        msg *m = malloc(sizeof *m + LWS_PRE + s->rx_len);
        if (!m)
            return -1;
        m->next = NULL;
        m->len = s->rx_len;
        m->binary = lws_frame_is_binary(wsi);
        memcpy(m->buf + LWS_PRE, s->rx, s->rx_len);
        if (s->tail)
            s->tail->next = m;
        else
            s->head = m;
        s->tail = m;
        s->n++;
        s->rx_len = 0;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        msg *m = s->head;
        if (!m)
            return 0;
        if (lws_write(wsi, m->buf + LWS_PRE, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
            (int)m->len)
            return -1;
        s->head = m->next;
        if (!s->head)
            s->tail = NULL;
        s->n--;
        free(m);
        if (s->head)
            lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLOSED:
        drop_all(s);
        return 0;
    default:
        break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int port = 0;
    uint64_t evlib = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--ev") == 0) {
            evlib = LWS_SERVER_OPTION_LIBEV;
        } else {
            fprintf(stderr, "usage: lws-echo [--port N] [--ev]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_protocols protocols[] = {
        {.name = "echo", .callback = callback, .per_session_data_size = sizeof(session),
         .rx_buffer_size = 4096},
        {.name = NULL},
    };
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | evlib;
    info.timeout_secs = 20;
    /* As src/net/net.c does: a libev loop we own, run one pass at a time, so `stop` is
     * seen (lws_service on an event-library loop would run it until it is empty). */
    struct ev_loop *loop = NULL;
    void *foreign[1];
    if (evlib) {
        loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
        foreign[0] = loop;
        info.foreign_loops = foreign;
    }
    ctx = lws_create_context(&info);
    if (!ctx) {
        fprintf(stderr, "lws-echo: cannot listen\n");
        return 1;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
    printf("listening on http://127.0.0.1:%d\n", vh ? lws_get_vhost_listen_port(vh) : port);
    fflush(stdout);
    lws_sul_schedule(ctx, 0, &wake, on_wake, 100 * LWS_US_PER_MS);
    while (!stop) {
        if (loop)
            ev_run(loop, EVRUN_ONCE);
        else if (lws_service(ctx, 0) < 0)
            break;
    }
    lws_sul_cancel(&wake);
    lws_context_destroy(ctx);
    if (loop)
        ev_loop_destroy(loop);
    return 0;
}
