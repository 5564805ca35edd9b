/*
 * The listening socket and the caps on connections: the open-file limit raised and the
 * total cap sized to it, the per-address cap, and what a trusted proxy's X-Forwarded-For
 * changes about both. A connection over a cap is refused at accept(), before anything is
 * allocated for it; when accept() itself fails for want of descriptors, accepting pauses
 * for ACCEPT_PAUSE_MS instead of spinning on the same failure (new connections wait in the
 * kernel's backlog meanwhile).
 *
 * Accounting: every accepted socket holds its address's net_peer from accept to close
 * (net_listen_closed), whatever kind of connection it became and however it ended.
 */
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/log.h"
#include "net_internal.h"

enum {
    ACCEPT_BATCH = 64,        /* accepts per wake: a storm must not starve the loop */
    ACCEPT_PAUSE_MS = 100,    /* how long accepts stop after EMFILE/ENFILE */
    FD_RESERVE_FIXED = 32,    /* see fd_reserve */
};

void ratelog_flush(ratelog *r, int64_t now_ms)
{
    if (!r->held || now_ms - r->last_ms < 1000)
        return;
    log_warn("%llu more %s in the last second; the latest: %s", (unsigned long long)r->held,
             r->what, r->latest);
    r->held = 0;
    r->last_ms = now_ms;
}

void ratelog_line(ratelog *r, int64_t now_ms, const char *fmt, ...)
{
    ratelog_flush(r, now_ms);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->latest, sizeof r->latest, fmt, ap);
    va_end(ap);
    if (r->ever && now_ms - r->last_ms < 1000) {
        r->held++;
        return;
    }
    r->ever = true;
    r->last_ms = now_ms;
    log_warn("%s", r->latest);
}

/* ---- the open-file limit ------------------------------------------------------------ */

/* Raises the soft limit to the hard one: a default host allows 1,024 descriptors, about a
 * thousand idle sockets. Returns the limit in force. Where the hard limit is unlimited or
 * above the kernel's nr_open, smaller steps are tried. */
static int raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    rlim_t was = rl.rlim_cur;
    const rlim_t steps[] = {rl.rlim_max, (rlim_t)1 << 20, (rlim_t)1 << 16};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && rl.rlim_cur < steps[i]; i++) {
        struct rlimit want = {.rlim_cur = steps[i], .rlim_max = rl.rlim_max};
        if (steps[i] != RLIM_INFINITY && steps[i] <= rl.rlim_max &&
            setrlimit(RLIMIT_NOFILE, &want) == 0) {
            rl.rlim_cur = steps[i];
            break;
        }
    }
    if (rl.rlim_cur > INT32_MAX)
        rl.rlim_cur = INT32_MAX;
    if (rl.rlim_cur > was)
        log_info("open-file limit raised from %llu to %llu", (unsigned long long)was,
                 (unsigned long long)rl.rlim_cur);
    else if (rl.rlim_cur >= rl.rlim_max)
        log_info("open-file limit %llu (the hard limit)", (unsigned long long)rl.rlim_cur);
    else
        log_warn("open-file limit %llu: could not raise it towards the hard limit %llu",
                 (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    return (int)rl.rlim_cur;
}

/* Descriptors kept for what is not a connection: stdio, the store's database (three with
 * WAL), episode and form files being written, the listening socket, the epoll set: 13 at
 * start, measured; 32 for them. And an eighth of the rest for the files that static-file
 * responses hold open while they are sent. */
static int fd_reserve(int limit)
{
    return FD_RESERVE_FIXED + (limit > FD_RESERVE_FIXED ? (limit - FD_RESERVE_FIXED) / 8 : 0);
}

/* The total cap: what was asked, lowered so that accepted sockets never use the last
 * descriptors (one more is needed to accept a connection only to refuse it). */
static int size_caps(net *n)
{
    int allowed = n->fd_limit - fd_reserve(n->fd_limit) - 1;
    if (allowed < 1)
        allowed = 1;
    int want = n->cfg.max_connections;
    if (want <= 0 || want > allowed) {
        if (want > allowed)
            log_warn("%d connections asked for, but the open-file limit (%d) allows %d: the "
                     "cap is %d (raise the hard limit, e.g. LimitNOFILE= in a systemd unit)",
                     want, n->fd_limit, allowed, allowed);
        want = allowed;
    }
    return want;
}

/* ---- the listening socket ----------------------------------------------------------- */

static int bind_listen(net *n)
{
    const char *host = n->cfg.host && strcmp(n->cfg.host, "0.0.0.0") != 0 ? n->cfg.host : NULL;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_family = host ? AF_UNSPEC : AF_INET};
    char port[8];
    snprintf(port, sizeof port, "%d", n->cfg.port);
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        log_error("cannot listen on %s: %s", host ? host : "0.0.0.0", gai_strerror(gai));
        errno = EINVAL;
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        /* The backlog is where connections wait while accepts are paused. */
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        errno = err;
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        n->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    n->listen_fd = fd;
    return 0;
}

