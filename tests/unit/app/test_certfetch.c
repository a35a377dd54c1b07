#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "app/certfetch.h"

static bool
special(const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *) &ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
    }
    return certfetch_addr_special((const struct sockaddr *) &ss);
}

/* RFC 6890 special-purpose registries: refused unless allow-listed. */
static void
test_special_ranges(void **state)
{
    (void) state;
    const char *yes[] = { "127.0.0.1", "10.1.2.3", "172.31.255.255",
        "192.168.0.1", "100.64.0.1", "169.254.1.1", "0.1.2.3", "192.0.2.7",
        "198.18.0.1", "198.51.100.1", "203.0.113.9", "224.0.0.1",
        "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12::1",
        "2001:db8::1", "2002::1", "64:ff9b::1", "::ffff:192.168.1.1",
        "ff02::1" };
    const char *no[] = { "8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1",
        "2606:4700::1111", "2a00:1450::1", "::ffff:8.8.8.8" };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!special(yes[i])) {
            fail_msg("%s should be special-purpose", yes[i]);
        }
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (special(no[i])) {
            fail_msg("%s should be global", no[i]);
        }
    }
}

static struct certcache *
cache_new(const char *http_hosts)
{
    struct certcache *c = NULL;
    struct certcache_conf cf = {
        .timeout_ms = 500,
        .max_bytes = 65536,
        .ttl_min = 60,
        .ttl_max = 86400,
        .neg_ttl = 30,
        .max_entries = 16,
        .http_hosts = http_hosts,
        .private_hosts = "",
        .trust = NULL,
    };
    assert_int_equal(certcache_new(&c, &cf), 0);
    return c;
}

/* Refused before anything goes on the wire, answered 436 with the reason,
 * and remembered (negative cache) until neg_ttl passes. */
static void
test_refusals_cached(void **state)
{
    struct certcache *c = cache_new("cert.example.net");
    struct stir_cert *cert = NULL;
    struct certcache_stats st;
    char why[512];
    int code = 0;
    time_t now = time(NULL);
    (void) state;

    struct slice plain = SLICE_LIT("http://other.example.net/sp.pem");
    assert_int_equal(
        certcache_fetch_sync(c, plain, now, &cert, &code, why, sizeof(why)),
        CERTCACHE_FAIL);
    assert_int_equal(code, 436);
    assert_non_null(strstr(why, "scheme http not allowed"));

    struct slice ftp = SLICE_LIT("ftp://cert.example.net/sp.pem");
    assert_int_equal(
        certcache_fetch_sync(c, ftp, now, &cert, &code, why, sizeof(why)),
        CERTCACHE_FAIL);
    assert_int_equal(code, 436);

    /* Allow-listed for http, but loopback is special-purpose (RFC 6890). */
    assert_int_equal(certcache_allow_host(c, "cert.example.net"), 0);
    struct slice lo = SLICE_LIT("http://127.0.0.1:9/sp.pem");
    struct certcache *c2 = cache_new("127.0.0.1");
    assert_int_equal(
        certcache_fetch_sync(c2, lo, now, &cert, &code, why, sizeof(why)),
        CERTCACHE_FAIL);
    assert_non_null(strstr(why, "special-purpose"));
    certcache_free(c2);

    /* The failure is cached: a lookup answers it without a fetch. */
    assert_int_equal(
        certcache_get(c, plain, now + 10, &cert, &code, why, sizeof(why)),
        CERTCACHE_FAIL);
    assert_int_equal(code, 436);
    assert_int_equal(
        certcache_get(c, plain, now + 31, &cert, &code, why, sizeof(why)),
        CERTCACHE_MISS);
    certcache_stats_get(c, &st);
    assert_int_equal(st.entries, 2);
    certcache_free(c);
}

static void
count_row(void *arg, const struct certcache_row *r)
{
    size_t *n = arg;

    assert_false(r->ok);
    assert_int_equal(r->code, 436);
    assert_non_null(strstr(r->why, "not allowed"));
    assert_string_equal(r->subject, "");
    assert_true(r->expires > r->fetched);
    (*n)++;
}

/* Listing, flushing one URL or all, and a trust swap emptying the cache. */
static void
test_list_flush(void **state)
{
    struct certcache *c = cache_new("");
    struct stir_cert *cert = NULL;
    char why[512];
    int code = 0;
    time_t now = time(NULL);
    size_t n = 0;
    (void) state;

    struct slice a = SLICE_LIT("http://a.example.net/sp.pem");
    struct slice b = SLICE_LIT("http://b.example.net/sp.pem");
    certcache_fetch_sync(c, a, now, &cert, &code, why, sizeof(why));
    certcache_fetch_sync(c, b, now, &cert, &code, why, sizeof(why));
    assert_int_equal(certcache_list(c, now, count_row, &n), 2);
    assert_int_equal(n, 2);
    /* Expired entries are not listed. */
    assert_int_equal(certcache_list(c, now + 31, count_row, &n), 0);

    assert_int_equal(certcache_flush(c, "http://nothing.example/x.pem"), 0);
    assert_int_equal(certcache_flush(c, "http://a.example.net/sp.pem"), 1);
    assert_int_equal(certcache_get(c, a, now, &cert, &code, why, sizeof(why)),
        CERTCACHE_MISS);
    assert_int_equal(certcache_get(c, b, now, &cert, &code, why, sizeof(why)),
        CERTCACHE_FAIL);

    size_t flushed = 0;
    assert_null(certcache_set_trust(c, NULL, &flushed));
    assert_int_equal(flushed, 1);
    certcache_fetch_sync(c, a, now, &cert, &code, why, sizeof(why));
    assert_int_equal(certcache_flush(c, NULL), 1);
    assert_int_equal(certcache_list(c, now, count_row, &n), 0);
    certcache_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_ranges),
        cmocka_unit_test(test_refusals_cached),
        cmocka_unit_test(test_list_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
