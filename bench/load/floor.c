/*
 * The kernel's floor for cohort's traffic: a WebSocket echo server on bare epoll, with no
 * library between the sockets and the frames.
 *
 *   ws-floor [--port N]
 *
 * --port 0 (the default) picks a free port; it binds 127.0.0.1 only. Prints "listening on
 * http://127.0.0.1:PORT" once ready. Every WebSocket message comes back unchanged, the way
 * a transport at the floor would do it: each wake-up reads everything the socket has,
 * answers it into one buffer and sends that with one write; POLLOUT is asked for only when
 * a write comes back short, and dropped once the buffer is empty. No allocation per
 * message, no timer. bench/load/run drives it with `cohort bots ws://127.0.0.1:PORT/ws
 * --echo`, beside the libwebsockets echo (echo.c) and cohort itself: what the socket work of
 * that traffic costs at least on this machine.
 *
 * Not a server for anything else: one listening socket, RFC 6455 framing without
 * extensions, a 64 KiB message limit, a 4 MiB send buffer per connection (a client that
 * stops reading is cut off). The handshake's SHA-1 comes from libcrypto (OpenSSL): it runs
 * once per connection, off the measured path.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP (64 * 1024 + 16)  /* one whole frame at most, plus its header */
#define OUT_CAP (4 * 1024 * 1024)
#define MAX_EVENTS 512

typedef struct {
    int fd;
    int open;          /* the handshake is done */
    int want_out;      /* EPOLLOUT is armed */
    size_t in_len;
    size_t out_len;
    uint8_t *in;
    uint8_t *out;
} conn;

static volatile sig_atomic_t stop;
static int ep;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void drop(conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static int append(conn *c, const void *p, size_t n)
{
    if (c->out_len + n > OUT_CAP)
        return -1;
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

/* One write of everything queued; EPOLLOUT only while something is left. */
static int flush_out(conn *c)
{
    while (c->out_len > 0) {
        ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (w > 0) {
            memmove(c->out, c->out + w, c->out_len - (size_t)w);
            c->out_len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        return -1;
    }
    int want = c->out_len > 0;
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
            return -1;
        c->want_out = want;
    }
    return 0;
}

static int handshake(conn *c)
{
    uint8_t *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end)
        return c->in_len >= IN_CAP ? -1 : 0;
    *end = '\0';
    const char *key = NULL;
    for (char *line = (char *)c->in; line && *line;) {
        char *next = strstr(line, "\r\n");
        if (next)
            *next = '\0';
        if (strncasecmp(line, "Sec-WebSocket-Key:", 18) == 0) {
            key = line + 18;
            while (*key == ' ')
                key++;
        }
        line = next ? next + 2 : NULL;
    }
    if (!key)
        return -1;
    char joined[128];
    int n = snprintf(joined, sizeof joined, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    if (n <= 0 || (size_t)n >= sizeof joined)
        return -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!EVP_Digest(joined, (size_t)n, digest, &dlen, EVP_sha1(), NULL))
        return -1;
    char accept[64];
    EVP_EncodeBlock((unsigned char *)accept, digest, (int)dlen);
    char reply[256];
    int r = snprintf(reply, sizeof reply,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    size_t used = (size_t)(end + 4 - c->in);
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    c->open = 1;
    return append(c, reply, (size_t)r);
}

/* Answers every whole frame in the input buffer; keeps a partial one for the next read. */
static int frames(conn *c)
{
    size_t at = 0;
    while (c->in_len - at >= 2) {
        const uint8_t *p = c->in + at;
        int opcode = p[0] & 0x0f, masked = p[1] & 0x80;
        uint64_t len = p[1] & 0x7f;
        size_t head = 2;
        if (len == 126) {
            if (c->in_len - at < 4)
                break;
            len = (uint64_t)p[2] << 8 | p[3];
            head = 4;
        } else if (len == 127) {
            if (c->in_len - at < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | p[2 + i];
            head = 10;
        }
        if (!masked || len > IN_CAP - 16)
            return -1; /* clients must mask; and nothing this big is ours */
        if (c->in_len - at < head + 4 + len)
            break;
        const uint8_t *mask = p + head;
        uint8_t *payload = (uint8_t *)p + head + 4;
        for (uint64_t i = 0; i < len; i++)
            payload[i] ^= mask[i & 3];
        if (opcode == 8)
            return -1; /* close: the bots only close when they are done */
        if (opcode == 1 || opcode == 2 || opcode == 9) {
            uint8_t h[4] = {(uint8_t)(0x80 | (opcode == 9 ? 10 : opcode))};
            size_t hl = 2;
            if (len < 126) {
                h[1] = (uint8_t)len;
            } else {
                h[1] = 126;
                h[2] = (uint8_t)(len >> 8);
                h[3] = (uint8_t)len;
                hl = 4;
            }
            if (append(c, h, hl) != 0 || append(c, payload, (size_t)len) != 0)
                return -1;
        }
        at += head + 4 + len;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
    return 0;
}

static int on_readable(conn *c)
{
    for (;;) {
        if (c->in_len == IN_CAP)
            return -1;
        ssize_t r = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
        if (r > 0) {
            c->in_len += (size_t)r;
            if (!c->open && handshake(c) != 0)
                return -1;
            if (c->open && frames(c) != 0)
                return -1;
            continue;
        }
        if (r == 0)
            return -1;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        return -1;
    }
    return flush_out(c); /* everything this wake-up answered, in one write */
}

int main(int argc, char **argv)
{
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: ws-floor [--port N]\n");
            return 2;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4096) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        perror("ws-floor: listen");
        return 1;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    printf("listening on http://127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    struct epoll_event evs[MAX_EVENTS];
    while (!stop) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, 500);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                for (;;) {
                    int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0)
                        break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn *nc = calloc(1, sizeof *nc);
                    uint8_t *in = malloc(IN_CAP), *out = malloc(OUT_CAP);
                    if (!nc || !in || !out) {
                        free(nc), free(in), free(out), close(fd);
                        continue;
                    }
                    nc->fd = fd, nc->in = in, nc->out = out;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
                        drop(nc);
                }
                continue;
            }
            int bad = (evs[i].events & (EPOLLERR | EPOLLHUP)) != 0;
            if (!bad && (evs[i].events & EPOLLIN))
                bad = on_readable(c) != 0;
            if (!bad && (evs[i].events & EPOLLOUT))
                bad = flush_out(c) != 0;
            if (bad)
                drop(c);
        }
    }
    return 0;
}
