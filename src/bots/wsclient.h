/*
 * A small WebSocket client (RFC 6455) on epoll, for the bot swarm.
 *
 * Why not libwebsockets' client: in the lws 4.1 build here every service pass polls every
 * socket, every outgoing frame costs a read of /dev/urandom for its mask, and every
 * message waits a poll round for its writable callback. A load generator on the same
 * two cores as the server it measures has to cost much less than that server.
 *
 * What it does: ws:// to an IPv4 address, the HTTP/1.1 upgrade, masked client frames,
 * text and binary messages (fragmented or not), answering pings, the closing handshake,
 * connect/handshake/close timeouts. Writes go out at once; only what the socket does not
 * take is queued for EPOLLOUT. One thread; callbacks run inside wsloop_poll.
 */
#ifndef COHORT_BOTS_WSCLIENT_H
#define COHORT_BOTS_WSCLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wsloop wsloop;
typedef struct wsconn wsconn;

typedef struct {
    void (*on_open)(void *ud);
    void (*on_message)(void *ud, bool binary, const uint8_t *data, size_t len);
    /* The connection is gone (or never opened: never_opened). `why` names the cause. The
     * wsconn may be connected again from inside this callback. */
    void (*on_closed)(void *ud, bool never_opened, const char *why);
} ws_callbacks;

typedef struct {
    uint64_t frames_out, frames_in, bytes_out, bytes_in, pings;
} ws_stats;

wsloop *wsloop_new(void);
/* Every wsconn must be freed first. */
void wsloop_free(wsloop *l);
/* Handle socket events, waiting at most until deadline_us (monotonic; <= now: no wait).
 * Returns -1 on an epoll failure. */
int wsloop_poll(wsloop *l, int64_t deadline_us);
ws_stats wsloop_stats(const wsloop *l);

wsconn *wsconn_new(wsloop *l, const ws_callbacks *cb, void *ud);
/* Closes the socket without callbacks. */
void wsconn_free(wsconn *c);
/* Starts connecting; on_open or on_closed(never_opened) follows from wsloop_poll.
 * Returns -1 (and no callback) if the socket could not even be created. */
int wsconn_connect(wsconn *c, const struct sockaddr_in *addr, const char *host, const char *path);
/* Sends (or queues) one message. -1 if not open, -2 if more than 1 MiB is waiting. */
int wsconn_send(wsconn *c, bool binary, const void *data, size_t len);
/* Starts the closing handshake after what is queued; on_closed follows. */
void wsconn_close(wsconn *c);
bool wsconn_busy(const wsconn *c); /* connecting, open or closing */

#endif
