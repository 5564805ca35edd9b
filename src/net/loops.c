/*
 * More than one event loop (net_config.loops): the home loop, which net_run runs, keeps
 * the listener, HTTP and every handler; each worker loop is a thread with its own epoll
 * set that reads and writes the WebSockets lent to it. docs/DESIGN.md section 14 says why
 * the work is split this way (the sockets are most of the cost, and flow, lobby and room
 * stay single-threaded with no lock anywhere in them).
 *
 * A WebSocket starts on home and is lent when the caller says (net_conn_lend: src/room's
 * games lend a formed group to the loop that will run its game). Home records the move at
 * once, so what it posts to that loop afterwards arrives after the connection, and lets go
 * of it at the end of the pass, after its writes. From then on:
 *   - what the worker reads, it hands to home as records (a text, a binary message, a round
 *     trip, a violation, the close), and home runs the handlers on them;
 *   - what home's handlers send, close or admit on it becomes records for the worker,
 *     which does it with the same code as a single loop (frames, queue cutoff, closes);
 *   - a violation waits for home: the handler runs there and may send an error first, then
 *     home closes the connection (the worker has stopped delivering its input);
 *   - a close seen on the worker goes to home, which runs on_close, gives back the
 *     connection's place under the caps and tells the worker to free it: nothing posted
 *     earlier can then name freed memory.
 *   - on the worker, binary messages go to the handler the caller bound there
 *     (net_here_bind: a game's inputs, read and answered on the loop that runs the game);
 *   - net_call runs the caller's own code on another loop, in order with the records.
 * Records go into a buffer per destination and are handed over once per pass under the
 * receiving loop's mailbox mutex, with one eventfd write: the only lock, taken once per
 * pass and direction, never per message. At steady state the buffers are swapped, not
 * copied or allocated.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/log.h"
#include "net_internal.h"
#include "wsframe.h"

enum {
    MAX_LOOPS = 64,
    /* A buffer that once held more than this (a burst: a page's worth of text to
     * everyone at once) is freed once worked through, not kept for the process's life. */
    MBUF_KEEP = 1 << 20,
};

typedef enum {
    /* home to a worker */
    M_ADOPT,       /* the connection is the worker's from now on */
    M_SEND_TEXT,
    M_SEND_BINARY,
    M_CLOSE,       /* payload: the reason, NUL-terminated */
    M_ADMIT,
    M_FREE,        /* home has heard its close: free it */
    M_STOP,        /* flush and end the loop */
    M_CALL,        /* either way, c = NULL; payload: the net_call_fn, then its argument */
    /* a worker to home */
    M_TEXT,        /* payload: the message and a NUL */
    M_BINARY,
    M_RTT,         /* payload: uint32_t milliseconds */
    M_VIOLATION,   /* payload: kind NUL detail NUL */
    M_CLOSED,
    M_STATS,       /* c = NULL; payload: the worker's index (int) and its net_stats */
} mail_kind;

typedef struct {
    net_conn *c;
    uint32_t kind;
    uint32_t len;  /* payload bytes after this header (then padding to 8) */
} mail_head;

static size_t padded(size_t len) { return (len + 7) & ~(size_t)7; }

/* ---- records ------------------------------------------------------------------------- */

static void mbuf_reserve(net_mbuf *b, size_t more)
{
    if (!net_buf_grow(&b->buf, &b->cap, b->len + more))
        abort(); /* a lost close or message would leave a participant in limbo: worse */
}

/* One record: a header, a and b one after the other (b may be NULL), a NUL if asked. */
static void put2(net_mbuf *b, net_conn *c, mail_kind kind, const void *a, size_t alen,
                 const void *b2, size_t blen, bool nul)
{
    size_t len = alen + blen + (nul ? 1 : 0);
    mbuf_reserve(b, sizeof(mail_head) + padded(len));
    mail_head h = {c, (uint32_t)kind, (uint32_t)len};
    uint8_t *p = b->buf + b->len;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    if (alen)
        memcpy(p, a, alen);
    if (blen)
        memcpy(p + alen, b2, blen);
    if (nul)
        p[alen + blen] = '\0';
    b->len += sizeof h + padded(len);
}

static void put(net_mbuf *b, net_conn *c, mail_kind kind, const void *data, size_t len, bool nul)
{
    put2(b, c, kind, data, len, NULL, 0, nul);
}

