#include "wsclient.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/clock.h"

#define CONNECT_TIMEOUT_US 10000000 /* TCP connect + upgrade */
#define CLOSE_TIMEOUT_US 2000000    /* our close frame until the server's answer */
#define SWEEP_US 100000             /* timeouts are checked this often */
#define MAX_MESSAGE (1u << 20)      /* bigger messages from the server: protocol error */
#define MAX_OUT (1u << 20)          /* queued output bytes at most */
#define READ_CHUNK 16384
#define MAX_EVENTS 256

typedef enum { WS_IDLE, WS_CONNECTING, WS_HANDSHAKE, WS_OPEN, WS_CLOSING, WS_DEAD } ws_state;

typedef struct {
    uint8_t *p;
    size_t len, off, cap; /* live bytes are p[off .. len) */
} buf;

struct wsconn {
    wsloop *loop;
    const ws_callbacks *cb;
    void *ud;
    int fd;
    ws_state state;
    bool opened;        /* reached WS_OPEN in this attempt */
    bool want_out;      /* EPOLLOUT registered */
    bool user_closed;   /* wsconn_close was called: deliver no more messages */
    int64_t deadline;   /* connect/handshake/close timeout, 0 none */
    char why[96];       /* WS_DEAD: the cause handed to on_closed */
    char request[512];  /* the upgrade request, sent once connected */
    buf in, out, frag;
    int frag_op;        /* opcode of the message being reassembled, 0 none */
    wsconn *next_dead;
    int slot;           /* index in loop->conns */
};

struct wsloop {
    int ep;
    wsconn **conns;
    int nconns, cap;
    wsconn *dead;       /* on_closed pending, delivered at the end of wsloop_poll */
    int64_t next_sweep;
    uint32_t rng;
    ws_stats st;
};

/* ---- buffers ---------------------------------------------------------------------- */

