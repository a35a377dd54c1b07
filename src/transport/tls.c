/* TLS contexts, server and client: OpenSSL, TLS 1.2 and later. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport/tls.h"
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

/* ---- the client side ---- */

/*
 * The server's certificate, kept by the verify callback: after a failed
 * handshake OpenSSL no longer hands it out, and a name mismatch is only
 * useful to the user with the names the certificate does have.
 */
static int leaf_idx = -1, asked_idx = -1;
static pthread_once_t leaf_once = PTHREAD_ONCE_INIT;

static void
leaf_free(
    void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void) parent;
    (void) ad;
    (void) idx;
    (void) argl;
    (void) argp;
    X509_free(ptr);
}

static void
leaf_init(void)
{
    leaf_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, leaf_free);
    asked_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* Called when the server asks for a certificate and we have none: note
 * it, since a TLS 1.3 server refuses us only after our handshake ends. */
static int
note_cert_asked(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    (void) x509;
    (void) pkey;
    if (asked_idx >= 0) {
        SSL_set_ex_data(ssl, asked_idx, ssl);
    }
    return 0;
}

bool
transport_tls_cert_asked(SSL *ssl)
{
    return asked_idx >= 0 && SSL_get_ex_data(ssl, asked_idx) != NULL;
}

static int
keep_leaf(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl =
        X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);

    if (ssl && leaf && leaf_idx >= 0 && !SSL_get_ex_data(ssl, leaf_idx)
        && X509_up_ref(leaf) == 1) {
        SSL_set_ex_data(ssl, leaf_idx, leaf);
    }
    return ok;
}

/* The server's certificate, during or after the handshake; NULL if none. */
static X509 *
server_cert(SSL *ssl)
{
    X509 *c = SSL_get0_peer_certificate(ssl);

    return c ? c : leaf_idx >= 0 ? SSL_get_ex_data(ssl, leaf_idx) : NULL;
}

/* false with a message naming path when it cannot be read. */
static bool
readable(const char *path, const char *what, char *err, size_t errlen)
{
    if (access(path, R_OK) == 0) {
        return true;
    }
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return false;
}