/* Hands everything in out to the loop whose mailbox mb is, and wakes it (once until it
 * takes). Swapped in when the mailbox is empty (the usual case): no copy. */
static void post(net_mailbox *mb, net_mbuf *out)
{
    if (out->len == 0)
        return;
    pthread_mutex_lock(&mb->mu);
    if (mb->posted.len == 0) {
        net_mbuf t = mb->posted;
        mb->posted = *out;
        *out = t;
    } else {
        mbuf_reserve(&mb->posted, out->len);
        memcpy(mb->posted.buf + mb->posted.len, out->buf, out->len);
        mb->posted.len += out->len;
    }
    out->len = 0;
    bool wake = !mb->signaled;
    mb->signaled = true;
    pthread_mutex_unlock(&mb->mu);
    if (wake) {
        uint64_t one = 1;
        ssize_t w = write(mb->efd, &one, sizeof one);
        (void)w; /* cannot fail short of 2^64 - 2 posts (take never reads it down) */
    }
}

/* What was posted to n, into n->taken (emptied by the caller's walk). The eventfd is
 * never read: it is edge-triggered, and every write after a take raises a new edge (the
 * counter would need 2^64 posts to fill), which saves a syscall per wake-up. */
static void take(net *n)
{
    pthread_mutex_lock(&n->inbox.mu);
    net_mbuf t = n->inbox.posted;
    n->inbox.posted = n->taken;
    n->inbox.posted.len = 0;
    n->taken = t;
    n->inbox.signaled = false;
    pthread_mutex_unlock(&n->inbox.mu);
}

typedef struct {
    const uint8_t *p, *end;
} mail_walk;

static bool next_mail(mail_walk *w, mail_head *h, uint8_t **payload)
{
    if (w->p >= w->end)
        return false;
    memcpy(h, w->p, sizeof *h);
    *payload = (uint8_t *)w->p + sizeof *h;
    w->p += sizeof *h + padded(h->len);
    return true;
}

/* ---- home: lending, and what workers say ------------------------------------------------- */

/* c->n is home itself until the end of the pass c was lent in. */
static net_mbuf *outbox_of(net_conn *c)
{
    net *home = c->n->home ? c->n->home : c->n;
    return &home->outbox[c->loop - 1];
}

void net_loops_upgraded(net *home, net_conn *c)
{
    if (home->nworkers == 0)
        return;
    c->kept = true;
    home->lent_open[0]++;
}

/* The loop with the fewest open WebSockets, home included; ties go to each loop in turn,
 * so that short connections spread too. */
static int quietest(net *home)
{
    int loops = home->nworkers + 1;
    int first = (int)(home->next_loop++ % (unsigned)loops), best = first;
    for (int i = 1; i < loops; i++) {
        int k = (first + i) % loops;
        if (home->lent_open[k] < home->lent_open[best])
            best = k;
    }
    return best;
}

int net_quietest_loop(net *home) { return home->nworkers ? quietest(home) : 0; }
int net_workers(const net *home) { return home->nworkers; }
int net_loop_index(const net *n) { return n->index; }
int net_conn_loop(const net_conn *c) { return c->lent ? c->loop : 0; }

void net_set_loop_hooks(net *home, const net_loop_hooks *hooks, void *ud)
{
    home->loop_hooks = *hooks;
    home->loop_hooks_ud = ud;
}

int net_conn_lend(net_conn *c, int loop)
{
    net *home = c->n;
    if (home->home || c->lent || c->kind != CONN_WS || c->dead || c->closing)
        return -1;
    if (loop == NET_LOOP_QUIETEST)
        loop = net_quietest_loop(home);
    if (loop == 0)
        return 0;
    if (loop < 0 || loop > home->nworkers)
        return -1;
    if (c->kept)
        home->lent_open[0]--;
    c->kept = false;
    home->lent_open[loop]++;
    c->lent = true;
    c->loop = loop;
    /* In the worker's mail now, so that what home posts there next comes after it; home
     * still reads and writes it until this pass ends (net_loops_pass_end). */
    put(&home->outbox[loop - 1], c, M_ADOPT, NULL, 0, false);
    c->lend_next = home->lending;
    home->lending = c;
    return 0;
}

/* The end of the pass c was lent in: its writes done, home lets go of it. One that died on
 * home meanwhile (home ran its on_close) is still named by this pass's mail: its worker
 * holds it until the M_FREE that follows. */
