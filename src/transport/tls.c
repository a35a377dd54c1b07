/* The TLS server context: OpenSSL, TLS 1.2 and later. */
#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>

#include "transport/transport_int.h"

static void
ssl_err(char *err, size_t errlen, const char *what, const char *file)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256];

    ERR_error_string_n(e, buf, sizeof(buf));
    snprintf(err, errlen, "%s %s: %s", what, file, e ? buf : "failed");
    ERR_clear_error();
}

int
transport_tls_new(struct transport_tls **tp, const struct transport_conf *c,
    char *err, size_t errlen)
{
    struct transport_tls *t;
    int rc = -EINVAL;

    if (!c->tls_cert[0] || !c->tls_key[0]) {
        snprintf(err, errlen,
            "tls listeners need transport.tls_cert and transport.tls_key");
        return -EINVAL;
    }
    if (c->tls_verify_client && !c->tls_ca[0]) {
        snprintf(
            err, errlen, "transport.tls_verify_client needs transport.tls_ca");
        return -EINVAL;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        return -ENOMEM;
    }
    t->ctx = SSL_CTX_new(TLS_server_method());
    if (!t->ctx) {
        ssl_err(err, errlen, "TLS", "context");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(t->ctx,
        SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION
            | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(t->ctx, c->tls_cert) != 1) {
        ssl_err(err, errlen, "transport.tls_cert: cannot load", c->tls_cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ctx, c->tls_key, SSL_FILETYPE_PEM)
        != 1) {
        ssl_err(err, errlen, "transport.tls_key: cannot load", c->tls_key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(t->ctx) != 1) {
        ssl_err(err, errlen, "transport.tls_key: does not match", c->tls_cert);
        goto fail;
    }
    if (c->tls_ca[0]) {
        if (SSL_CTX_load_verify_locations(t->ctx, c->tls_ca, NULL) != 1) {
            ssl_err(err, errlen, "transport.tls_ca: cannot load", c->tls_ca);
            goto fail;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->tls_ca);
        if (names) {
            SSL_CTX_set_client_CA_list(t->ctx, names);
        }
    }
    if (c->tls_verify_client) {
        SSL_CTX_set_verify(
            t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    *tp = t;
    return 0;
fail:
    transport_tls_free(t);
    return rc;
}

void
transport_tls_free(struct transport_tls *t)
{
    if (t) {
        SSL_CTX_free(t->ctx);
        free(t);
    }
}
