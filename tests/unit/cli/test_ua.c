/* The client's digest answers (RFC 7616 §3.9.1 known answers) and its
 * address book. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/ua.h"
#include "cli/ua_int.h"

static struct sip_msg msg;

/* The RFC 7616 §3.9.1 challenge as a SIP 401 (algorithm filled in). */
static void
challenge(char *out, size_t size, const char *algos)
{
    snprintf(out, size,
        "SIP/2.0 401 Unauthorized\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n"
        "From: <sip:a@example.org>;tag=1\r\n"
        "To: <sip:b@example.org>;tag=2\r\n"
        "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n"
        "%s"
        "Content-Length: 0\r\n\r\n",
        algos);
}

static const char *
field(const char *authz, const char *name, char *out, size_t size)
{
    const char *p = strstr(authz, name);
    size_t n = 0;

    out[0] = '\0';
    if (!p) {
        return out;
    }
    p += strlen(name);
    while (*p && *p != '"' && *p != ',' && n + 1 < size) {
        out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

static void
test_digest_rfc7616(void **state)
{
    (void) state;
    struct ua_opts o = { .user = "Mufasa", .password = "Circle of Life" };
    char resp[2048], authz[2048], v[128];
    const char *cn = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
#define CH(alg)                                                                \
    "WWW-Authenticate: Digest realm=\"http-auth@example.org\", qop=\"auth, "   \
    "auth-int\", algorithm=" alg ", "                                          \
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "                 \
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n"

    /* SHA-256 preferred over MD5 when both are offered (§3.7). */
    challenge(resp, sizeof(resp), CH("MD5") CH("SHA-256"));
    assert_int_equal(ua__digest(&o, &msg, slice_cstr(resp), "GET",
                         "/dir/index.html", cn, authz, sizeof(authz)),
        0);
    assert_int_equal(authz[0], 'W');
    assert_string_equal(field(authz, "response=\"", v, sizeof(v)),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    assert_non_null(strstr(authz, "algorithm=SHA-256"));
    assert_non_null(strstr(authz, "qop=auth, nc=00000001"));
    assert_string_equal(field(authz, "opaque=\"", v, sizeof(v)),
        "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");

    challenge(resp, sizeof(resp), CH("MD5"));
    assert_int_equal(ua__digest(&o, &msg, slice_cstr(resp), "GET",
                         "/dir/index.html", cn, authz, sizeof(authz)),
        0);
    assert_string_equal(field(authz, "response=\"", v, sizeof(v)),
        "8ca523f5e9506fed4657c9700eebdbec");

    /* A random cnonce otherwise; an unknown algorithm is not answered. */
    assert_int_equal(ua__digest(&o, &msg, slice_cstr(resp), "GET", "/", NULL,
                         authz, sizeof(authz)),
        0);
    assert_int_equal(strlen(field(authz, "cnonce=\"", v, sizeof(v))), 16);
    /* stale=true (RFC 7616 §3.3) is answered and said. */
    challenge(resp, sizeof(resp),
        "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", "
        "stale=TRUE\r\n");
    assert_int_equal(ua__digest(&o, &msg, slice_cstr(resp), "GET", "/", cn,
                         authz, sizeof(authz)),
        1);
    assert_string_equal(field(authz, "nonce=\"", v, sizeof(v)), "n2");
    challenge(resp, sizeof(resp), CH("SHA-512-256-sess"));
    assert_int_equal(ua__digest(&o, &msg, slice_cstr(resp), "GET", "/", cn,
                         authz, sizeof(authz)),
        -ENOTSUP);
}

static void
row(void *arg, const char *old, const char *new_uri, int64_t at)
{
    char *acc = arg;

    assert_true(at > 0);
    strcat(acc, old);
    strcat(acc, ">");
    strcat(acc, new_uri);
    strcat(acc, ";");
}

static void
test_book(void **state)
{
    (void) state;
    char dir[] = "/tmp/sw-ua-book.XXXXXX", path[256], err[256], got[512];
    char acc[1024] = "";
    struct ua_book *b;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/dir/book.db", dir);
    assert_int_equal(ua_book_open(&b, path, err, sizeof(err)), 0);
    assert_int_equal(ua_book_get(b, "sip:a@x", got, sizeof(got)), 0);
    assert_int_equal(ua_book_put(b, "sip:a@x", "sip:a@y"), 0);
    assert_int_equal(ua_book_put(b, "sip:b@x", "sip:b@y"), 0);
    assert_int_equal(ua_book_put(b, "sip:a@x", "sip:a@z"), 0); /* replaced */
    ua_book_close(b);
    /* Persistent across opens. */
    assert_int_equal(ua_book_open(&b, path, err, sizeof(err)), 0);
    assert_int_equal(ua_book_get(b, "sip:a@x", got, sizeof(got)), 1);
    assert_string_equal(got, "sip:a@z");
    assert_int_equal(ua_book_list(b, row, acc), 0);
    assert_string_equal(acc, "sip:a@x>sip:a@z;sip:b@x>sip:b@y;");
    assert_int_equal(ua_book_remove(b, "sip:a@x"), 1);
    assert_int_equal(ua_book_remove(b, "sip:a@x"), 0);
    assert_int_equal(ua_book_clear(b), 1);
    assert_int_equal(ua_book_get(b, "sip:b@x", got, sizeof(got)), 0);
    ua_book_close(b);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sub/dir", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_rfc7616),
        cmocka_unit_test(test_book),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