static void let_go(net *home, net_conn *c)
{
    if (c->dead) {
        for (net_conn **p = &home->graveyard; *p; p = &(*p)->next)
            if (*p == c) {
                *p = c->next;
                break;
            }
        c->next = c->prev = NULL;
        c->gone = true;
        home->lent_open[c->loop]--;
        put(&home->outbox[c->loop - 1], c, M_FREE, NULL, 0, false);
        return;
    }
    net_conn_detach(home, c);
    c->n = home->workers[c->loop - 1];
}

void net_call(net *from, int to, net_call_fn fn, const void *arg, size_t len)
{
    net_mbuf *out;
    if (from->home)
        out = &from->outbox[0]; /* a worker reaches home only */
    else if (to >= 1 && to <= from->nworkers)
        out = &from->outbox[to - 1];
    else
        abort(); /* a caller's bug: there is no such loop */
    put2(out, NULL, M_CALL, &fn, sizeof fn, arg, len, false);
}

static void run_call(net *n, const uint8_t *p, size_t len)
{
    net_call_fn fn;
    memcpy(&fn, p, sizeof fn);
    fn(n, p + sizeof fn, len - sizeof fn, net_pass_time(n));
}

int net_loops_send(net_conn *c, uint8_t opcode, const void *data, size_t len)
{
    if (c->gone)
        return -1;
    put(outbox_of(c), c, opcode == WS_OP_TEXT ? M_SEND_TEXT : M_SEND_BINARY, data, len, false);
    return 0;
}

void net_loops_close(net_conn *c, const char *reason)
{
    if (c->gone)
        return;
    const char *r = reason ? reason : "";
    put(outbox_of(c), c, M_CLOSE, r, strlen(r), true);
}

void net_loops_admit(net_conn *c)
{
    if (!c->gone)
        put(outbox_of(c), c, M_ADMIT, NULL, 0, false);
}

/* Home hears a lent connection's close: what a single loop's net_conn_kill does there
 * (on_close, the count, the caps). Once only. */
static void hear_close(net *home, net_conn *c)
{
    if (c->gone)
        return;
    c->gone = true;
    if (c->opened) {
        if (home->h.on_close)
            home->h.on_close(c, net_pass_time(home), home->ud);
        home->stats.connections_open--;
    }
    net_listen_closed(home, c);
    home->lent_open[c->loop]--;
}

/* A closed connection a worker kept for home's word (M_FREE) is freed. */
static void free_held(net *w, net_conn *c)
{
    if (c->on_held)
        net_conn_list_remove(&w->held, c);
    c->on_held = false;
    net_conn_free(c);
}

static void hold(net *w, net_conn *c)
{
    net_conn_list_push(&w->held, c);
    c->on_held = true;
}

/* M_CLOSED: heard, then freed by its worker (or here, once the workers have ended). */
static void home_closed(net *home, net_conn *c)
{
    if (c->gone)
        return;
    hear_close(home, c);
    if (home->joined) { /* its worker has ended: nobody else will */
        free_held(home->workers[c->loop - 1], c);
    } else {
        put(&home->outbox[c->loop - 1], c, M_FREE, NULL, 0, false);
    }
}

static void home_mail(net *home, const mail_head *h, uint8_t *p)
{
    net_conn *c = h->c;
    loop_time now = net_pass_time(home);
    switch ((mail_kind)h->kind) {
    case M_TEXT:
        if (!c->gone && home->h.on_text)
            home->h.on_text(c, (const char *)p, h->len - 1, now, home->ud);
        break;
    case M_BINARY:
        if (!c->gone && home->h.on_binary)
            home->h.on_binary(c, p, h->len - 1, now, home->ud);
        break;
    case M_RTT: {
        uint32_t ms;
        memcpy(&ms, p, sizeof ms);
        if (!c->gone && home->h.on_rtt)
            home->h.on_rtt(c, ms, now, home->ud);
        break;
    }
    case M_VIOLATION: {
        const char *kind = (const char *)p;
        const char *detail = kind + strlen(kind) + 1;
        if (!c->gone && home->h.on_violation)
            home->h.on_violation(c, kind, detail, now, home->ud);
        net_loops_close(c, detail); /* after what the handler sent; a no-op if it closed */
        break;
    }
    case M_CLOSED:
        home_closed(home, c);
        break;
    case M_CALL:
        run_call(home, p, h->len);
        break;
    case M_STATS: {
        int index;
        memcpy(&index, p, sizeof index);
        memcpy(&home->worker_stats[index - 1], p + sizeof index, sizeof(net_stats));
        break;
    }
    default:
        break;
    }
}

