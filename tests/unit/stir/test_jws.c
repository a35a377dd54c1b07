/* base64url, ES256 and the published signature vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "stir/stir_int.h"
#include "stir_test.h"

static void
test_b64url_roundtrip(void **state)
{
    char enc[64];
    uint8_t dec[64];
    const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    const char *out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE",
        "Zm9vYmFy" };

    (void) state;
    for (size_t i = 0; i < 7; i++) {
        int n = stir_b64url_encode(enc, sizeof(enc), in[i], strlen(in[i]));
        assert_int_equal(n, (int) strlen(out[i]));
        assert_string_equal(enc, out[i]);
        assert_int_equal(stir_b64url_len(strlen(in[i])), strlen(out[i]));
        n = stir_b64url_decode(dec, sizeof(dec), slice_cstr(out[i]));
        assert_int_equal(n, (int) strlen(in[i]));
        assert_memory_equal(dec, in[i], strlen(in[i]));
    }
    /* URL alphabet: 0xfb 0xff -> "-_8" (standard base64 would be "+/8"). */
    uint8_t b[2] = { 0xfb, 0xff };
    assert_int_equal(stir_b64url_encode(enc, sizeof(enc), b, 2), 3);
    assert_string_equal(enc, "-_8");
    assert_int_equal(stir_b64url_decode(dec, sizeof(dec), SLICE_LIT("-_8")), 2);
    assert_memory_equal(dec, b, 2);
}

static void
test_b64url_rejects(void **state)
{
    uint8_t dec[64];

    (void) state;
    /* standard alphabet, padding, whitespace, impossible length */
    assert_int_equal(
        stir_b64url_decode(dec, sizeof(dec), SLICE_LIT("+/8")), STIR_E_BASE64);
    assert_int_equal(
        stir_b64url_decode(dec, sizeof(dec), SLICE_LIT("Zg==")), STIR_E_BASE64);
    assert_int_equal(stir_b64url_decode(dec, sizeof(dec), SLICE_LIT("Zm 9v")),
        STIR_E_BASE64);
    assert_int_equal(stir_b64url_decode(dec, sizeof(dec), SLICE_LIT("Zm9vY")),
        STIR_E_BASE64);
    assert_int_equal(stir_b64url_decode(dec, 2, SLICE_LIT("Zm9v")), -ENOSPC);
    char enc[4];
    assert_int_equal(stir_b64url_encode(enc, sizeof(enc), "foo", 3), -ENOSPC);
}

static EVP_PKEY *
load_pub(const char *file)
{
    size_t len;
    char *pem = test_read(file, &len);
    BIO *bio = BIO_new_mem_buf(pem, (int) len);
    EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    free(pem);
    assert_non_null(k);
    return k;
}

/* Splits a token "h.p.s" and verifies it with key. */
static int
verify_token(struct stir_vctx *v, const void *key, const char *tok)
{
    struct stir_identity id;
    uint8_t sig[80];

    assert_int_equal(stir_identity_parse(&id, slice_cstr(tok), NULL), 0);
    int n = stir_b64url_decode(sig, sizeof(sig), id.b64_sig);
    if (n != STIR_ES256_SIG_LEN) {
        return STIR_E_SIG_FORMAT;
    }
    return stir_es256_verify(v, key, id.signing_input, sig);
}

static void
test_rfc8225_vector(void **state)
{
    struct stir_vctx *v;
    EVP_PKEY *k = load_pub("rfc8225_pub.pem");
    char tok[sizeof(VEC_RFC8225_TOKEN) + 32];

    (void) state;
    assert_int_equal(stir_vctx_new(&v), 0);
    /* The identity parser wants info; the signature does not care. */
    snprintf(tok, sizeof(tok), "%s;info=<x>", VEC_RFC8225_TOKEN);
    assert_int_equal(verify_token(v, k, tok), 0);
    /* One signature byte changed: invalid. */
    size_t last = strlen(VEC_RFC8225_TOKEN) - 3;
    tok[last] = tok[last] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_token(v, k, tok), STIR_E_SIG_INVALID);
    EVP_PKEY_free(k);
    stir_vctx_free(v);
}

static void
test_libstirshaken_vector(void **state)
{
    struct stir_vctx *v;
    struct stir_cert *c;
    size_t len;
    char *pem = test_read("libstirshaken_sp.pem", &len);

    (void) state;
    assert_int_equal(stir_vctx_new(&v), 0);
    assert_int_equal(stir_cert_parse(&c, pem, len), 0);
    assert_int_equal(
        verify_token(v, stir_cert_pkey(c), VEC_LIBSTIRSHAKEN_IDENTITY), 0);
    /* Its TNAuthList is an IA5String URL, not RFC 8226: malformed. */
    assert_null(stir_cert_tnauth(c));
    c = stir_cert_deref(c);
    free(pem);
    stir_vctx_free(v);
}