static int buf_reserve(buf *b, size_t more)
{
    if (b->off > 0 && (b->off == b->len || b->len + more > b->cap)) {
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_append(buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return -1;
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

static void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Keep a small buffer between connections, give back a big one. */
static void buf_reset(buf *b)
{
    b->len = b->off = 0;
    if (b->cap > 65536)
        buf_free(b);
}

/* ---- loop ------------------------------------------------------------------------- */

wsloop *wsloop_new(void)
{
    wsloop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0) {
        free(l);
        return NULL;
    }
    l->rng = (uint32_t)clock_mono_us() | 1u;
    return l;
}

void wsloop_free(wsloop *l)
{
    if (!l)
        return;
    close(l->ep);
    free(l->conns);
    free(l);
}

ws_stats wsloop_stats(const wsloop *l) { return l->st; }

static uint32_t rng32(wsloop *l)
{
    uint32_t x = l->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return l->rng = x;
}

static void kill_conn(wsconn *c, const char *why);

static void set_out_interest(wsconn *c, bool want)
{
    if (c->fd < 0 || c->want_out == want)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(c->loop->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
        kill_conn(c, "epoll_ctl failed"); /* else queued output would stall unseen */
        return;
    }
    c->want_out = want;
}

/* The connection is over: close the socket now, tell the owner at the end of the pass. */
static void kill_conn(wsconn *c, const char *why)
{
    if (c->state == WS_DEAD || c->state == WS_IDLE)
        return;
    if (c->fd >= 0) {
        epoll_ctl(c->loop->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->want_out = false;
    c->state = WS_DEAD;
    c->deadline = 0;
    snprintf(c->why, sizeof c->why, "%s", why);
    c->next_dead = c->loop->dead;
    c->loop->dead = c;
}

/* Writes queued output; false if the connection died. */
static bool flush_out(wsconn *c)
{
    buf *o = &c->out;
    while (o->off < o->len) {
        ssize_t n = send(c->fd, o->p + o->off, o->len - o->off, MSG_NOSIGNAL);
        if (n > 0) {
            o->off += (size_t)n;
            c->loop->st.bytes_out += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_out_interest(c, true);
            return true;
        }
        kill_conn(c, "write failed");
        return false;
    }
    o->off = o->len = 0;
    set_out_interest(c, c->state == WS_CONNECTING);
    return true;
}

/* Appends one masked client frame to the output and tries to send it. */
static int send_frame(wsconn *c, int opcode, const void *data, size_t len)
{
    if (c->out.len - c->out.off + len > MAX_OUT)
        return -1;
    uint8_t hdr[14];
    size_t h = 0;
    hdr[h++] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        hdr[h++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (uint8_t)(len >> 8);
        hdr[h++] = (uint8_t)len;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint32_t key = rng32(c->loop);
    uint8_t mask[4] = {(uint8_t)key, (uint8_t)(key >> 8), (uint8_t)(key >> 16), (uint8_t)(key >> 24)};
    memcpy(hdr + h, mask, 4);
    h += 4;
    if (buf_reserve(&c->out, h + len) != 0)
        return -1;
    uint8_t *dst = c->out.p + c->out.len;
    memcpy(dst, hdr, h);
    const uint8_t *src = data;
    for (size_t i = 0; i < len; i++)
        dst[h + i] = src[i] ^ mask[i & 3];
    c->out.len += h + len;
    c->loop->st.frames_out++;
    if (!c->want_out)
        flush_out(c);
    return 0;
}

/* ---- connections ------------------------------------------------------------------ */

wsconn *wsconn_new(wsloop *l, const ws_callbacks *cb, void *ud)
{
    wsconn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (l->nconns == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        wsconn **grown = realloc(l->conns, (size_t)cap * sizeof *grown);
        if (!grown) {
            free(c);
            return NULL;
        }
        l->conns = grown;
        l->cap = cap;
    }
    c->loop = l;
    c->cb = cb;
    c->ud = ud;
    c->fd = -1;
    c->slot = l->nconns;
    l->conns[l->nconns++] = c;
    return c;
}

void wsconn_free(wsconn *c)
{
    if (!c)
        return;
    wsloop *l = c->loop;
    if (c->fd >= 0) {
        epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    for (wsconn **p = &l->dead; *p; p = &(*p)->next_dead)
        if (*p == c) {
            *p = c->next_dead;
            break;
        }
    l->conns[c->slot] = l->conns[--l->nconns];
    l->conns[c->slot]->slot = c->slot;
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->frag);
    free(c);
}

bool wsconn_busy(const wsconn *c) { return c->state != WS_IDLE; }

int wsconn_connect(wsconn *c, const struct sockaddr_in *addr, const char *host, const char *path)
{
    if (c->state != WS_IDLE)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buf_reset(&c->in);
    buf_reset(&c->out);
    buf_reset(&c->frag);
    c->frag_op = 0;
    c->opened = false;
    c->user_closed = false;
    c->fd = fd;
    c->state = WS_CONNECTING;
    c->deadline = clock_mono_us() + CONNECT_TIMEOUT_US;
    c->want_out = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(c->loop->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        c->fd = -1;
        c->state = WS_IDLE;
        return -1;
    }
    /* The key only has to be 16 bytes in base64; the server echoes a hash of it. */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char key[25];
    for (int i = 0; i < 21; i++)
        key[i] = b64[rng32(c->loop) & 63];
    key[21] = b64[rng32(c->loop) & 48]; /* 16 bytes: the last sextet has 2 low zero bits */
    key[22] = key[23] = '=';
    key[24] = '\0';
    snprintf(c->request, sizeof c->request,
             "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://%s\r\n\r\n",
             path, host, key, host);
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 && errno != EINPROGRESS) {
        char why[64];
        snprintf(why, sizeof why, "connect: %s", strerror(errno));
        kill_conn(c, why);
    }
    return 0;
}

int wsconn_send(wsconn *c, bool binary, const void *data, size_t len)
{
    if (c->state != WS_OPEN)
        return -1;
    return send_frame(c, binary ? 2 : 1, data, len) == 0 ? 0 : -2;
}

void wsconn_close(wsconn *c)
{
    c->user_closed = true;
    if (c->state == WS_OPEN) {
        uint8_t status[2] = {1000 >> 8, 1000 & 0xff};
        c->state = WS_CLOSING;
        c->deadline = clock_mono_us() + CLOSE_TIMEOUT_US;
        if (send_frame(c, 8, status, 2) != 0)
            kill_conn(c, "closed");
    } else if (c->state == WS_CONNECTING || c->state == WS_HANDSHAKE) {
        kill_conn(c, "closed before open");
    }
}


/* ---- reading ---------------------------------------------------------------------- */

static void deliver(wsconn *c, int op, const uint8_t *p, size_t len)
{
    c->loop->st.frames_in++;
    if (!c->user_closed && c->state == WS_OPEN)
        c->cb->on_message(c->ud, op == 2, p, len);
}

/* Parses complete frames from c->in; false if the connection died. */
static bool parse_frames(wsconn *c)
{
    buf *b = &c->in;
    while (c->state == WS_OPEN || c->state == WS_CLOSING) {
        size_t avail = b->len - b->off;
        const uint8_t *p = b->p + b->off;
        if (avail < 2)
            break;
        bool fin = p[0] & 0x80;
        int op = p[0] & 0x0f;
        size_t h = 2;
        uint64_t len = p[1] & 0x7f;
        if (p[1] & 0x80) {
            kill_conn(c, "masked frame from server");
            return false;
        }
        if (len == 126) {
            if (avail < 4)
                break;
            len = (uint64_t)p[2] << 8 | p[3];
            h = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | p[2 + i];
            h = 10;
        }
        if (len > MAX_MESSAGE) {
            kill_conn(c, "message too big");
            return false;
        }
        if (avail < h + len)
            break;
        const uint8_t *pl = p + h;
        b->off += h + (size_t)len;
        switch (op) {
        case 1:
        case 2:
            if (c->frag_op) {
                kill_conn(c, "interleaved message");
                return false;
            }
            if (fin) {
                deliver(c, op, pl, (size_t)len);
            } else {
                c->frag.len = c->frag.off = 0;
                c->frag_op = op;
                if (buf_append(&c->frag, pl, (size_t)len) != 0) {
                    kill_conn(c, "out of memory");
                    return false;
                }
            }
            break;
        case 0:
            if (!c->frag_op || c->frag.len + len > MAX_MESSAGE ||
                buf_append(&c->frag, pl, (size_t)len) != 0) {
                kill_conn(c, "bad continuation");
                return false;
            }
            if (fin) {
                int fop = c->frag_op;
                c->frag_op = 0;
                deliver(c, fop, c->frag.p, c->frag.len);
                c->frag.len = 0;
            }
            break;
        case 8: {
            char why[96];
            unsigned code = len >= 2 ? (unsigned)pl[0] << 8 | pl[1] : 1005;
            int rl = len > 2 ? (int)(len - 2 < 60 ? len - 2 : 60) : 0;
            snprintf(why, sizeof why, "closed by server (%u%s%.*s)", code, rl ? " " : "", rl,
                     (const char *)pl + 2);
            if (c->state == WS_OPEN) {
                uint8_t status[2] = {0, 0};
                if (len >= 2)
                    memcpy(status, pl, 2);
                send_frame(c, 8, status, len >= 2 ? 2 : 0); /* echo the close, best effort */
            }
            kill_conn(c, c->state == WS_CLOSING ? "closed" : why);
            return false;
        }
        case 9:
            c->loop->st.pings++;
            if (c->state == WS_OPEN)
                send_frame(c, 10, pl, (size_t)len);
            break;
        case 10:
            break;
        default:
            kill_conn(c, "unknown opcode");
            return false;
        }
    }
    if (b->off == b->len)
        b->off = b->len = 0;
    return true;
}

/* The upgrade response; false if the connection died. */
static bool parse_handshake(wsconn *c)
{
    buf *b = &c->in;
    size_t avail = b->len - b->off;
    const char *p = (const char *)b->p + b->off;
    const char *end = avail >= 4 ? memmem(p, avail, "\r\n\r\n", 4) : NULL;
    if (!end) {
        if (avail > 8192)
            kill_conn(c, "handshake too long");
        return c->state != WS_DEAD;
    }
    if (avail < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
        char why[96];
        const char *eol = memchr(p, '\r', avail);
        int n = eol ? (int)(eol - p) : 0;
        snprintf(why, sizeof why, "upgrade refused: %.*s", n > 60 ? 60 : n, p);
        kill_conn(c, why);
        return false;
    }
    b->off += (size_t)(end + 4 - p);
    c->state = WS_OPEN;
    c->opened = true;
    c->deadline = 0;
    c->cb->on_open(c->ud);
    return c->state != WS_DEAD;
}

static void on_readable(wsconn *c)
{
    for (int round = 0; round < 4 && c->fd >= 0; round++) {
        if (buf_reserve(&c->in, READ_CHUNK) != 0) {
            kill_conn(c, "out of memory");
            return;
        }
        ssize_t n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
        if (n == 0) {
            kill_conn(c, c->state == WS_CLOSING ? "closed" : "connection closed by server");
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                kill_conn(c, "read failed");
            return;
        }
        c->in.len += (size_t)n;
        c->loop->st.bytes_in += (uint64_t)n;
        if (c->state == WS_HANDSHAKE && !parse_handshake(c))
            return;
        if ((c->state == WS_OPEN || c->state == WS_CLOSING) && !parse_frames(c))
            return;
        if ((size_t)n < READ_CHUNK)
            return; /* drained */
    }
}

static void on_writable(wsconn *c)
{
    if (c->state == WS_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            char why[64];
            snprintf(why, sizeof why, "connect: %s", strerror(err ? err : errno));
            kill_conn(c, why);
            return;
        }
        c->state = WS_HANDSHAKE;
        if (buf_append(&c->out, c->request, strlen(c->request)) != 0) {
            kill_conn(c, "out of memory");
            return;
        }
    }
    flush_out(c);
}

static void sweep(wsloop *l, int64_t now)
{
    for (int i = 0; i < l->nconns; i++) {
        wsconn *c = l->conns[i];
        if (c->deadline && now >= c->deadline)
            kill_conn(c, c->state == WS_CLOSING ? "closed" : "connect timeout");
    }
}

static void deliver_dead(wsloop *l)
{
    while (l->dead) {
        wsconn *c = l->dead;
        l->dead = c->next_dead;
        c->next_dead = NULL;
        c->state = WS_IDLE;
        c->cb->on_closed(c->ud, !c->opened, c->why); /* may connect again */
    }
}

int wsloop_poll(wsloop *l, int64_t deadline_us)
{
    struct epoll_event evs[MAX_EVENTS];
    int64_t now = clock_mono_us();
    deliver_dead(l);
    int timeout_ms = 0;
    if (deadline_us > now) {
        int64_t wait = deadline_us - now;
        if (l->next_sweep > now && l->next_sweep - now < wait)
            wait = l->next_sweep - now;
        timeout_ms = (int)((wait + 999) / 1000); /* never early: round up */
    }
    int n = epoll_wait(l->ep, evs, MAX_EVENTS, timeout_ms);
    if (n < 0 && errno != EINTR)
        return -1;
    for (int i = 0; i < n; i++) {
        wsconn *c = evs[i].data.ptr;
        if (c->state == WS_DEAD || c->fd < 0)
            continue;
        uint32_t e = evs[i].events;
        if (e & (EPOLLIN | EPOLLHUP | EPOLLERR))
            on_readable(c);
        if (c->fd >= 0 && c->state != WS_DEAD && (e & EPOLLOUT))
            on_writable(c);
        if (c->fd >= 0 && c->state != WS_DEAD && (e & (EPOLLHUP | EPOLLERR)) && !(e & EPOLLIN))
            kill_conn(c, "connection reset");
    }
    now = clock_mono_us();
    if (now >= l->next_sweep) {
        sweep(l, now);
        l->next_sweep = now + SWEEP_US;
    }
    deliver_dead(l);
    return n < 0 ? 0 : n;
}
