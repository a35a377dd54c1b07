/* PASSporT JSON, Identity header syntax, TN canonicalization, TNAuthList. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include <openssl/crypto.h>

#include "stir/stir.h"
#include "stir_test.h"

static void
set_ident(struct stir_ident *id, bool tn, const char *v)
{
    id->is_tn = tn;
    snprintf(id->v, sizeof(id->v), "%s", v);
}

/* RFC 8225 Appendix A (stir-reference.md §2.2): exact serialization. */
static void
test_json_rfc8225_appendix_a(void **state)
{
    struct stir_passport p;
    char h[512], c[512], b64[1024];

    (void) state;
    memset(&p, 0, sizeof(p));
    snprintf(p.x5u, sizeof(p.x5u), "https://cert.example.org/passport.cer");
    p.iat = 1471375418;
    set_ident(&p.orig, true, "12155551212");
    set_ident(&p.dest[0], false, "sip:alice@example.com");
    p.ndest = 1;
    assert_int_equal(stir_passport_json(&p, h, sizeof(h), c, sizeof(c)), 0);
    assert_string_equal(h,
        "{\"alg\":\"ES256\",\"typ\":\"passport\",\"x5u\":"
        "\"https://cert.example.org/passport.cer\"}");
    stir_b64url_encode(b64, sizeof(b64), h, strlen(h));
    assert_string_equal(b64,
        "eyJhbGciOiJFUzI1NiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0"
        "LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9");
    stir_b64url_encode(b64, sizeof(b64), c, strlen(c));
    assert_string_equal(b64,
        "eyJkZXN0Ijp7InVyaSI6WyJzaXA6YWxpY2VAZXhhbXBsZS5jb20iXX0sImlhdCI6MTQ3"
        "MTM3NTQxOCwib3JpZyI6eyJ0biI6IjEyMTU1NTUxMjEyIn19");
}

/* RFC 8588 §6 example, canonical form (errata 6656, reference §1.7). */
static void
test_json_rfc8588(void **state)
{
    struct stir_passport p, q;
    char h[512], c[512], b64[1024];

    (void) state;
    memset(&p, 0, sizeof(p));
    snprintf(p.ppt, sizeof(p.ppt), "shaken");
    snprintf(p.x5u, sizeof(p.x5u), "https://cert.example.org/passport.cer");
    p.iat = 1443208345;
    set_ident(&p.orig, true, "12155550121");
    set_ident(&p.dest[0], true, "12155550131");
    p.ndest = 1;
    snprintf(p.attest, sizeof(p.attest), "A");
    snprintf(
        p.origid, sizeof(p.origid), "123e4567-e89b-12d3-a456-426655440000");
    assert_int_equal(stir_passport_json(&p, h, sizeof(h), c, sizeof(c)), 0);
    assert_string_equal(c,
        "{\"attest\":\"A\",\"dest\":{\"tn\":[\"12155550131\"]},\"iat\":"
        "1443208345,\"orig\":{\"tn\":\"12155550121\"},\"origid\":\"123e4567-"
        "e89b-12d3-a456-426655440000\"}");
    stir_b64url_encode(b64, sizeof(b64), h, strlen(h));
    assert_string_equal(b64,
        "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1"
        "IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9");
    /* And back. */
    assert_int_equal(stir_passport_parse(&q, slice_cstr(h), slice_cstr(c)), 0);
    assert_string_equal(q.problem, "");
    assert_string_equal(q.alg, "ES256");
    assert_string_equal(q.ppt, "shaken");
    assert_string_equal(q.typ, "passport");
    assert_true(q.has_iat && q.has_orig && q.has_dest);
    assert_int_equal(q.iat, 1443208345);
    assert_string_equal(q.orig.v, "12155550121");
    assert_int_equal(q.ndest, 1);
    assert_string_equal(q.attest, "A");
}

