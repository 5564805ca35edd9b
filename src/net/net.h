/*
 * The network layer: one port serving static files, a little dynamic HTTP and the
 * participants' WebSocket at /ws (net.c says how, docs/DESIGN.md section 14 why it is our
 * own loop). Every handler runs on the thread that calls net_run (home); with cfg.loops > 1
 * the WebSockets lent to the other event loops (loops.c) are read and written there, which
 * the handlers never see. Every call below but net_stop and net_reload_tls belongs to the
 * net_run thread (or to before and after net_run), except those the section "several
 * event loops" gives to a worker.
 *
 * Promises: messages reach on_text/on_binary whole (fragments are joined) and never
 * larger than max_message; a connection that sends too much, too fast, or stops reading
 * what we send is cut off with a close reason, and on_violation is called first so the
 * caller can say why. Sends are queued per connection and never block.
 *
 * Connection limits (docs/PROTOCOL.md, "Connection limits"): at most max_connections
 * sockets open, HTTP and WebSocket together, and max_per_address from one address; over a
 * cap a connection is closed at once. A WebSocket starts unadmitted and is closed
 * hello_timeout_ms after it opened unless the caller admits it (net_conn_admit, once the
 * participant has said who they are). A request's headers must be whole within
 * http_header_timeout_s. Refusals and timeouts are logged at most once a second.
 */
#ifndef COHORT_NET_H
#define COHORT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/clock.h"
#include "forwarded.h"

typedef struct net net;
typedef struct net_conn net_conn;

typedef struct {
    const char *host;        /* NULL or "0.0.0.0" = every interface */
    int port;                /* 0 = a free port, see net_port() */
    const char *web_root;    /* served at / (index.html for /) */
    const char *pages_root;  /* NULL, or the experiment's pages at /pages/ */
    size_t max_message;      /* bytes */
    size_t max_send_queue;   /* bytes queued for one connection before it is cut off */
    int max_msgs_per_s;      /* sustained rate; bursts up to the same count */
    int ping_interval_ms;    /* WebSocket pings for round-trip times; 0 = none */
    int idle_timeout_ms;     /* no pong for this long: the connection is dead */
    int tick_ms;             /* on_tick period */
    int hello_timeout_ms;    /* a WebSocket not admitted by then is closed; 0 = never */
    int max_connections;     /* open sockets; lowered to fit the open-file limit; 0 = that */
    int max_per_address;     /* open sockets per address; trusted proxies exempt; 0 = no cap */
    int http_header_timeout_s; /* a request's headers must be whole by then; 0 = 5 */
    /* X-Forwarded-For is believed only from these (NULL = nobody): the participant's address
     * (net_conn_peer, the per-address cap of WebSockets) is then its right-most untrusted
     * hop. Copied by net_create. */
    const net_trusted *trusted_proxies;
    /* HTTPS and WSS on the one port: PEM files (both or neither). net_reload_tls reads them
     * again, for a renewed certificate, without closing anyone's connection. */
    const char *tls_cert;
    const char *tls_key;
    /* Event loops, each a thread with its own epoll set (0 or 1: one, this thread's).
     * A WebSocket starts on the loop net_run runs (home), where the listener, HTTP and the
     * handlers are; the caller lends it to another loop (net_conn_lend), which reads and
     * writes it from then on. docs/DESIGN.md section 14. */
    int loops;
} net_config;

/* Every handler gets the time of the loop pass it runs in (net stamps it once per pass:
 * the first handler of a pass reads the clock, the others share it). */
typedef struct {
    void (*on_open)(net_conn *c, loop_time now, void *ud);
    void (*on_text)(net_conn *c, const char *msg, size_t len, loop_time now, void *ud);
    void (*on_binary)(net_conn *c, const uint8_t *msg, size_t len, loop_time now, void *ud);
    /* kind: "message_too_big", "flood", "send_queue_full", "bad_utf8", "ping_timeout",
     * "protocol" (a frame RFC 6455 forbids) */
    void (*on_violation)(net_conn *c, const char *kind, const char *detail, loop_time now,
                         void *ud);
    void (*on_close)(net_conn *c, loop_time now, void *ud);
    void (*on_rtt)(net_conn *c, uint32_t rtt_ms, loop_time now, void *ud);
    void (*on_tick)(loop_time now, void *ud);
    /* After every pass of the event loop: the place to flush batched messages. */
    void (*on_pass_end)(loop_time now, void *ud);
} net_handlers;

net *net_create(const net_config *cfg, const net_handlers *h, void *ud);
/* Where GET /healthz and /api/... go: fill *body (malloc'd) and *ctype, return the status.
 * Until one is set they answer 404. */