static void
test_kamailio_vector(void **state)
{
    struct stir_vctx *v;
    struct stir_cert *c;
    size_t len;
    char *pem = test_read("kam_sp.pem", &len);

    (void) state;
    assert_int_equal(stir_vctx_new(&v), 0);
    assert_int_equal(stir_cert_parse(&c, pem, len), 0);
    assert_int_equal(
        verify_token(v, stir_cert_pkey(c), VEC_KAMAILIO_IDENTITY), 0);
    const struct stir_tnauth *t = stir_cert_tnauth(c);
    assert_non_null(t);
    assert_int_equal(t->n, 1);
    assert_int_equal(t->e[0].type, STIR_TNAUTH_SPC);
    assert_string_equal(t->e[0].value, "1234");
    c = stir_cert_deref(c);
    free(pem);
    stir_vctx_free(v);
}

static void
test_sign_then_verify(void **state)
{
    struct stir_vctx *v;
    struct stir_signer *s;
    size_t len;
    char *key = test_read("rfc8225_key.pem", &len);
    EVP_PKEY *pub = load_pub("rfc8225_pub.pem");
    uint8_t sig[STIR_ES256_SIG_LEN];

    (void) state;
    assert_int_equal(stir_vctx_new(&v), 0);
    assert_int_equal(
        stir_signer_new(&s, key, len, SLICE_LIT("https://x.example/c")), 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(stir_es256_sign(s, SLICE_LIT("abc.def"), sig), 0);
        assert_int_equal(
            stir_es256_verify(v, pub, SLICE_LIT("abc.def"), sig), 0);
        assert_int_equal(stir_es256_verify(v, pub, SLICE_LIT("abc.deF"), sig),
            STIR_E_SIG_INVALID);
    }
    /* All-zero r and s is not a signature. */
    memset(sig, 0, sizeof(sig));
    assert_int_equal(stir_es256_verify(v, pub, SLICE_LIT("abc.def"), sig),
        STIR_E_SIG_INVALID);
    stir_signer_free(s);
    /* A public key is not a signing key. */
    free(key);
    key = test_read("rfc8225_pub.pem", &len);
    assert_int_equal(
        stir_signer_new(&s, key, len, SLICE_LIT("u")), STIR_E_KEY_TYPE);
    free(key);
    EVP_PKEY_free(pub);
    stir_vctx_free(v);
}

static void
test_wrong_key_type(void **state)
{
    struct stir_vctx *v;
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    uint8_t sig[STIR_ES256_SIG_LEN] = { 1 };

    (void) state;
    assert_int_equal(stir_vctx_new(&v), 0);
    assert_int_equal(
        stir_es256_verify(v, rsa, SLICE_LIT("a.b"), sig), STIR_E_KEY_TYPE);
    EVP_PKEY_free(rsa);
    stir_vctx_free(v);
}

/* The hand-built DER must be byte-identical to OpenSSL's i2d_ECDSA_SIG,
 * including minimal lengths and the 0x00 before a set top bit. */
static void
test_der_matches_openssl(void **state)
{
    uint8_t raw[STIR_ES256_SIG_LEN];
    unsigned char mine[80], ref[80];

    (void) state;
    for (int i = 0; i < 2000; i++) {
        RAND_bytes(raw, sizeof(raw));
        if (i % 4 == 1) {
            memset(raw, 0, 5 + i % 27); /* leading zero octets in r */
        } else if (i % 4 == 2) {
            raw[32] |= 0x80; /* s needs a pad octet */
            raw[0] &= 0x7f;
        } else if (i % 4 == 3) {
            memset(raw + 32, 0, 31);
        }
        ECDSA_SIG *sig = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(raw, 32, NULL),
               *s = BN_bin2bn(raw + 32, 32, NULL);
        assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
        unsigned char *p = ref;
        int rl = i2d_ECDSA_SIG(sig, &p);
        ECDSA_SIG_free(sig);
        int ml = stir__es256_der(raw, mine);
        assert_int_equal(ml, rl);
        assert_memory_equal(mine, ref, (size_t) rl);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_roundtrip),
        cmocka_unit_test(test_b64url_rejects),
        cmocka_unit_test(test_rfc8225_vector),
        cmocka_unit_test(test_libstirshaken_vector),
        cmocka_unit_test(test_kamailio_vector),
        cmocka_unit_test(test_sign_then_verify),
        cmocka_unit_test(test_wrong_key_type),
        cmocka_unit_test(test_der_matches_openssl),
    };
    stir_err_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
