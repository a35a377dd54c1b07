/*
 * The client TLS context (transport/tls.h) against an in-process server
 * over a socketpair: a certificate made at run time for IP:127.0.0.1 and
 * DNS:sip.test, trusted through a CA file or not, checked for the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/tls.h"

struct fix {
    EVP_PKEY *key;
    X509 *cert;
    SSL_CTX *server;
    char ca_path[64];
};

static X509 *
make_cert(EVP_PKEY *key)
{
    X509 *c = X509_new();
    X509V3_CTX v3;

    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
    X509_gmtime_adj(X509_getm_notBefore(c), -60);
    X509_gmtime_adj(X509_getm_notAfter(c), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
        (const unsigned char *) "sipward-test", -1, -1, 0);
    X509_set_issuer_name(c, X509_get_subject_name(c));
    X509_set_pubkey(c, key);
    X509V3_set_ctx(&v3, c, c, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(
        NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1,DNS:sip.test");
    X509_add_ext(c, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(c, key, EVP_sha256());
    return c;
}

static int
setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->key = EVP_EC_gen("P-256");
    assert_non_null(f->key);
    f->cert = make_cert(f->key);
    f->server = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(f->server, f->cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(f->server, f->key), 1);
    snprintf(f->ca_path, sizeof(f->ca_path), "/tmp/sw-tls-ca.XXXXXX");
    int fd = mkstemp(f->ca_path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    PEM_write_X509(fp, f->cert);
    fclose(fp);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *f = *state;

    unlink(f->ca_path);
    SSL_CTX_free(f->server);
    X509_free(f->cert);
    EVP_PKEY_free(f->key);
    free(f);
    return 0;
}

/*
 * Handshakes a client for host against the fixture's server. Returns the
 * kind of failure (TRANSPORT_TLS_OK when it completed); the reason or the
 * description in msg; *verified whether the certificate passed.
 */
static enum transport_tls_fail
handshake(struct fix *f, const struct transport_tls_client_conf *cc,
    const char *host, char *msg, size_t size, bool *verified)
{
    struct transport_tls *t = NULL;
    char err[256];
    int sv[2];
    SSL *cs, *ss;
    enum transport_tls_fail rc = TRANSPORT_TLS_HANDSHAKE;
    bool cdone = false, sdone = false;

    assert_int_equal(transport_tls_client_new(&t, cc, err, sizeof(err)), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    assert_int_equal(transport_tls_client_ssl(t, sv[0], host, &cs), 0);
    ss = SSL_new(f->server);
    SSL_set_fd(ss, sv[1]);
    SSL_set_accept_state(ss);
    /* Both ends in turn until the client finishes or fails; bounded. */
    for (int i = 0; i < 100 && !cdone; i++) {
        if (!sdone) {
            int r = SSL_accept(ss);
            sdone = r == 1
                || (SSL_get_error(ss, r) != SSL_ERROR_WANT_READ
                    && SSL_get_error(ss, r) != SSL_ERROR_WANT_WRITE);
        }
        int r = SSL_connect(cs);
        if (r == 1) {
            cdone = true;
            rc = TRANSPORT_TLS_OK;
            transport_tls_describe(cs, msg, size);
            *verified = transport_tls_verified(cs);
        } else if (SSL_get_error(cs, r) != SSL_ERROR_WANT_READ
            && SSL_get_error(cs, r) != SSL_ERROR_WANT_WRITE) {
            cdone = true;
            rc = transport_tls_connect_error(cs, r, errno, msg, size);
            *verified = false;
        }
    }
    assert_true(cdone);
    SSL_free(cs);
    SSL_free(ss);
    close(sv[0]);
    close(sv[1]);
    transport_tls_free(t);
    ERR_clear_error();
    return rc;
}

static void
test_trusted_and_named(void **state)
{
    struct fix *f = *state;
    struct transport_tls_client_conf cc = { .ca_file = f->ca_path };
    char msg[1024];
    bool ok;

    assert_int_equal(handshake(f, &cc, "127.0.0.1", msg, sizeof(msg), &ok),
        TRANSPORT_TLS_OK);
    assert_true(ok);
    assert_non_null(strstr(msg, "/CN=sipward-test"));
    assert_non_null(strstr(msg, ": verified"));
    /* A DNS name from the subjectAltName (sent as SNI as well). */
    assert_int_equal(
        handshake(f, &cc, "sip.test", msg, sizeof(msg), &ok), TRANSPORT_TLS_OK);
    assert_true(ok);
}

static void
test_name_mismatch_lists_names(void **state)
{
    struct fix *f = *state;
    struct transport_tls_client_conf cc = { .ca_file = f->ca_path };
    char msg[1024];
    bool ok;

    assert_int_equal(handshake(f, &cc, "127.0.0.2", msg, sizeof(msg), &ok),
        TRANSPORT_TLS_NAME_MISMATCH);
    assert_string_equal(msg,
        "name mismatch: the certificate is for IP:127.0.0.1, DNS:sip.test");
    assert_int_equal(handshake(f, &cc, "other.test", msg, sizeof(msg), &ok),
        TRANSPORT_TLS_NAME_MISMATCH);
}

static void
test_untrusted_and_insecure(void **state)
{
    struct fix *f = *state;
    /* The system's CAs do not include a certificate made a moment ago. */
    struct transport_tls_client_conf cc = { 0 };
    char msg[1024];
    bool ok;

    assert_int_equal(handshake(f, &cc, "127.0.0.1", msg, sizeof(msg), &ok),
        TRANSPORT_TLS_UNTRUSTED);
    assert_non_null(strstr(msg, "certificate not trusted ("));
    cc.insecure = true;
    assert_int_equal(handshake(f, &cc, "127.0.0.2", msg, sizeof(msg), &ok),
        TRANSPORT_TLS_OK);
    assert_false(ok);
    assert_non_null(strstr(msg, "NOT VERIFIED, would have been refused: "));
}

static void
test_bad_files_named(void **state)
{
    struct fix *f = *state;
    struct transport_tls *t = NULL;
    char err[256];
    struct transport_tls_client_conf cc = { .ca_file = "/nonexistent/ca.pem" };

    assert_int_equal(
        transport_tls_client_new(&t, &cc, err, sizeof(err)), -EINVAL);
    assert_string_equal(
        err, "CA file /nonexistent/ca.pem: No such file or directory");
    /* A certificate without its key. */
    cc = (struct transport_tls_client_conf){ .cert_file = f->ca_path };
    assert_int_equal(
        transport_tls_client_new(&t, &cc, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "no private key in"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_trusted_and_named, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_name_mismatch_lists_names, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_untrusted_and_insecure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files_named, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
