#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

static int select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                         const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl, (void)arg;
    static const unsigned char H11[] = "\x08http/1.1";
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, H11, sizeof H11 - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; /* no ALPN at all, or only h2: plain TLS, HTTP/1.1 */
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static void last_error(char *why, size_t whylen, const char *what, const char *file)
{
    unsigned long e = ERR_get_error();
    char buf[160] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(why, whylen, "%s %s: %s", what, file, e ? buf : strerror(errno));
    ERR_clear_error();
}

SSL_CTX *net_tls_context(const char *cert, const char *key, char *why, size_t whylen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        last_error(why, whylen, "TLS", "context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* A buffer handed to SSL_write may move and shrink between retries (the send buffer
     * grows and is compacted); partial writes let one big file chunk go out in pieces. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_alpn_select_cb(ctx, select_http11, NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        last_error(why, whylen, "certificate", cert);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        last_error(why, whylen, "key", key);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        last_error(why, whylen, "key does not match the certificate:", key);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* What an SSL call's failure means for us. */
static int outcome(SSL *ssl, int r)
{
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return NET_IO_AGAIN;
    if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR))
        return NET_IO_AGAIN;
    /* A peer's bad handshake is its problem, not a line in our log: it is only closed. */
    ERR_clear_error();
    return NET_IO_CLOSED;
}

int net_tls_handshake(SSL *ssl)
{
    int r = SSL_do_handshake(ssl);
    if (r == 1)
        return 1;
    return outcome(ssl, r) == NET_IO_AGAIN ? 0 : NET_IO_CLOSED;
}

ssize_t net_tls_read(SSL *ssl, void *buf, size_t len)
{
    size_t got = 0;
    int r = SSL_read_ex(ssl, buf, len, &got);
    if (r == 1)
        return (ssize_t)got;
    return outcome(ssl, r);
}

ssize_t net_tls_write(SSL *ssl, const void *buf, size_t len)
{
    size_t put = 0;
    int r = SSL_write_ex(ssl, buf, len, &put);
    if (r == 1)
        return (ssize_t)put;
    return outcome(ssl, r);
}
