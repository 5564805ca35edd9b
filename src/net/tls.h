/*
 * HTTPS and WSS on the one port, with OpenSSL: a server context made from PEM files, and
 * non-blocking reads and writes on one connection's SSL. Private to src/net.
 *
 * Every connection on a TLS port is TLS. A renewed certificate (net_reload_tls) makes a new
 * context for new connections; an SSL holds a reference to the context it was made from,
 * so open connections keep theirs, and the old context goes when its last one closes.
 */
#ifndef COHORT_NET_TLS_H
#define COHORT_NET_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/types.h>

/* TLS 1.2 and up, HTTP/1.1 only (ALPN: a browser never tries WebSockets over HTTP/2).
 * NULL, with why filled, when a file does not load or the key does not match. */
SSL_CTX *net_tls_context(const char *cert, const char *key, char *why, size_t whylen);

enum {
    NET_IO_AGAIN = -1,   /* nothing now: wait for the socket */
    NET_IO_CLOSED = -2,  /* the peer closed, or the connection failed */
};

/* The handshake, as far as it goes without waiting: 1 done, 0 not yet, NET_IO_CLOSED. */
int net_tls_handshake(SSL *ssl);
/* Like read(2) and write(2): bytes moved, or NET_IO_AGAIN / NET_IO_CLOSED. */
ssize_t net_tls_read(SSL *ssl, void *buf, size_t len);
ssize_t net_tls_write(SSL *ssl, const void *buf, size_t len);

#endif
