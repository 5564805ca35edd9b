/*
 * The stager: carries every participant through the experiment's scenes. It owns the
 * participants, the waiting rooms (one per game scene) and the game rooms, and is the
 * only module that knows all three. net calls in; room and lobby never see a socket.
 */
#ifndef COHORT_FLOW_H
#define COHORT_FLOW_H

#include <stdint.h>

#include "../config/config.h"
#include "../net/net.h"
#include "../store/store.h"

typedef struct flow flow;

/* How the stager reaches connections: net.h's functions in the server, fakes in tests. */
typedef struct {
    int (*send_text)(net_conn *c, const char *msg, size_t len);
    int (*send_binary)(net_conn *c, const void *msg, size_t len);
    void (*close)(net_conn *c, const char *reason);
    void (*set_user)(net_conn *c, void *user);
    void *(*user)(const net_conn *c);
    const char *(*peer)(const net_conn *c);
    uint32_t (*id)(const net_conn *c);
} flow_io;

/* The real connections of net.h. */
const flow_io *flow_net_io(void);

/* x, st and io must outlive the flow. NULL on failure with err filled (e.g. an unreadable
 * page). */
flow *flow_new(const experiment *x, store *st, const flow_io *io, char *err, size_t errlen);
/* Cuts running games short (their partial episodes are saved) and frees everything. */
void flow_free(flow *f, int64_t now);

/* The net_handlers that drive it; ud must be the flow. */
net_handlers flow_net_handlers(void);

/* Where HTTP GETs for /healthz and /api/... go (the admin module); until set, only
 * /healthz answers. */
typedef int (*flow_http_fn)(void *ctx, const char *path, const char *query, char **body,
                            const char **ctype);
void flow_set_http(flow *f, flow_http_fn fn, void *ctx);

/* JSON bodies for GET /healthz and /api/state (malloc'd). */
char *flow_health_json(flow *f);
char *flow_state_json(flow *f);

#endif