int
transport_tls_client_new(struct transport_tls **tp,
    const struct transport_tls_client_conf *c, char *err, size_t errlen)
{
    struct transport_tls *t = calloc(1, sizeof(*t));

    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    err[0] = '\0';
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        ssl_err(err, errlen, "TLS", "context");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(
        t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (c->ca_file) {
        if (!readable(c->ca_file, "CA file", err, errlen)
            || SSL_CTX_load_verify_locations(t->ctx, c->ca_file, NULL) != 1) {
            if (!err[0]) {
                ssl_err(err, errlen, "cannot load the CA file", c->ca_file);
            }
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
        ssl_err(err, errlen, "TLS: cannot load", "the system's CAs");
        goto fail;
    }
    if (c->cert_file) {
        const char *key = c->key_file ? c->key_file : c->cert_file;
        if (!readable(c->cert_file, "certificate", err, errlen)
            || !readable(key, "key", err, errlen)) {
            goto fail;
        }
        if (SSL_CTX_use_certificate_chain_file(t->ctx, c->cert_file) != 1) {
            ssl_err(err, errlen, "cannot load the certificate", c->cert_file);
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1) {
            ssl_err(err, errlen, "no private key in", key);
            goto fail;
        }
        if (SSL_CTX_check_private_key(t->ctx) != 1) {
            ssl_err(err, errlen, "the key does not match", c->cert_file);
            goto fail;
        }
    }
    /* Insecure: verification still runs (SSL_get_verify_result tells what
     * it found) but never stops the handshake. */
    pthread_once(&leaf_once, leaf_init);
    if (!c->cert_file) {
        SSL_CTX_set_client_cert_cb(t->ctx, note_cert_asked);
    }
    SSL_CTX_set_verify(
        t->ctx, c->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, keep_leaf);
    *tp = t;
    return 0;
fail:
    transport_tls_free(t);
    return -EINVAL;
}

int
transport_tls_client_ssl(
    struct transport_tls *t, int fd, const char *host, SSL **sslp)
{
    unsigned char ip[16];
    bool is_ip =
        inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    SSL *ssl = SSL_new(t->ctx);
    int ok;

    if (!ssl) {
        return -ENOMEM;
    }
    ok = SSL_set_fd(ssl, fd);
    /* RFC 5922 §7: the server's identity is the host of the URI, matched
     * against the certificate's subjectAltName; SNI only for names (RFC
     * 6066 §3 forbids IP literals in it). */
    if (ok && is_ip) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    } else if (ok) {
        ok = SSL_set1_host(ssl, host)
            && SSL_set_tlsext_host_name(ssl, (char *) host);
    }
    if (!ok) {
        SSL_free(ssl);
        ERR_clear_error();
        return -ENOMEM;
    }
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
    SSL_set_connect_state(ssl);
    *sslp = ssl;
    return 0;
}

/* "IP:127.0.0.1, DNS:sip.example.com", or the CN when there is no SAN. */
static void
cert_names(X509 *cert, char *out, size_t size)
{
    GENERAL_NAMES *gens =
        X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    size_t off = 0;

    out[0] = '\0';
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && off < size; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char ipbuf[64];
        const char *sep = off ? ", " : "";
        if (g->type == GEN_DNS) {
            off += (size_t) snprintf(out + off, size - off, "%sDNS:%.*s", sep,
                ASN1_STRING_length(g->d.dNSName),
                (const char *) ASN1_STRING_get0_data(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            int len = ASN1_STRING_length(g->d.iPAddress);
            const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
            /* The length first: inet_ntop reads 4 or 16 bytes of a. */
            if ((len != 4 && len != 16)
                || !inet_ntop(
                    len == 16 ? AF_INET6 : AF_INET, a, ipbuf, sizeof(ipbuf))) {
                snprintf(ipbuf, sizeof(ipbuf), "?");
            }
            off +=
                (size_t) snprintf(out + off, size - off, "%sIP:%s", sep, ipbuf);
        }
    }
    GENERAL_NAMES_free(gens);
    if (!out[0]) {
        char cn[256];
        if (X509_NAME_get_text_by_NID(
                X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn))
            > 0) {
            snprintf(out, size, "CN=%s (no subjectAltName)", cn);
        } else {
            snprintf(out, size, "no name");
        }
    }
}

/* The verdict of a verification result v for a certificate (may be NULL). */
static enum transport_tls_fail
verify_verdict(long v, X509 *cert, char *out, size_t size)
{
    char names[512] = "";
    enum transport_tls_fail f = TRANSPORT_TLS_BAD_CERT;

    if (cert) {
        cert_names(cert, names, sizeof(names));
    }
    switch (v) {
    case X509_V_OK:
        snprintf(out, size, "verified");
        f = TRANSPORT_TLS_OK;
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        snprintf(out, size, "name mismatch: the certificate is for %s",
            names[0] ? names : "other names");
        f = TRANSPORT_TLS_NAME_MISMATCH;
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        snprintf(out, size, "certificate not trusted (%s)",
            X509_verify_cert_error_string(v));
        f = TRANSPORT_TLS_UNTRUSTED;
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        snprintf(out, size, "certificate %s",
            v == X509_V_ERR_CERT_HAS_EXPIRED ? "expired" : "not yet valid");
        break;
    default:
        snprintf(out, size, "certificate refused: %s",
            X509_verify_cert_error_string(v));
        break;
    }
    return f;
}

enum transport_tls_fail
transport_tls_connect_error(
    SSL *ssl, int ret, int sys_errno, char *err, size_t errlen)
{
    int e = SSL_get_error(ssl, ret);
    unsigned long oe = ERR_peek_last_error();
    long v = SSL_get_verify_result(ssl);
    enum transport_tls_fail f = TRANSPORT_TLS_HANDSHAKE;

    if (e == SSL_ERROR_SSL && v != X509_V_OK) {
        f = verify_verdict(v, server_cert(ssl), err, errlen);
    } else if (e == SSL_ERROR_SSL && oe) {
        /* The reason names the side: "tlsv1 alert unknown ca" is the
         * server refusing our certificate, "wrong version number" a peer
         * that does not speak TLS. */
        snprintf(err, errlen, "TLS handshake failed: %s",
            ERR_reason_error_string(oe) ? ERR_reason_error_string(oe)
                                        : "protocol error");
    } else if (e == SSL_ERROR_SYSCALL && sys_errno) {
        snprintf(err, errlen, "TLS handshake failed: %s", strerror(sys_errno));
    } else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
        snprintf(err, errlen,
            "TLS handshake failed: the server closed the connection");
    } else {
        snprintf(err, errlen, "TLS handshake failed (error %d)", e);
    }
    ERR_clear_error();
    return f;
}

bool
transport_tls_verified(SSL *ssl)
{
    return SSL_get0_peer_certificate(ssl)
        && SSL_get_verify_result(ssl) == X509_V_OK;
}

void
transport_tls_describe(SSL *ssl, char *buf, size_t size)
{
    X509 *cert = SSL_get0_peer_certificate(ssl);
    char subj[256] = "?", iss[256] = "?", verdict[640];
    bool insecure = SSL_get_verify_mode(ssl) == SSL_VERIFY_NONE;

    if (cert) {
        X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
        X509_NAME_oneline(X509_get_issuer_name(cert), iss, sizeof(iss));
        verify_verdict(
            SSL_get_verify_result(ssl), cert, verdict, sizeof(verdict));
    } else {
        snprintf(verdict, sizeof(verdict), "no server certificate");
    }
    snprintf(buf, size, "%s %s, server certificate %s issued by %s: %s%s",
        SSL_get_version(ssl), SSL_get_cipher_name(ssl), subj, iss,
        insecure && !transport_tls_verified(ssl)
            ? "NOT VERIFIED, would have been refused: "
            : "",
        verdict);
}
