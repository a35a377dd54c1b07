/*
 * The client side of TLS (RFC 3261 §26.2, RFC 5922): a context that
 * verifies the server's certificate against the system's CAs or a given
 * CA file, and for each connection an SSL bound to the host the request
 * was sent to. Only setup and diagnosis live here; the caller drives the
 * handshake and the I/O on its own socket (blocking, poll or event loop),
 * so the daemon can use the same context for outbound TLS.
 */
#ifndef SW_TRANSPORT_TLS_H
#define SW_TRANSPORT_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "transport/transport.h"

struct transport_tls_client_conf {
    const char *ca_file;   /* PEM CA certificates; NULL: the system's */
    const char *cert_file; /* PEM client certificate chain; NULL: none */
    const char *key_file;  /* its private key; NULL: in cert_file */
    bool insecure;         /* complete the handshake whatever the server
                            * presents (verification still runs, and its
                            * verdict is reported, but does not refuse) */
};

/**
 * A client context: TLS 1.2 and later, peer verification on (unless
 * insecure). 0, or -EINVAL with a message naming the file in err.
 */
int transport_tls_client_new(struct transport_tls **tp,
    const struct transport_tls_client_conf *c, char *err, size_t errlen);

/**
 * An SSL in connect state on the connected socket fd, whose certificate
 * must be for host: a DNS name (also sent as SNI) or an IP literal
 * (without brackets), matched against the subjectAltName. 0 or -ENOMEM.
 */
int transport_tls_client_ssl(
    struct transport_tls *t, int fd, const char *host, SSL **sslp);

/* Why a handshake failed, for callers that advise on the fix. */
enum transport_tls_fail {
    TRANSPORT_TLS_OK,
    TRANSPORT_TLS_UNTRUSTED,     /* no chain to a trusted CA */
    TRANSPORT_TLS_NAME_MISMATCH, /* not issued for the host */
    TRANSPORT_TLS_BAD_CERT,      /* expired, not yet valid, ... */
    TRANSPORT_TLS_HANDSHAKE,     /* the protocol failed or the peer left */
};

/**
 * One line naming why SSL_connect() returned ret: the certificate is not
 * trusted, is for another name (listing those it has), has expired, or the
 * handshake itself failed (and why). sys_errno: errno right after the
 * call. Returns the kind of failure.
 */
enum transport_tls_fail transport_tls_connect_error(
    SSL *ssl, int ret, int sys_errno, char *err, size_t errlen);

/**
 * After a completed handshake: protocol, cipher, the server certificate's
 * subject and issuer, and whether it was verified (for an insecure
 * context: what verification would have said).
 */
void transport_tls_describe(SSL *ssl, char *buf, size_t size);

/** Whether the server asked for a client certificate and none was sent. */
bool transport_tls_cert_asked(SSL *ssl);

/** Whether the completed handshake's certificate passed verification. */
bool transport_tls_verified(SSL *ssl);

#endif