static void
test_json_dest_sorted(void **state)
{
    struct stir_passport p;
    char h[512], c[512];

    (void) state;
    memset(&p, 0, sizeof(p));
    snprintf(p.x5u, sizeof(p.x5u), "https://a/b");
    set_ident(&p.orig, false, "sip:a@b");
    set_ident(&p.dest[0], false, "sip:z@b");
    set_ident(&p.dest[1], true, "3");
    set_ident(&p.dest[2], true, "1");
    p.ndest = 3;
    assert_int_equal(stir_passport_json(&p, h, sizeof(h), c, sizeof(c)), 0);
    assert_string_equal(c,
        "{\"dest\":{\"tn\":[\"1\",\"3\"],\"uri\":[\"sip:z@b\"]"
        "},\"iat\":0,\"orig\":{\"uri\":\"sip:a@b\"}}");
    assert_int_equal(stir_passport_json(&p, h, sizeof(h), c, 20), -ENOSPC);
}

static void
test_parse_problems(void **state)
{
    struct stir_passport p;

    (void) state;
    /* RFC 8225 §7.1 has iat as a string: a strict parser names it. */
    assert_int_equal(stir_passport_parse(&p, SLICE_LIT("{\"alg\":\"ES256\"}"),
                         SLICE_LIT("{\"iat\":\"1443208345\",\"orig\":{\"tn\":"
                                   "\"1\"},\"dest\":{\"tn\":[\"2\"]}}")),
        0);
    assert_string_equal(p.problem, "claim \"iat\" is not a JSON number");
    assert_false(p.has_iat);
    /* libstirshaken: orig/dest are strings holding JSON. */
    assert_int_equal(
        stir_passport_parse(&p, SLICE_LIT("{}"),
            SLICE_LIT("{\"dest\":\"{\\\"tn\\\":\\\"1\\\"}\",\"iat\":1}")),
        0);
    assert_string_equal(p.problem, "claim \"dest\" is not a JSON object");
    assert_int_equal(stir_passport_parse(&p, SLICE_LIT("{}"),
                         SLICE_LIT("{\"orig\":{\"tn\":\"1\",\"uri\":\"x\"}}")),
        0);
    assert_non_null(strstr(p.problem, "exactly one"));
    assert_int_equal(
        stir_passport_parse(&p, SLICE_LIT("{}"), SLICE_LIT("{\"iat\":1")),
        STIR_E_JSON);
    assert_int_equal(
        stir_passport_parse(&p, SLICE_LIT("[]"), SLICE_LIT("{}")), STIR_E_JSON);
    /* Duplicate keys make the JSON ambiguous. */
    assert_int_equal(stir_passport_parse(&p, SLICE_LIT("{}"),
                         SLICE_LIT("{\"iat\":1,\"iat\":2}")),
        STIR_E_JSON);
}

static void
test_identity_forms(void **state)
{
    struct stir_identity id;
    const char *why = NULL;

    (void) state;
    assert_int_equal(stir_identity_parse(&id,
                         SLICE_LIT(" aa.bb.cc;info=<https://x/y.pem>;alg=ES256;"
                                   "ppt=shaken\r\n"),
                         &why),
        0);
    assert_true(slice_eq(id.signing_input, SLICE_LIT("aa.bb")));
    assert_true(slice_eq(id.b64_sig, SLICE_LIT("cc")));
    assert_true(slice_eq(id.info, SLICE_LIT("https://x/y.pem")));
    assert_true(slice_eq(id.alg, SLICE_LIT("ES256")));
    assert_true(slice_eq(id.ppt, SLICE_LIT("shaken")));
    assert_false(id.compact);
    /* quoted ppt, other order, spaces, unknown parameter */
    assert_int_equal(stir_identity_parse(&id,
                         SLICE_LIT("aa.bb.cc ; ppt=\"shaken\" ; foo ; info = "
                                   "<https://x/y.pem> ;x=\"a;b\""),
                         &why),
        0);
    assert_true(slice_eq(id.ppt, SLICE_LIT("shaken")));
    assert_true(slice_eq(id.info, SLICE_LIT("https://x/y.pem")));
    assert_int_equal(id.alg.len, 0);
    /* compact */
    assert_int_equal(
        stir_identity_parse(&id, SLICE_LIT("..sig;info=<u>"), &why), 0);
    assert_true(id.compact);
    assert_int_equal(id.signing_input.len, 0);
    /* legacy RFC 4474 */
    assert_int_equal(
        stir_identity_parse(&id, SLICE_LIT("\"ZmFrZQ==\""), &why), 0);
    assert_true(id.legacy);
    assert_true(slice_eq(id.b64_sig, SLICE_LIT("ZmFrZQ==")));
    /* errors */
    assert_int_equal(
        stir_identity_parse(&id, SLICE_LIT("aa.bb;info=<u>"), &why),
        STIR_E_IDENTITY);
    assert_int_equal(
        stir_identity_parse(&id, SLICE_LIT("a.b.c.d;info=<u>"), &why),
        STIR_E_IDENTITY);
    assert_int_equal(stir_identity_parse(&id, SLICE_LIT("a.b.c;info=<u"), &why),
        STIR_E_IDENTITY);
    assert_int_equal(
        stir_identity_parse(&id, SLICE_LIT("a.b.c x"), &why), STIR_E_IDENTITY);
    assert_string_equal(why, "garbage after the signed-identity-digest");
    assert_int_equal(stir_identity_parse(&id, SLICE_LIT(".b.c;info=<u>"), &why),
        STIR_E_IDENTITY);
}