int net_listen_open(net *n)
{
    n->listen_fd = -1;
    n->fd_limit = raise_fd_limit();
    n->max_connections = size_caps(n);
    if (n->cfg.trusted_proxies)
        n->trusted = *n->cfg.trusted_proxies;
    n->peers = net_peers_new((size_t)n->max_connections);
    if (!n->peers) {
        errno = ENOMEM;
        return -1;
    }
    return bind_listen(n);
}

int net_listen_start(net *n)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
    if (epoll_ctl(n->ep, EPOLL_CTL_ADD, n->listen_fd, &ev) != 0)
        return -1;
    char trusted[80] = "";
    if (n->trusted.n)
        snprintf(trusted, sizeof trusted, "; X-Forwarded-For believed from %d trusted-proxy "
                 "entries", n->trusted.n);
    log_info("connections: at most %d open, %d per address; hello within %d ms; HTTP headers "
             "within %d s%s",
             n->max_connections, n->cfg.max_per_address, n->cfg.hello_timeout_ms,
             n->cfg.http_header_timeout_s, trusted);
    return 0;
}

void net_listen_close(net *n)
{
    /* What the last second held back is still worth a line. */
    ratelog_flush(&n->refuse_log, INT64_MAX / 2);
    ratelog_flush(&n->accept_log, INT64_MAX / 2);
    ratelog_flush(&n->hello_log, INT64_MAX / 2);
    if (n->listen_fd >= 0)
        close(n->listen_fd);
    n->listen_fd = -1;
    net_peers_free(n->peers);
    n->peers = NULL;
}

/* ---- accepting ---------------------------------------------------------------------- */

void net_listen_tick(net *n, int64_t now_ms)
{
    if (!n->accept_paused || now_ms < n->accept_resume_ms)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(n->ep, EPOLL_CTL_ADD, n->listen_fd, &ev) == 0)
        n->accept_paused = false;
}

/* Out of descriptors (or kernel memory): accepting again at once would fail again at once,
 * a spin at 100% of a core. Stop watching the listening socket for a while instead. */
static void pause_accepts(net *n, int err)
{
    n->stats.accept_errors++;
    ratelog_line(&n->accept_log, net_pass_time(n).mono_ms,
                 "accept failed: %s; new connections wait %d ms in the kernel's queue",
                 strerror(err), ACCEPT_PAUSE_MS);
    if (n->accept_paused)
        return;
    n->accept_paused = true;
    n->accept_resume_ms = net_pass_time(n).mono_ms + ACCEPT_PAUSE_MS;
    epoll_ctl(n->ep, EPOLL_CTL_DEL, n->listen_fd, NULL);
}

