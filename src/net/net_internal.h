/*
 * What net.c (connections, messages, the loop) and listen.c (the listening socket, the
 * connection caps, the open-file limit) share. Private to src/net.
 */
#ifndef COHORT_NET_INTERNAL_H
#define COHORT_NET_INTERNAL_H

#include <libwebsockets.h>
#include <signal.h>

#include "net.h"
#include "peers.h"

typedef struct out_msg out_msg;

struct net_conn {
    struct lws *wsi;
    net *n;
    net_conn *prev, *next;
    uint32_t id;
    void *user;
    out_msg *head, *tail;
    size_t queued;
    unsigned char *rx;
    size_t rx_len, rx_cap;
    bool rx_discard;           /* rest of an oversized message is being skipped */
    double tokens;
    int64_t tokens_at_ms;
    int64_t ping_sent_us;
    int64_t next_ping_ms;
    int64_t last_pong_ms;
    int64_t opened_ms;         /* for the hello deadline */
    bool admitted;             /* net_conn_admit was called: no hello deadline */
    bool ping_due;
    bool closing;
    bool violated;             /* no more input is delivered */
    int64_t last_rx_ms;        /* when bytes last arrived (a violator's socket drains first) */
    char close_reason[120];
    char peer[64];
};

/* Per-session data lws allocates for every connection, HTTP or WebSocket. */
typedef struct {
    net_conn *conn;
    char *http_body;
    size_t http_len, http_sent;
} session;

/* A kind of log line an attacker can cause at will (a refusal, a hello timeout, a failed
 * accept): at most one a second. The first of a burst is logged; the rest are counted and
 * summed up a second later by ratelog_flush, called from the tick. */
typedef struct {
    const char *what;          /* "connections refused", for the summary */
    int64_t last_ms;
    uint64_t held;
    bool ever;
    char latest[200];          /* the latest held line, quoted in the summary */
} ratelog;

struct net {
    struct lws_context *ctx;
    struct ev_loop *loop;      /* NULL when lws runs its own poll() loop */
    void *foreign_loops[1];
    struct lws_vhost *vhost;
    net_config cfg;
    net_handlers h;
    void *ud;
    net_conn *conns;
    uint32_t next_id;
    volatile sig_atomic_t stop;
    volatile sig_atomic_t reload_tls; /* net_reload_tls: read the certificate again */
    lws_sorted_usec_list_t tick_sul;
    net_stats stats;
    struct lws_protocols protocols[2];
    struct lws_http_mount mounts[4];
    struct lws_protocol_vhost_options mime[5];
    net_http_fn http;
    void *http_ud;
    loop_time now;             /* this pass's time, once pass_time() has read it */
    bool now_valid;
    ratelog hello_log;

    /* listen.c */
    int listen_fd;             /* ours until lws adopts it; lws closes it */
    int port;
    struct lws *listen_wsi;    /* the listening socket, adopted as a raw descriptor */
    net_trusted trusted;
    net_peers *peers;          /* open sockets per address */
    uint32_t sockets_open;     /* every accepted socket not yet destroyed */
    int fd_limit;              /* RLIMIT_NOFILE's soft limit after raising it */
    int max_connections;       /* cfg's, lowered to fit fd_limit */
    bool accept_paused;
    lws_sorted_usec_list_t accept_sul;
    ratelog refuse_log, accept_log;
};

loop_time net_pass_time(net *n);
void ratelog_line(ratelog *r, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ratelog_flush(ratelog *r, int64_t now_ms);

/* listen.c */
/* Raises the open-file limit, sizes the caps, binds the port: before lws's context, which
 * sizes its tables by the open-file limit. 0, or -1 with errno set. */
int net_listen_open(net *n);
/* After the context: lws watches the socket and calls net_listen_readable. */
int net_listen_start(net *n);
void net_listen_readable(net *n);
/* Every wsi's end (LWS_CALLBACK_WSI_DESTROY): its place under the caps is given back. */
void net_listen_wsi_destroyed(net *n, struct lws *wsi);
/* A WebSocket upgrade (LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION): takes the participant's
 * address from X-Forwarded-For when the peer is a trusted proxy and applies the
 * per-address cap to it. Non-zero: refuse the upgrade. */
int net_listen_upgrade(net *n, struct lws *wsi);
/* The participant's address of a connection, printed. */
void net_listen_peer(const struct lws *wsi, char *out, size_t len);
/* The client of an HTTP request: the forwarded address when the peer is a trusted proxy
 * that said one, else the peer. */
void net_listen_client(net *n, struct lws *wsi, char *out, size_t len);
void net_listen_close(net *n);

#endif
