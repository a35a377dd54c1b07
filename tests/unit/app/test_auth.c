#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "app/auth.h"
#include "base/clock.h"

static void
test_ha1_vectors(void **state)
{
    char out[AUTH_HEX_MAX];
    (void) state;
    /* The RFC 7616 §3.9.1 user, hashed independently (python hashlib). */
    assert_int_equal(auth_ha1(AUTH_MD5, SLICE_LIT("Mufasa"),
                         SLICE_LIT("http-auth@example.org"),
                         SLICE_LIT("Circle of Life"), out),
        0);
    assert_string_equal(out, "3d78807defe7de2157e2b0b6573a855f");
    assert_int_equal(auth_ha1(AUTH_SHA256, SLICE_LIT("Mufasa"),
                         SLICE_LIT("http-auth@example.org"),
                         SLICE_LIT("Circle of Life"), out),
        0);
    assert_string_equal(out,
        "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
}

static void
test_creds_parse(void **state)
{
    struct auth_creds c;
    (void) state;
    assert_int_equal(
        auth_creds_parse(&c,
            SLICE_LIT("Digest username=\"bob\",realm=\"sipward\", "
                      "nonce=\"abc\", uri=\"sip:x\", response=\"0f\", "
                      "algorithm=SHA-256, cnonce=\"c\", qop=auth, "
                      "nc=0000000a")),
        0);
    assert_true(slice_eq(c.username, SLICE_LIT("bob")));
    assert_true(slice_eq(c.uri, SLICE_LIT("sip:x")));
    assert_int_equal(c.alg, AUTH_SHA256);
    assert_int_equal(c.nc, 10);
    /* Names in any case, unknown ones skipped, an escaped quote kept as
     * written, empty items between commas, the last copy of a name. */
    assert_int_equal(
        auth_creds_parse(&c,
            SLICE_LIT("  Digest USERNAME=\"b\\\"o,b\" , ,Realm=r, x=\"y\", "
                      "nonce=n1, NONCE = \"n2\" ,uri=\"u\", response=\"0f\", "
                      "cnonce=\"c\", QOP=auth, nc=000000FF  ")),
        0);
    assert_true(slice_eq(c.username, SLICE_LIT("b\\\"o,b")));
    assert_true(slice_eq(c.realm, SLICE_LIT("r")));
    assert_true(slice_eq(c.nonce, SLICE_LIT("n2")));
    assert_int_equal(c.alg, AUTH_MD5);
    assert_int_equal(c.nc, 255);
    /* An unterminated quote (also one ending in a backslash), text after
     * a closing one, a name without a value, a bad nc. */
    static const char *const bad[] = {
        "Digest username=\"bob, realm=\"r\"",
        "Digest username=\"\\\"x\\",
        "Digest username=\"bob\"x, realm=\"r\"",
        "Digest username, realm=\"r\"",
        ("Digest username=b, realm=r, nonce=n, uri=u, response=r, qop=auth, "
         "cnonce=c, nc=0000000g"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(auth_creds_parse(&c, slice_cstr(bad[i])), -EINVAL);
    }
    /* Not Digest, missing fields, no qop (no replay protection), unknown
     * algorithm. */
    assert_int_equal(
        auth_creds_parse(&c, SLICE_LIT("Basic Ym9iOnB3")), -EINVAL);
    assert_int_equal(
        auth_creds_parse(&c, SLICE_LIT("Digest username=\"bob\", realm=\"r\"")),
        -EINVAL);
    assert_int_equal(auth_creds_parse(&c,
                         SLICE_LIT("Digest username=\"b\", realm=\"r\", "
                                   "nonce=\"n\", uri=\"u\", response=\"r\"")),
        -ENOTSUP);
    assert_int_equal(
        auth_creds_parse(&c,
            SLICE_LIT("Digest username=\"b\", realm=\"r\", nonce=\"n\", "
                      "uri=\"u\", response=\"r\", algorithm=SHA-512-256, "
                      "qop=auth, cnonce=\"c\", nc=00000001")),
        -ENOTSUP);
}

static void
hexh(enum auth_alg alg, const char *s, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), d, &n,
        alg == AUTH_SHA256 ? EVP_sha256() : EVP_md5(), NULL);
    for (unsigned i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

/* Parts joined in a block before hashing, or hashed on their own where
 * they do not fit: the same digest as the joined string, whatever the
 * lengths (a part that fills the block, crosses it, or exceeds it). */
static void
test_ha1_long_parts(void **state)
{
    static const size_t len[][3] = { { 0, 0, 0 }, { 1, 1, 600 },
        { 300, 300, 1 }, { 510, 0, 0 }, { 511, 0, 0 }, { 512, 1, 513 },
        { 1024, 2000, 5 } };
    static char fill[2048], joined[8192];
    char out[AUTH_HEX_MAX], want[AUTH_HEX_MAX];
    (void) state;

    for (size_t i = 0; i < sizeof(fill); i++) {
        fill[i] = (char) ('a' + i % 26);
    }
    for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
        const size_t *l = len[i];
        snprintf(joined, sizeof(joined), "%.*s:%.*s:%.*s", (int) l[0], fill,
            (int) l[1], fill + 1, (int) l[2], fill + 2);
        for (int alg = AUTH_MD5; alg <= AUTH_SHA256; alg++) {
            hexh((enum auth_alg) alg, joined, want);
            assert_int_equal(
                auth_ha1((enum auth_alg) alg, slice_make(fill, l[0]),
                    slice_make(fill + 1, l[1]), slice_make(fill + 2, l[2]),
                    out),
                0);
            assert_string_equal(out, want);
        }
    }
}

/* What a client computes (RFC 7616 §3.4.1, qop=auth). */
static void
client_response(enum auth_alg alg, const char *ha1, const char *nonce,
    const char *nc, char *out)
{
    char ha2[AUTH_HEX_MAX], buf[512];
    hexh(alg, "REGISTER:sip:example.com", ha2);
    snprintf(buf, sizeof(buf), "%s:%s:%s:cn0nce:auth:%s", ha1, nonce, nc, ha2);
    hexh(alg, buf, out);
}

static void
flow(enum auth_alg alg)
{
    struct auth_conf ac = { .realm = SLICE_LIT("sipward"),
        .nonce_ttl_s = 30,
        .sha256 = true,
        .md5 = true,
        .fail_burst = 3,
        .fail_per_sec = 0.001 };
    struct auth *a;
    char buf[1024], ha1[AUTH_HEX_MAX], resp[AUTH_HEX_MAX], hdr[1024];
    struct slice vals[2];
    struct auth_creds c;

    assert_int_equal(auth_new(&a, &ac), 0);
    assert_int_equal(auth_challenge(a, false, buf, sizeof(buf), vals), 2);
    /* Read after the nonce was issued: however slow the machine, the nonce
     * is then no younger than now, and now + 31 is past its lifetime. */
    int64_t now = (int64_t) clock_wall();
    assert_true(
        slice_caseprefix(vals[0], SLICE_LIT("Digest realm=\"sipward\"")));
    assert_non_null(memmem(vals[0].p, vals[0].len, "algorithm=SHA-256", 17));
    assert_non_null(memmem(vals[1].p, vals[1].len, "algorithm=MD5", 13));
    const char *np = strstr(vals[0].p, "nonce=\"") + 7;
    char nonce[AUTH_NONCE_LEN + 1];
    memcpy(nonce, np, AUTH_NONCE_LEN);
    nonce[AUTH_NONCE_LEN] = '\0';

    auth_ha1(alg, SLICE_LIT("bob"), SLICE_LIT("sipward"), SLICE_LIT("pw"), ha1);
    const char *an = alg == AUTH_SHA256 ? "SHA-256" : "MD5";
#define CREDS(nc)                                                              \
    do {                                                                       \
        client_response(alg, ha1, nonce, nc, resp);                            \
        snprintf(hdr, sizeof(hdr),                                             \
            "Digest username=\"bob\", realm=\"sipward\", nonce=\"%s\", "       \
            "uri=\"sip:example.com\", response=\"%s\", algorithm=%s, "         \
            "cnonce=\"cn0nce\", qop=auth, nc=%s",                              \
            nonce, resp, an, nc);                                              \
        assert_int_equal(auth_creds_parse(&c, slice_cstr(hdr)), 0);            \
    } while (0)

    CREDS("00000001");
    assert_int_equal(
        auth_verify(a, &c, SLICE_LIT("REGISTER"), ha1, now), AUTH_OK);
    /* The same nc again is a replay; a higher one is fine. */
    assert_int_equal(
        auth_verify(a, &c, SLICE_LIT("REGISTER"), ha1, now), AUTH_REPLAY);
    CREDS("00000002");
    assert_int_equal(
        auth_verify(a, &c, SLICE_LIT("REGISTER"), ha1, now), AUTH_OK);
    /* Past its lifetime the nonce is stale, with the right password. */
    CREDS("00000003");
    assert_int_equal(
        auth_verify(a, &c, SLICE_LIT("REGISTER"), ha1, now + 31), AUTH_STALE);
    /* ... which did not take its nc: within the lifetime it is fresh. */
    assert_int_equal(
        auth_verify(a, &c, SLICE_LIT("REGISTER"), ha1, now), AUTH_OK);
    /* A wrong HA1 (wrong password), or another method, fails. */
    char bad[AUTH_HEX_MAX];
    auth_ha1(alg, SLICE_LIT("bob"), SLICE_LIT("sipward"), SLICE_LIT("px"), bad);
    CREDS("00000004");
    assert_int_equal(
        auth_verify(a, &c, SLICE_LIT("REGISTER"), bad, now), AUTH_BAD);
    assert_int_equal(
        auth_verify(a, &c, SLICE_LIT("INVITE"), ha1, now), AUTH_BAD);
    /* A nonce we did not issue: any of its parts changed (time, counter,
     * either part of the MAC), with a response computed over it. */
    static const int at[] = { 15, 20, 30, 40 };
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        char was = nonce[at[i]];
        nonce[at[i]] = was == 'a' ? 'b' : 'a';
        CREDS("00000005");
        assert_int_equal(
            auth_verify(a, &c, SLICE_LIT("REGISTER"), ha1, now), AUTH_BAD);
        nonce[at[i]] = was;
    }

    /* A nonce of ours that fell out of the table (262,144 live ones) is
     * stale, not bad: the right password gets a fresh challenge. */
    if (alg == AUTH_MD5) {
        enum auth_verdict v = AUTH_OK;
        char ncs[9];
        for (unsigned i = 1; v == AUTH_OK && i <= 64; i++) {
            for (int k = 0; k < 32768; k++) {
                assert_int_equal(
                    auth_challenge(a, false, buf, sizeof(buf), vals), 2);
            }
            snprintf(ncs, sizeof(ncs), "%08x", 5 + i);
            CREDS(ncs);
            v = auth_verify(a, &c, SLICE_LIT("REGISTER"), ha1, now);
        }
        assert_int_equal(v, AUTH_STALE);
    }

    /* Per-source budget: 3 failures, then refused; others unaffected. */
    const unsigned char ip1[4] = { 10, 0, 0, 1 }, ip2[4] = { 10, 0, 0, 2 };
    for (int i = 0; i < 3; i++) {
        assert_true(auth_source_allowed(a, ip1, 4));
        auth_source_failed(a, ip1, 4);
    }
    assert_false(auth_source_allowed(a, ip1, 4));
    assert_true(auth_source_allowed(a, ip2, 4));
    auth_free(a);
}

static void
test_flow_sha256(void **state)
{
    (void) state;
    flow(AUTH_SHA256);
}

static void
test_flow_md5(void **state)
{
    (void) state;
    flow(AUTH_MD5);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ha1_vectors),
        cmocka_unit_test(test_creds_parse),
        cmocka_unit_test(test_ha1_long_parts),
        cmocka_unit_test(test_flow_sha256),
        cmocka_unit_test(test_flow_md5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
