/*
 * What net.c (the loop, connections, WebSockets), http.c (requests, files, the upgrade)
 * and listen.c (the listening socket, the connection caps, the open-file limit) share.
 * Private to src/net.
 */
#ifndef COHORT_NET_INTERNAL_H
#define COHORT_NET_INTERNAL_H

#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>

#include "net.h"
#include "peers.h"
#include "request.h"

/* One accepted socket, from accept to close: an HTTP connection first, a WebSocket after
 * an upgrade (then it is what net.h calls a net_conn). */
typedef enum { CONN_HTTP, CONN_WS } conn_kind;

/* A file being sent as a response body. */
typedef struct {
    int fd;            /* -1: none */
    uint64_t left;     /* bytes still to send */
} file_out;

struct net_conn {
    net *n;
    int fd;
    SSL *ssl;                  /* NULL on a plain port */
    net_peer *peer;            /* its place under the caps; NULL once given back */
    conn_kind kind;
    net_conn *prev, *next;     /* every open socket (net.conns) */
    net_conn *dirty_next;      /* output to flush this pass (net.dirty) */
    net_conn *ready_next;      /* input left unread after its share of a pass (net.ready) */
    uint32_t id;
    void *user;

    /* Bytes in: a frame or request that arrived in part waits here; whole ones are handled
     * where they were read (the loop's scratch buffer) and never copied. */
    uint8_t *in;
    size_t in_len, in_cap;
    /* Bytes out: frames and responses, encoded once, written with one call per pass. */
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    file_out file;

    bool tls_done;             /* the handshake is over (or there is no TLS) */
    bool dirty, ready;         /* on those lists */
    bool blocked;              /* the last write came back short: wait for EPOLLOUT */
    bool dead;                 /* closed; freed at the end of the pass */
    bool shut;                 /* our side is shut down after the last bytes */
    bool responding;           /* HTTP: a response is being sent */
    bool close_after;          /* HTTP: close once the response is out */
    int64_t deadline_ms;       /* HTTP headers, a stalled response, or a closing socket */

    /* HTTP */
    net_request *req;          /* the request being read; NULL once a WebSocket */

    /* WebSocket */
    uint8_t *rx;               /* a fragmented message being put together */
    size_t rx_len, rx_cap;
    uint8_t rx_opcode;         /* of the message being put together; 0 none */
    double tokens;
    int64_t tokens_at_ms;
    int64_t ping_sent_us;
    int64_t next_ping_ms;
    int64_t last_pong_ms;
    int64_t opened_ms;         /* for the hello deadline */
    bool admitted;             /* net_conn_admit was called: no hello deadline */
    bool closing;              /* a close frame is queued or sent: nothing more goes out */
    bool close_sent;           /* ... and it has gone */
    bool close_received;
    bool violated;             /* no more input is delivered */
    bool aborted;              /* cut off with its output dropped: closed at the pass's end */
    bool opened;               /* on_open was called: on_close will be */
    uint16_t close_code;
    char peer_name[64];
};

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
    int ep;                    /* epoll */
    net_config cfg;
    net_handlers h;
    void *ud;
    net_conn *conns;
    net_conn *dirty;           /* to flush at the end of this pass */
    net_conn *ready;           /* to read more of next pass */
    net_conn *graveyard;       /* closed this pass, freed at its end */
    uint32_t next_id;
    volatile sig_atomic_t stop;
    volatile sig_atomic_t reload_tls; /* net_reload_tls: read the certificate again */
    SSL_CTX *tls;              /* new connections get this one */
    int64_t next_tick_ms;
    net_stats stats;
    net_http_fn http;
    void *http_ud;
    loop_time now;             /* this pass's time, once pass_time() has read it */
    bool now_valid;
    ratelog hello_log;
    uint8_t *scratch;          /* where reads land (NET_SCRATCH bytes and one more) */

    /* listen.c */
    int listen_fd;
    int port;
    net_trusted trusted;
    net_peers *peers;          /* open sockets per address */
    uint32_t sockets_open;     /* every accepted socket not yet closed */
    int fd_limit;              /* RLIMIT_NOFILE's soft limit after raising it */
    int max_connections;       /* cfg's, lowered to fit fd_limit */
    bool accept_paused;
    int64_t accept_resume_ms;
    ratelog refuse_log, accept_log;
};

enum {
    NET_SCRATCH = 64 * 1024,   /* one read at most */
    NET_READS_PER_PASS = 4,    /* reads one socket gets in a pass before the others */
    NET_RESPONSE_STALL_MS = 10000, /* the longest an HTTP response may make no progress */
};

loop_time net_pass_time(net *n);
void ratelog_line(ratelog *r, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ratelog_flush(ratelog *r, int64_t now_ms);

/* net.c, for http.c */
/* Appends bytes to the send buffer (never blocks; the end of the pass writes them).
 * -1 when out of memory. */
int net_conn_put(net_conn *c, const void *data, size_t len);
/* The socket is finished with: closed now (on_close for a WebSocket), freed after the pass. */
void net_conn_kill(net_conn *c);
/* An HTTP connection becomes a WebSocket (after its 101 is queued). */
void net_conn_to_ws(net_conn *c);
/* Input that waited in c->in (an HTTP request pipelined behind one being answered). */
void net_conn_resume_input(net_conn *c);

/* http.c */
/* Bytes for an HTTP connection: how many it used (at most one request; 0 while one is
 * being answered). Once it upgrades, the rest is the WebSocket's. */
size_t net_http_input(net_conn *c, uint8_t *data, size_t len);
/* Everything queued has been written: queue more of a file, or finish the response (the
 * next pipelined request, or the close). */
void net_http_drained(net_conn *c);
void net_http_free(net_conn *c);

/* listen.c */
/* Raises the open-file limit, sizes the caps, binds the port. 0, or -1 with errno set. */
int net_listen_open(net *n);
/* Watches the listening socket (epoll) and logs the caps. */
int net_listen_start(net *n);
void net_listen_readable(net *n);
/* The tick: accepts resume after a pause. */
void net_listen_tick(net *n, int64_t now_ms);
/* A socket's end: its place under the caps is given back. */
void net_listen_closed(net *n, net_conn *c);
/* A WebSocket upgrade: takes the participant's address from X-Forwarded-For (the request's
 * header, "" if none) when the peer is a trusted proxy and applies the per-address cap to
 * it. Non-zero: refuse it. */
int net_listen_upgrade(net *n, net_conn *c, const char *xff);
/* The client of an HTTP request: the forwarded address when the peer is a trusted proxy
 * that said one, else the peer. */
void net_listen_client(net *n, net_conn *c, const char *xff, char *out, size_t len);
/* The participant's address of a connection, printed. */
void net_listen_peer(const net_conn *c, char *out, size_t len);
void net_listen_close(net *n);
/* accept(2)ed: a new connection (net.c). */
net_conn *net_conn_accepted(net *n, int fd, net_peer *p);

#endif
