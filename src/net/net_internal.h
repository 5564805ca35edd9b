/*
 * What net.c (the loop, connections, WebSockets), http.c (requests, files, the upgrade)
 * and listen.c (the listening socket, the connection caps, the open-file limit) share.
 * Private to src/net.
 */
#ifndef COHORT_NET_INTERNAL_H
#define COHORT_NET_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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
    bool hup;                  /* an event said the peer hung up: read to the end */
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

    /* loops.c: home's view of a WebSocket lent to a worker loop. Written and read by the
     * home thread only; everything above then belongs to the worker. */
    bool lent;                 /* home's calls on it go to its loop by mail */
    bool gone;                 /* home has heard of its close: nothing more is posted */
    int loop;                  /* 1..nworkers: which worker has it */
    bool kept;                 /* home: a WebSocket on home, counted in lent_open[0] */
    net_conn *lend_next;       /* lent this pass: home lets go of it at its end (net.lending) */
    /* The loop that has it: net_here_bind's handler, and whether it waits on that loop's
     * held list for home's M_FREE. */
    net_bound_fn bound;
    void *bound_ud;
    bool on_held;
};

/* Records one loop posts to another (loops.c), appended to a growing buffer and handed
 * over whole once per pass. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
} net_mbuf;

/* What other loops post to one loop: taken whole at the start of its next pass. */
typedef struct {
    pthread_mutex_t mu;
    net_mbuf posted;
    int efd;                   /* eventfd in the receiving loop's epoll set */
    bool signaled;             /* efd written since the last take: no second write */
} net_mailbox;

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
    atomic_int stop;           /* net_stop: from a signal handler or another thread */
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

    /* loops.c: the other event loops. Home (the loop net_create returns) has the listener,
     * HTTP and every handler; each worker reads and writes the WebSockets lent to it. */
    net *home;                 /* a worker's home; NULL on home itself */
    net **workers;             /* home: nworkers of them */
    int nworkers;
    int index;                 /* 0 on home, 1..nworkers on a worker */
    pthread_t thread;          /* a worker's */
    bool started, joined;      /* home: the workers' threads run / have ended */
    net_mailbox inbox;         /* what the other loops post to this one */
    net_mbuf taken;            /* the inbox's last take, being worked through */
    net_conn *held;            /* a worker: closed here, waiting for home to free them */
    net_mbuf *outbox;          /* home: one per worker; a worker: one, to home */
    net_conn *lending;         /* home: upgraded this pass, lent at its end */
    uint32_t *lent_open;       /* home: open connections lent to each loop (index) */
    unsigned next_loop;        /* home: where the next tie goes */
    net_loop_hooks loop_hooks; /* home: what the workers run besides their sockets */
    void *loop_hooks_ud;
    net_stats *worker_stats;   /* home: each worker's counters as its last tick said */

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

/* net.c, for http.c and loops.c */
/* *buf holds at least need bytes afterwards (doubling from 1 KiB); false if out of memory.
 * The one growth rule of every buffer in net/: connections' and the loops' mail. */
bool net_buf_grow(uint8_t **buf, size_t *cap, size_t need);
/* The list of connections linked by prev/next (a loop's conns, a worker's held): c goes to
 * the front, or comes off wherever it is. */
void net_conn_list_push(net_conn **head, net_conn *c);
void net_conn_list_remove(net_conn **head, net_conn *c);
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

/* net.c, for loops.c: the same calls a handler makes, on the loop that owns c. */
int net_conn_enqueue(net_conn *c, uint8_t opcode, const void *data, size_t len);
void net_conn_close_now(net_conn *c, const char *reason);
void net_conn_free(net_conn *c);
/* c joins n's epoll set and connection list (a worker adopting a lent connection); c->n
 * is already n (home sets it when lending, and reads it after: only home writes it). */
int net_conn_attach(net *n, net_conn *c);
/* c leaves n's epoll set and lists (home lending it), its buffers kept. */
void net_conn_detach(net *n, net_conn *c);

/* loops.c */
/* Home: the workers (cfg.loops - 1 of them), created with their mailboxes. 0 or -1. */
int net_loops_create(net *home);
/* Home: their threads start / are told to stop and joined. */
int net_loops_start(net *home);
void net_loops_join(net *home);
/* Home: what the workers still hold is closed (on_close for each) and freed. */
void net_loops_destroy(net *home);
/* The mailbox's eventfd fired: run what was posted. */
void net_loops_take(net *n);
/* The end of a pass, after the writes: home lets go of what it lent and posts each
 * worker's mail; a worker posts home's. */
void net_loops_pass_end(net *n);
/* Home, from net_conn_to_ws: c is a WebSocket on home (counted for the quietest loop). */
void net_loops_upgraded(net *home, net_conn *c);
/* A worker, from net_conn_kill: home hears of the close; c waits for home's word to free. */
void net_loops_closed(net *worker, net_conn *c);
/* Home's calls on a lent connection, posted to its loop. */
int net_loops_send(net_conn *c, uint8_t opcode, const void *data, size_t len);
void net_loops_close(net_conn *c, const char *reason);
void net_loops_admit(net_conn *c);
/* Home: its counters with the workers' added. */
net_stats net_loops_stats(const net *home);

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