static void
test_identity_build(void **state)
{
    char buf[256];
    struct stir_identity id;

    (void) state;
    int n =
        stir_identity_build(buf, sizeof(buf), SLICE_LIT("h"), SLICE_LIT("p"),
            SLICE_LIT("s"), SLICE_LIT("https://c/x.pem"), SLICE_LIT("shaken"));
    assert_string_equal(
        buf, "h.p.s;info=<https://c/x.pem>;alg=ES256;ppt=shaken");
    assert_int_equal(n, (int) strlen(buf));
    assert_int_equal(stir_identity_parse(&id, slice_cstr(buf), NULL), 0);
    assert_int_equal(
        stir_identity_build(buf, 10, SLICE_LIT("h"), SLICE_LIT("p"),
            SLICE_LIT("s"), SLICE_LIT("u"), SLICE_NULL),
        -ENOSPC);
}

static void
check_ident(const char *hdr, bool tn, const char *want)
{
    struct stir_ident id;

    int rc = stir_ident_from_header(&id, slice_cstr(hdr));
    if (rc != 0) {
        fail_msg("%s: %s", hdr, err_str(rc));
    }
    assert_int_equal(id.is_tn, tn);
    assert_string_equal(id.v, want);
}

static void
test_tn_canon(void **state)
{
    struct stir_ident id;
    char buf[32];

    (void) state;
    check_ident(
        "<sip:+12155551212@example.com;user=phone>;tag=1", true, "12155551212");
    check_ident("\"Alice <x>\" <sip:+1-215-555-1212@h>", true, "12155551212");
    check_ident("<tel:+1(215)555.1212;phone-context=x>", true, "12155551212");
    check_ident("tel:+12155551212;tag=abc", true, "12155551212");
    check_ident("<sip:12155551212;npdi;rn=+1215@h>", true, "12155551212");
    check_ident("<sip:%2B12155551212@h;user=phone>", true, "12155551212");
    check_ident("<sip:*67%23911@h>", true, "*67#911");
    check_ident("<sip:Alice@Example.COM;transport=tcp>;tag=9", false,
        "sip:Alice@example.com");
    check_ident(
        "sip:bob@biloxi.example.org", false, "sip:bob@biloxi.example.org");
    assert_int_equal(
        stir_ident_from_header(&id, SLICE_LIT("<mailto:a@b>")), STIR_E_NOT_TN);
    assert_int_equal(
        stir_ident_from_header(&id, SLICE_LIT("<sip:@>")), STIR_E_NOT_TN);
    assert_int_equal(stir_tn_canon(buf, sizeof(buf), SLICE_LIT("+1 (215)")), 0);
    assert_string_equal(buf, "1215");
    assert_int_equal(
        stir_tn_canon(buf, sizeof(buf), SLICE_LIT("12a")), STIR_E_NOT_TN);
    assert_int_equal(
        stir_tn_canon(buf, 4, SLICE_LIT("12345")), STIR_E_TOO_LONG);
}

/* stir-reference.md §2.9 DER vectors. */
static const unsigned char der_spc[] = { 0x30, 0x08, 0xa0, 0x06, 0x16, 0x04,
    0x31, 0x32, 0x33, 0x34 };
