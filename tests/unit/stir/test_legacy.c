/* Legacy RFC 4474: digest-string, rsa-sha256 signing, rsa-sha1 and
 * rsa-sha256 verification, and the failure codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "stir/stir_pki.h"
#include "stir_test.h"

#define NOW ((time_t) 1014296523) /* Thu, 21 Feb 2002 13:02:03 GMT */

struct fx {
    EVP_PKEY *key;
    char *key_pem, *cert_pem;
    size_t key_len, cert_len;
    struct stir_trust *trust;
    struct stir_vctx *v;
    struct stir_policy pol;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct stir_pki_opts o = { 0 };

    f->key = stir_pki_key_new("RSA");
    o.cn = "atlanta.example.com";
    o.san = "DNS:atlanta.example.com";
    o.not_before = NOW - 86400;
    o.not_after = NOW + 86400;
    o.pathlen = -1;
    o.serial = 7;
    X509 *x = stir_pki_issue(f->key, &o, NULL, NULL);
    assert_non_null(x);
    assert_int_equal(stir_pki_pem_cert(x, &f->cert_pem, &f->cert_len), 0);
    assert_int_equal(stir_pki_pem_key(f->key, &f->key_pem, &f->key_len), 0);
    X509_free(x);
    assert_int_equal(stir_trust_new(&f->trust), 0);
    assert_int_equal(stir_trust_add_pem(f->trust, f->cert_pem, f->cert_len), 1);
    assert_int_equal(stir_vctx_new(&f->v), 0);
    stir_policy_default(&f->pol);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    EVP_PKEY_free(f->key);
    free(f->key_pem);
    free(f->cert_pem);
    stir_trust_free(f->trust);
    stir_vctx_free(f->v);
    free(f);
    return 0;
}

static void
call_init(struct stir_call *c)
{
    memset(c, 0, sizeof(*c));
    c->from = SLICE_LIT("Alice <sip:alice@atlanta.example.com>;tag=1928301774");
    c->to = SLICE_LIT("Bob <sip:bob@biloxi.example.org>");
    c->call_id = SLICE_LIT("a84b4c76e66710");
    c->cseq = SLICE_LIT("0314159  INVITE");
    c->date = SLICE_LIT("Thu, 21 Feb 2002 13:02:03 GMT");
    c->contact = SLICE_LIT("<sip:alice@pc33.atlanta.example.com>");
    c->body = SLICE_LIT("v=0\r\no=UserA 2890844526 2890844526 IN IP4 x\r\n");
}

static void
test_digest_string(void **state)
{
    struct stir_call c;
    char buf[512];

    (void) state;
    call_init(&c);
    int n = stir_legacy_digest_string(&c, buf, sizeof(buf));
    assert_true(n > 0);
    assert_string_equal(buf,
        "sip:alice@atlanta.example.com|sip:bob@biloxi.example.org|"
        "a84b4c76e66710|314159 INVITE|Thu, 21 Feb 2002 13:02:03 GMT|"
        "sip:alice@pc33.atlanta.example.com|v=0\r\no=UserA 2890844526 "
        "2890844526 IN IP4 x\r\n");
    c.contact = SLICE_NULL;
    c.body = SLICE_NULL;
    n = stir_legacy_digest_string(&c, buf, sizeof(buf));
    assert_non_null(strstr(buf, "GMT||"));
    assert_int_equal(buf[n - 1], '|');
    c.date = SLICE_NULL;
    assert_int_equal(
        stir_legacy_digest_string(&c, buf, sizeof(buf)), STIR_E_MESSAGE);
}

static void
verify(struct fx *f, struct stir_call *c, struct stir_verdict *out)
{
    stir_verify_pem(
        f->v, c, f->cert_pem, f->cert_len, f->trust, &f->pol, NOW + 10, out);
}

#define expect(out, want_code, want_reason)                                    \
    do {                                                                       \
        if ((out).code != (want_code)                                          \
            || !strstr((out).reason, (want_reason))) {                         \
            fail_msg("got %d \"%s\", want %d \"...%s...\"", (out).code,        \
                (out).reason, (want_code), (want_reason));                     \
        }                                                                      \
    } while (0)