typedef struct {
    const char *path;
    const char *query;         /* "a=1&b=2", decoded per argument; "" if none */
    const char *bearer;        /* the token of an "Authorization: Bearer ..." header, or "" */
    const char *client;        /* the client's address (X-Forwarded-For from a trusted proxy) */
} net_http_request;
typedef int (*net_http_fn)(const net_http_request *req, char **body, const char **ctype,
                           loop_time now, void *ud);
void net_set_http(net *n, net_http_fn fn, void *ud);

/* The port actually bound (useful with port 0). */
int net_port(const net *n);
/* Runs until net_stop (0), or until the event loop fails (-1). */
int net_run(net *n);
/* Safe from a signal handler: the certificate and key are read again on the next tick
 * (new connections get them; open ones keep theirs). */
void net_reload_tls(net *n);
/* Safe from a signal handler: the loop ends within one tick. */
void net_stop(net *n);
void net_destroy(net *n);

/* Queue a message. Returns -1 if the connection is closing or the queue overflowed
 * (the connection is then being cut off). */
int net_send_text(net_conn *c, const char *msg, size_t len);
int net_send_binary(net_conn *c, const void *msg, size_t len);
/* Sends what is queued, then closes with the reason (a short sentence for the client). */
void net_close(net_conn *c, const char *reason);

/* This connection has said who it is: the hello deadline no longer applies to it. */
void net_conn_admit(net_conn *c);
void net_conn_set_user(net_conn *c, void *user);
void *net_conn_user(const net_conn *c);
/* The participant's address: the TCP peer's, or X-Forwarded-For's behind a trusted proxy. */
const char *net_conn_peer(const net_conn *c);
uint32_t net_conn_id(const net_conn *c);
/* Bytes queued for it; 0 for a connection another loop holds (that loop knows). */
size_t net_conn_queued(const net_conn *c);

/* ---- several event loops (cfg.loops > 1) ------------------------------------------------
 * Home is loop 0, the workers 1..net_workers(home). What runs on a worker is the caller's
 * own code, handed over with net_call and net_set_loop_hooks: it may use only the net_here_
 * calls on the connections that loop has, and net_call to reach home. */

/* Which loop n is: 0 on home. */
int net_loop_index(const net *n);
/* How many workers home has (0: one loop). */
int net_workers(const net *home);
/* The loop, home included, with the fewest WebSockets (ties go to each in turn). */
int net_quietest_loop(net *home);
/* Home's view: the loop that has c (0: home). */
int net_conn_loop(const net_conn *c);
/* Home: c, a WebSocket on home, goes to worker `loop` (NET_LOOP_QUIETEST: the loop, home
 * included, with the fewest; it may stay). Everything home sends or posts to that loop
 * after this call reaches it after c does; home may still hear what c sent before the
 * move. -1 (and c stays) if c is closing, is not home's, or loop is not a worker. */
enum { NET_LOOP_QUIETEST = -1 };
int net_conn_lend(net_conn *c, int loop);

/* Runs fn(loop, copy of arg, len, that loop's pass time) on loop `to` at the start of its
 * next pass, in order with everything else `from` posted there: from home to a worker, or
 * from a worker to home (to = 0). arg is copied (up to 64 kB); fn must not keep it. */
typedef void (*net_call_fn)(net *loop, const void *arg, size_t len, loop_time now);
void net_call(net *from, int to, net_call_fn fn, const void *arg, size_t len);

/* What runs on every worker besides its sockets (set on home before net_run): tick at
 * cfg.tick_ms, pass_end after each pass's mail and reads, before its writes. */
typedef struct {
    void (*tick)(net *loop, loop_time now, void *ud);
    void (*pass_end)(net *loop, loop_time now, void *ud);
} net_loop_hooks;
void net_set_loop_hooks(net *home, const net_loop_hooks *hooks, void *ud);

/* On the loop that has c (a worker): its binary messages go to fn there first, and to
 * home's on_binary only when fn returns false (NULL: all to home again). */
typedef bool (*net_bound_fn)(net_conn *c, const uint8_t *msg, size_t len, loop_time now,
                             void *ud);
void net_here_bind(net_conn *c, net_bound_fn fn, void *ud);
/* net_send_text and net_send_binary, for code running on the loop that has c. */
int net_here_send_text(net_conn *c, const char *msg, size_t len);
int net_here_send_binary(net_conn *c, const void *msg, size_t len);

typedef struct {
    uint64_t connections_open, connections_total, messages_in, messages_out, bytes_in,
        bytes_out, violations;
    uint64_t refused;        /* over a connection cap */
    uint64_t hello_timeouts; /* closed for not saying hello in time */
    uint64_t accept_errors;  /* accept() failures (EMFILE, ...), each followed by a pause */
} net_stats;
net_stats net_get_stats(const net *n);

#endif