/* ---- a worker ---------------------------------------------------------------------------- */

static void adopt(net *w, net_conn *c)
{
    if (c->dead) { /* it died on home in the pass it was lent: home's M_FREE follows */
        hold(w, c);
        return;
    }
    if (net_conn_attach(w, c) != 0) {
        /* Out of kernel memory for the epoll entry: closed, as an accept that failed. */
        log_warn("connection %u: could not move it to event loop %d: %s", c->id, w->index,
                 strerror(errno));
        net_conn_list_push(&w->conns, c);
        net_conn_kill(c);
        return;
    }
    /* TLS may hold decrypted bytes no socket event will announce: read it next pass. */
    c->ready = true;
    c->ready_next = w->ready;
    w->ready = c;
}

static void worker_mail(net *w, const mail_head *h, uint8_t *p)
{
    net_conn *c = h->c;
    switch ((mail_kind)h->kind) {
    case M_ADOPT:
        adopt(w, c);
        break;
    case M_SEND_TEXT:
        net_conn_enqueue(c, WS_OP_TEXT, p, h->len);
        break;
    case M_SEND_BINARY:
        net_conn_enqueue(c, WS_OP_BINARY, p, h->len);
        break;
    case M_CLOSE:
        net_conn_close_now(c, (const char *)p);
        break;
    case M_ADMIT:
        c->admitted = true;
        break;
    case M_FREE:
        free_held(w, c);
        break;
    case M_CALL:
        run_call(w, p, h->len);
        break;
    case M_STOP:
        atomic_store_explicit(&w->stop, 1, memory_order_relaxed);
        break;
    default:
        break;
    }
}

void net_loops_closed(net *w, net_conn *c)
{
    c->bound = NULL;
    hold(w, c);
    put(&w->outbox[0], c, M_CLOSED, NULL, 0, false);
}

/* The handlers a worker's connections call: each a record for home. */
static void relay_text(net_conn *c, const char *msg, size_t len, loop_time now, void *ud)
{
    put(&((net *)ud)->outbox[0], c, M_TEXT, msg, len, true);
}

static void relay_binary(net_conn *c, const uint8_t *msg, size_t len, loop_time now, void *ud)
{
    if (c->bound && c->bound(c, msg, len, now, c->bound_ud))
        return;
    put(&((net *)ud)->outbox[0], c, M_BINARY, msg, len, true);
}

static void relay_rtt(net_conn *c, uint32_t rtt_ms, loop_time now, void *ud)
{
    put(&((net *)ud)->outbox[0], c, M_RTT, &rtt_ms, sizeof rtt_ms, false);
}

static void relay_violation(net_conn *c, const char *kind, const char *detail, loop_time now,
                            void *ud)
{
    put2(&((net *)ud)->outbox[0], c, M_VIOLATION, kind, strlen(kind) + 1, detail,
         strlen(detail), true);
}

/* The close itself is posted by net_loops_closed, after the socket is gone. */
static void relay_close(net_conn *c, loop_time now, void *ud) {}

/* Once a tick: the caller's tick, and the counters home adds to its own (net_get_stats). */
static void relay_tick(loop_time now, void *ud)
{
    net *w = ud;
    if (w->home->loop_hooks.tick)
        w->home->loop_hooks.tick(w, now, w->home->loop_hooks_ud);
    put2(&w->outbox[0], NULL, M_STATS, &w->index, sizeof w->index, &w->stats, sizeof w->stats,
         false);
}

static void relay_pass_end(loop_time now, void *ud)
{
    net *w = ud;
    if (w->home->loop_hooks.pass_end)
        w->home->loop_hooks.pass_end(w, now, w->home->loop_hooks_ud);
}

void net_here_bind(net_conn *c, net_bound_fn fn, void *ud)
{
    c->bound = fn;
    c->bound_ud = ud;
}

int net_here_send_text(net_conn *c, const char *msg, size_t len)
{
    return net_conn_enqueue(c, WS_OP_TEXT, msg, len);
}