static const unsigned char der_tns[] = { 0x30, 0x23, 0xa1, 0x12, 0x30, 0x10,
    0x16, 0x0b, 0x31, 0x32, 0x31, 0x35, 0x35, 0x35, 0x35, 0x30, 0x30, 0x30,
    0x30, 0x02, 0x01, 0x64, 0xa2, 0x0d, 0x16, 0x0b, 0x31, 0x32, 0x31, 0x35,
    0x35, 0x35, 0x35, 0x31, 0x32, 0x31, 0x32 };

static void
test_tnauth_vectors(void **state)
{
    struct stir_tnauth t;
    unsigned char *der = NULL;
    int len;

    (void) state;
    assert_int_equal(stir_tnauth_parse(&t, der_spc, sizeof(der_spc)), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.e[0].type, STIR_TNAUTH_SPC);
    assert_string_equal(t.e[0].value, "1234");
    len = stir_tnauth_encode(&t, &der);
    assert_int_equal(len, sizeof(der_spc));
    assert_memory_equal(der, der_spc, sizeof(der_spc));
    OPENSSL_free(der);

    assert_int_equal(stir_tnauth_parse(&t, der_tns, sizeof(der_tns)), 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.e[0].type, STIR_TNAUTH_RANGE);
    assert_string_equal(t.e[0].value, "12155550000");
    assert_int_equal(t.e[0].count, 100);
    assert_int_equal(t.e[1].type, STIR_TNAUTH_ONE);
    assert_string_equal(t.e[1].value, "12155551212");
    len = stir_tnauth_encode(&t, &der);
    assert_int_equal(len, sizeof(der_tns));
    assert_memory_equal(der, der_tns, sizeof(der_tns));
    OPENSSL_free(der);

    assert_true(stir_tnauth_covers(&t, "12155550000"));
    assert_true(stir_tnauth_covers(&t, "12155550099"));
    assert_false(stir_tnauth_covers(&t, "12155550100"));
    assert_true(stir_tnauth_covers(&t, "12155551212"));
    assert_false(stir_tnauth_covers(&t, "121555500"));
    assert_false(stir_tnauth_covers(&t, "12155551213"));
}

static void
test_tnauth_rejects(void **state)
{
    struct stir_tnauth t;
    /* implicit tagging, libstirshaken's IA5String URL, trailing byte,
     * empty list, TN with a letter, range count 1 */
    static const unsigned char implicit[] = { 0x30, 0x06, 0x80, 0x04, 0x31,
        0x32, 0x33, 0x34 };
    static const unsigned char url[] = { 0x16, 0x03, 0x61, 0x2f, 0x62 };
    static const unsigned char trailing[] = { 0x30, 0x08, 0xa0, 0x06, 0x16,
        0x04, 0x31, 0x32, 0x33, 0x34, 0x00 };
    static const unsigned char empty[] = { 0x30, 0x00 };
    static const unsigned char letter[] = { 0x30, 0x05, 0xa2, 0x03, 0x16, 0x01,
        0x41 };
    static const unsigned char count1[] = { 0x30, 0x0a, 0xa1, 0x08, 0x30, 0x06,
        0x16, 0x01, 0x31, 0x02, 0x01, 0x01 };

    (void) state;
    assert_int_equal(
        stir_tnauth_parse(&t, implicit, sizeof(implicit)), STIR_E_TNAUTH);
    assert_int_equal(stir_tnauth_parse(&t, url, sizeof(url)), STIR_E_TNAUTH);
    assert_int_equal(
        stir_tnauth_parse(&t, trailing, sizeof(trailing)), STIR_E_TNAUTH);
    assert_int_equal(
        stir_tnauth_parse(&t, empty, sizeof(empty)), STIR_E_TNAUTH);
    assert_int_equal(
        stir_tnauth_parse(&t, letter, sizeof(letter)), STIR_E_TNAUTH);
    assert_int_equal(
        stir_tnauth_parse(&t, count1, sizeof(count1)), STIR_E_TNAUTH);
    assert_int_equal(t.n, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_rfc8225_appendix_a),
        cmocka_unit_test(test_json_rfc8588),
        cmocka_unit_test(test_json_dest_sorted),
        cmocka_unit_test(test_parse_problems),
        cmocka_unit_test(test_identity_forms),
        cmocka_unit_test(test_identity_build),
        cmocka_unit_test(test_tn_canon),
        cmocka_unit_test(test_tnauth_vectors),
        cmocka_unit_test(test_tnauth_rejects),
    };
    stir_err_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