static void refuse(net *n, int fd, const net_addr *a, const char *why)
{
    /* A reset rather than a FIN: nothing to say to it, and no TIME_WAIT left behind. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    n->stats.refused++;
    char addr[NET_ADDR_STRLEN];
    net_addr_format(a, addr);
    ratelog_line(&n->refuse_log, net_pass_time(n).mono_ms, "refused a connection from %s: %s",
                 addr, why);
}

static bool over_per_address(const net *n, const net_addr *a)
{
    return n->cfg.max_per_address > 0 && !net_trusted_has(&n->trusted, a) &&
           net_peers_count(n->peers, a) >= (uint32_t)n->cfg.max_per_address;
}

static bool is_loopback(const net_addr *a)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    return (net_addr_is_v4(a) && a->b[12] == 127) || memcmp(a->b, v6_loopback, 16) == 0;
}

static void take(net *n, int fd, const struct sockaddr *sa)
{
    net_addr a;
    if (!net_addr_from_sockaddr(sa, &a))
        memset(&a, 0, sizeof a);
    char why[160];
    if (n->sockets_open >= (uint32_t)n->max_connections) {
        snprintf(why, sizeof why, "%d connections open (the total cap)", n->max_connections);
        refuse(n, fd, &a, why);
        return;
    }
    if (over_per_address(n, &a)) {
        /* A reverse proxy on this machine that is not named makes every participant
         * 127.0.0.1: the likeliest cause of this line in a real study. */
        snprintf(why, sizeof why, "%d open from that address (the per-address cap)%s",
                 n->cfg.max_per_address,
                 is_loopback(&a) ? "; a proxy on this machine? name it with --trusted-proxy" : "");
        refuse(n, fd, &a, why);
        return;
    }
    net_peer *p = net_peers_acquire(n->peers, &a);
    if (!p) {
        refuse(n, fd, &a, "out of memory");
        return;
    }
    int one = 1; /* inputs leave at once */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    net_conn *c = net_conn_accepted(n, fd, p);
    if (!c) {
        net_peers_release(n->peers, p);
        close(fd);
        return;
    }
    n->sockets_open++;
}

void net_listen_readable(net *n)
{
    for (int i = 0; i < ACCEPT_BATCH && !n->accept_paused; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(n->listen_fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            take(n, fd, (struct sockaddr *)&ss);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue; /* that one went away while queued; the next may be fine */
        /* EMFILE, ENFILE, ENOBUFS, ENOMEM, or anything else: retrying now would spin. */
        pause_accepts(n, errno);
        return;
    }
}

/* ---- the accounting ----------------------------------------------------------------- */

void net_listen_closed(net *n, net_conn *c)
{
    if (!c->peer)
        return;
    net_peers_release(n->peers, c->peer);
    c->peer = NULL;
    n->sockets_open--;
}

int net_listen_upgrade(net *n, net_conn *c, const char *xff)
{
    size_t xff_len = strlen(xff);
    net_peer *p = c->peer;
    if (!p || !net_trusted_has(&n->trusted, &p->addr))
        return 0; /* the TCP peer is the participant, capped when it was accepted */
    net_addr client;
    if (xff_len == 0 || !net_forwarded_client(xff, xff_len, &n->trusted, &client) ||
        net_addr_equal(&client, &p->addr))
        return 0; /* no usable header: the proxy's own address, under the total cap only */
    if (over_per_address(n, &client)) {
        char why[80];
        snprintf(why, sizeof why, "%d open from that address (the per-address cap)",
                 n->cfg.max_per_address);
        n->stats.refused++;
        char addr[NET_ADDR_STRLEN];
        net_addr_format(&client, addr);
        ratelog_line(&n->refuse_log, net_pass_time(n).mono_ms,
                     "refused a WebSocket for %s (through a proxy): %s", addr, why);
        return 1;
    }
    net_peer *q = net_peers_acquire(n->peers, &client);
    if (!q)
        return 1;
    net_peers_release(n->peers, p); /* the socket now counts for the participant */
    c->peer = q;
    return 0;
}

void net_listen_client(net *n, net_conn *c, const char *xff, char *out, size_t len)
{
    size_t xff_len = strlen(xff);
    const net_peer *p = c->peer;
    net_addr client;
    if (p && xff_len > 0 && net_trusted_has(&n->trusted, &p->addr) &&
        net_forwarded_client(xff, xff_len, &n->trusted, &client)) {
        char addr[NET_ADDR_STRLEN];
        net_addr_format(&client, addr);
        snprintf(out, len, "%s", addr);
        return;
    }
    net_listen_peer(c, out, len);
}

void net_listen_peer(const net_conn *c, char *out, size_t len)
{
    char addr[NET_ADDR_STRLEN] = "?";
    if (c->peer)
        net_addr_format(&c->peer->addr, addr);
    snprintf(out, len, "%s", addr);
}