int net_here_send_binary(net_conn *c, const void *msg, size_t len)
{
    return net_conn_enqueue(c, WS_OP_BINARY, msg, len);
}

static const net_handlers RELAY = {
    .on_text = relay_text,
    .on_binary = relay_binary,
    .on_violation = relay_violation,
    .on_close = relay_close,
    .on_rtt = relay_rtt,
    .on_tick = relay_tick,
    .on_pass_end = relay_pass_end,
};

/* ---- every loop ---------------------------------------------------------------------------- */

void net_loops_take(net *n)
{
    take(n);
    mail_walk walk = {n->taken.buf, n->taken.buf + n->taken.len};
    mail_head h;
    uint8_t *p;
    while (next_mail(&walk, &h, &p)) {
        if (n->home)
            worker_mail(n, &h, p);
        else
            home_mail(n, &h, p);
    }
    n->taken.len = 0;
    if (n->taken.cap > MBUF_KEEP) {
        free(n->taken.buf);
        n->taken.buf = NULL;
        n->taken.cap = 0;
    }
}

void net_loops_pass_end(net *n)
{
    if (n->home) {
        post(&n->home->inbox, &n->outbox[0]);
        return;
    }
    if (n->nworkers == 0)
        return;
    for (net_conn *c = n->lending, *next; c; c = next) {
        next = c->lend_next;
        c->lend_next = NULL;
        let_go(n, c);
    }
    n->lending = NULL;
    for (int i = 0; i < n->nworkers; i++)
        post(&n->workers[i]->inbox, &n->outbox[i]);
}

net_stats net_loops_stats(const net *n)
{
    net_stats s = n->stats;
    for (int i = 0; i < n->nworkers; i++) {
        const net_stats *w = &n->worker_stats[i];
        s.messages_in += w->messages_in;
        s.messages_out += w->messages_out;
        s.bytes_in += w->bytes_in;
        s.bytes_out += w->bytes_out;
        s.violations += w->violations;
        s.hello_timeouts += w->hello_timeouts;
    }
    return s;
}

/* ---- making, running and ending the workers ------------------------------------------------ */

static int mailbox_open(net *n)
{
    n->inbox.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (n->inbox.efd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = &n->inbox};
    return epoll_ctl(n->ep, EPOLL_CTL_ADD, n->inbox.efd, &ev);
}

static void worker_free(net *w)
{
    if (w->inbox.efd >= 0)
        close(w->inbox.efd);
    pthread_mutex_destroy(&w->inbox.mu);
    if (w->ep >= 0)
        close(w->ep);
    free(w->inbox.posted.buf);
    free(w->taken.buf);
    if (w->outbox)
        free(w->outbox[0].buf);
    free(w->outbox);
    free(w->scratch);
    free(w);
}

static net *worker_new(net *home, int index)
{
    net *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->inbox.mu, NULL);
    w->cfg = home->cfg;
    w->h = RELAY;
    w->ud = w;
    w->home = home;
    w->index = index;
    w->listen_fd = -1;
    w->hello_log.what = "connections closed for sending no hello";
    w->refuse_log.what = "connections refused";
    w->accept_log.what = "accept failures";
    w->inbox.efd = -1;
    w->ep = -1;
    w->scratch = malloc(NET_SCRATCH + 1);
    w->outbox = calloc(1, sizeof *w->outbox);
    if (w->scratch && w->outbox)
        w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!w->scratch || !w->outbox || w->ep < 0 || mailbox_open(w) != 0) {
        worker_free(w);
        return NULL;
    }
    w->next_tick_ms = clock_mono_ms() + w->cfg.tick_ms;
    return w;
}

int net_loops_create(net *home)
{
    int loops = home->cfg.loops;
    home->inbox.efd = -1;
    if (loops <= 1)
        return 0;
    if (loops > MAX_LOOPS)
        loops = MAX_LOOPS;
    int nw = loops - 1;
    pthread_mutex_init(&home->inbox.mu, NULL);
    home->workers = calloc((size_t)nw, sizeof *home->workers);
    home->outbox = calloc((size_t)nw, sizeof *home->outbox);
    home->lent_open = calloc((size_t)loops, sizeof *home->lent_open);
    home->worker_stats = calloc((size_t)nw, sizeof *home->worker_stats);
    if (!home->workers || !home->outbox || !home->lent_open || !home->worker_stats ||
        mailbox_open(home) != 0)
        return -1;
    for (int i = 0; i < nw; i++) {
        home->workers[i] = worker_new(home, i + 1);
        if (!home->workers[i])
            return -1;
        home->nworkers = i + 1;
    }
    return 0;
}