static void
test_sha256_roundtrip(void **state)
{
    struct fx *f = *state;
    struct stir_call c;
    struct stir_verdict out;
    char ident[1024], info[256], bad[1024];

    call_init(&c);
    assert_int_equal(stir_legacy_sign(f->key_pem, f->key_len, &c,
                         SLICE_LIT("https://atlanta.example.com/a.cer"), ident,
                         sizeof(ident), info, sizeof(info)),
        0);
    assert_string_equal(
        info, "<https://atlanta.example.com/a.cer>;alg=rsa-sha256");
    assert_int_equal(ident[0], '"');
    c.identity[0] = slice_cstr(ident);
    c.nidentity = 1;
    c.identity_info = slice_cstr(info);
    verify(f, &c, &out);
    expect(out, 200, "RFC 4474 signature valid (rsa-sha256)");

    c.cseq = SLICE_LIT("314160 INVITE");
    verify(f, &c, &out);
    expect(out, 438, "does not validate over the digest-string");
    call_init(&c);
    c.identity[0] = slice_cstr(ident);
    c.nidentity = 1;
    c.identity_info = SLICE_LIT("<https://a/a.cer>;alg=rsa-md5");
    verify(f, &c, &out);
    expect(out, 437, "unsupported Identity-Info alg rsa-md5");
    c.identity_info = SLICE_NULL;
    verify(f, &c, &out);
    expect(out, 436, "without a usable Identity-Info");
    c.identity_info = slice_cstr(info);
    c.from = SLICE_LIT("<sip:mallory@evil.example>;tag=1");
    verify(f, &c, &out);
    expect(out, 437, "does not cover the From domain evil.example");
    call_init(&c);
    c.identity[0] = slice_cstr(ident);
    c.nidentity = 1;
    c.identity_info = slice_cstr(info);
    stir_verify_pem(f->v, &c, f->cert_pem, f->cert_len, f->trust, &f->pol,
        NOW + 3600, &out);
    expect(out, 403, "RFC 4474: Date is 3600 s before now");
    snprintf(bad, sizeof(bad), "\"%s", ident + 5);
    c.identity[0] = slice_cstr(bad);
    verify(f, &c, &out);
    expect(out, 438, "RFC 4474");
    f->pol.allow_legacy = false;
    c.identity[0] = slice_cstr(ident);
    verify(f, &c, &out);
    f->pol.allow_legacy = true;
    expect(out, 438, "not accepted by policy");
}

/* rsa-sha1 is accepted on verification (old equipment still sends it). */
static void
test_sha1_verify(void **state)
{
    struct fx *f = *state;
    struct stir_call c;
    struct stir_verdict out;
    char ds[512], ident[1024];
    unsigned char sig[512], b64[800];
    size_t slen = sizeof(sig);

    call_init(&c);
    int n = stir_legacy_digest_string(&c, ds, sizeof(ds));
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha1(), NULL, f->key), 1);
    assert_int_equal(
        EVP_DigestSign(m, sig, &slen, (unsigned char *) ds, (size_t) n), 1);
    EVP_MD_CTX_free(m);
    EVP_EncodeBlock(b64, sig, (int) slen);
    snprintf(ident, sizeof(ident), "\"%s\"", b64);
    c.identity[0] = slice_cstr(ident);
    c.nidentity = 1;
    c.identity_info =
        SLICE_LIT("<https://atlanta.example.com/a.cer>;alg=rsa-sha1");
    verify(f, &c, &out);
    expect(out, 200, "(rsa-sha1)");
    c.identity_info =
        SLICE_LIT("<https://atlanta.example.com/a.cer>;alg=rsa-sha256");
    verify(f, &c, &out);
    expect(out, 438, "does not validate");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_string),
        cmocka_unit_test(test_sha256_roundtrip),
        cmocka_unit_test(test_sha1_verify),
    };
    stir_err_init();
    return cmocka_run_group_tests(tests, setup, teardown);
}