static void *worker_main(void *arg)
{
    net *w = arg;
    if (net_run(w) != 0)
        log_error("event loop %d failed: its connections are closed at shutdown", w->index);
    return NULL;
}

int net_loops_start(net *home)
{
    if (home->nworkers == 0 || home->started)
        return 0;
    /* The server's signals (SIGINT, SIGTERM, SIGHUP) are home's to take. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = 0;
    for (int i = 0; i < home->nworkers && rc == 0; i++) {
        rc = pthread_create(&home->workers[i]->thread, NULL, worker_main, home->workers[i]);
        if (rc == 0) {
            home->workers[i]->started = true;
            char name[24]; /* top -H and /proc/PID/task/TID/comm show it; 15 at most */
            snprintf(name, sizeof name, "cohort-loop%d", i + 1);
            name[15] = '\0';
            pthread_setname_np(home->workers[i]->thread, name);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    home->started = true;
    if (rc != 0) {
        log_error("could not start the event loops: %s", strerror(rc));
        net_loops_join(home);
        return -1;
    }
    log_info("%d event loops: home and %d for the WebSockets lent to them", home->nworkers + 1,
             home->nworkers);
    return 0;
}

void net_loops_join(net *home)
{
    if (!home->started || home->joined)
        return;
    for (int i = 0; i < home->nworkers; i++) {
        put(&home->outbox[i], NULL, M_STOP, NULL, 0, false);
        post(&home->workers[i]->inbox, &home->outbox[i]);
    }
    for (int i = 0; i < home->nworkers; i++)
        if (home->workers[i]->started)
            pthread_join(home->workers[i]->thread, NULL);
    home->joined = true;
    /* What they said last (texts, closes), heard in order: closes free at once now. */
    net_loops_take(home);
}

/* On home, with the workers ended: a connection a worker still had is closed as
 * net_conn_kill would, on_close and all. */
static void close_stranded(net *home, net_conn *c)
{
    if (c->fd >= 0) {
        if (c->ssl)
            SSL_free(c->ssl);
        c->ssl = NULL;
        close(c->fd);
        c->fd = -1;
    }
    c->dead = true;
    hear_close(home, c);
    net_conn_free(c);
}

void net_loops_destroy(net *home)
{
    if (home->home || !home->workers)
        return;
    net_loops_join(home);
    for (int i = 0; i < home->nworkers; i++) {
        net *w = home->workers[i];
        /* Mail the worker never took: a lend it never adopted, a free it never did. */
        net_mbuf *left[2] = {&w->inbox.posted, &home->outbox[i]};
        for (int j = 0; j < 2; j++) {
            mail_walk walk = {left[j]->buf, left[j]->buf + left[j]->len};
            mail_head h;
            uint8_t *p;
            while (next_mail(&walk, &h, &p)) {
                if (h.kind == M_ADOPT && !h.c->dead)
                    close_stranded(home, h.c);
                else if (h.kind == M_FREE)
                    free_held(w, h.c); /* one that died on home as it was lent, too */
            }
            left[j]->len = 0;
        }
        while (w->conns) {
            net_conn *c = w->conns;
            w->conns = c->next;
            close_stranded(home, c);
        }
        while (w->held) { /* closed there; home heard of most in net_loops_join's last take */
            net_conn *c = w->held;
            if (!c->gone)
                home_closed(home, c); /* takes it off the list and frees it */
            else
                free_held(w, c);
        }
        free(home->outbox[i].buf);
        worker_free(w);
    }
    free(home->workers);
    free(home->outbox);
    free(home->lent_open);
    free(home->worker_stats);
    home->workers = NULL;
    home->outbox = NULL;
    home->lent_open = NULL;
    home->worker_stats = NULL;
    home->nworkers = 0;
    if (home->inbox.efd >= 0)
        close(home->inbox.efd);
    pthread_mutex_destroy(&home->inbox.mu);
    home->inbox.efd = -1;
    free(home->inbox.posted.buf);
    free(home->taken.buf);
}
