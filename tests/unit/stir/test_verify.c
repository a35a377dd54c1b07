/*
 * stir_verify: the tampering matrix and the certificate matrix of issue 6,
 * each case asserting the response code and the reason naming what
 * failed. The PKI is built in memory with stir_pki (P-256 root,
 * intermediate, end entities), the clock is fixed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include <openssl/pem.h>

#include "stir/stir_pki.h"
#include "stir_test.h"

#define NOW  ((time_t) 1795501029) /* 2026-11-24T06:17:09Z */
#define YEAR (365 * 86400)
#define X5U  "https://cert.example.net/sp.pem"

enum leaf {
    L_SPC,
    L_TN,
    L_EXPIRED,
    L_FUTURE,
    L_UNKNOWN,
    L_REVOKED,
    L_NOTN,
    L_P384,
    L_RSA,
    L_COUNT,
};

struct fx {
    EVP_PKEY *root_key, *inter_key, *other_key;
    X509 *root, *inter, *other;
    EVP_PKEY *key[L_COUNT];
    X509 *cert[L_COUNT];
    char *bundle[L_COUNT]; /* leaf + intermediate PEM */
    char *key_pem;         /* L_SPC signing key, PEM */
    struct stir_trust *trust, *trust_crl;
    struct stir_vctx *v;
    struct stir_signer *signer;
    struct stir_policy pol;
};

static X509 *
issue(EVP_PKEY *k, const char *cn, time_t nb, time_t na, bool ca,
    const struct stir_tnauth *tn, X509 *iss, EVP_PKEY *ik, uint64_t serial)
{
    struct stir_pki_opts o = { 0 };

    o.cn = cn;
    o.not_before = nb;
    o.not_after = na;
    o.ca = ca;
    o.pathlen = ca && iss ? 0 : -1;
    o.tn = tn;
    o.shaken_policy = true;
    o.serial = serial;
    X509 *x = stir_pki_issue(k, &o, iss, ik);
    assert_non_null(x);
    return x;
}

static char *
pem_bundle(X509 *leaf, X509 *inter)
{
    char *buf = NULL;
    size_t len = 0;

    assert_int_equal(stir_pki_pem_cert(leaf, &buf, &len), 0);
    if (inter) {
        assert_int_equal(stir_pki_pem_cert(inter, &buf, &len), 0);
    }
    return buf;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct stir_tnauth spc = { .n = 1 }, tns = { .n = 2 };
    char *buf = NULL;
    size_t len = 0;

    spc.e[0].type = STIR_TNAUTH_SPC;
    strcpy(spc.e[0].value, "1234");
    tns.e[0].type = STIR_TNAUTH_RANGE;
    strcpy(tns.e[0].value, "12155550000");
    tns.e[0].count = 100;
    tns.e[1].type = STIR_TNAUTH_ONE;
    strcpy(tns.e[1].value, "12155551212");

    f->root_key = stir_pki_key_new("P-256");
    f->inter_key = stir_pki_key_new("P-256");
    f->other_key = stir_pki_key_new("P-256");
    f->root = issue(f->root_key, "Root", NOW - 2 * YEAR, NOW + 10 * YEAR, true,
        NULL, NULL, NULL, 1);
    f->inter = issue(f->inter_key, "Inter", NOW - 2 * YEAR, NOW + 5 * YEAR,
        true, NULL, f->root, f->root_key, 2);
    f->other = issue(f->other_key, "Rogue", NOW - 2 * YEAR, NOW + 5 * YEAR,
        true, NULL, NULL, NULL, 3);
    for (int i = 0; i < L_COUNT; i++) {
        f->key[i] = stir_pki_key_new(i == L_P384 ? "P-384"
                : i == L_RSA                     ? "RSA"
                                                 : "P-256");
        assert_non_null(f->key[i]);
    }
    time_t nb = NOW - 86400, na = NOW + YEAR;
    f->cert[L_SPC] = issue(f->key[L_SPC], "SHAKEN 1234", nb, na, false, &spc,
        f->inter, f->inter_key, 10);
    f->cert[L_TN] = issue(f->key[L_TN], "TN range", nb, na, false, &tns,
        f->inter, f->inter_key, 11);
    f->cert[L_EXPIRED] = issue(f->key[L_EXPIRED], "Expired", NOW - 2 * YEAR,
        NOW - YEAR, false, &spc, f->inter, f->inter_key, 12);
    f->cert[L_FUTURE] = issue(f->key[L_FUTURE], "Future", NOW + YEAR,
        NOW + 2 * YEAR, false, &spc, f->inter, f->inter_key, 13);
    f->cert[L_UNKNOWN] = issue(f->key[L_UNKNOWN], "Unknown CA", nb, na, false,
        &spc, f->other, f->other_key, 14);
    f->cert[L_REVOKED] = issue(f->key[L_REVOKED], "Revoked", nb, na, false,
        &spc, f->inter, f->inter_key, 15);
    f->cert[L_NOTN] = issue(f->key[L_NOTN], "No TNAuthList", nb, na, false,
        NULL, f->inter, f->inter_key, 16);
    f->cert[L_P384] = issue(f->key[L_P384], "P-384", nb, na, false, &spc,
        f->inter, f->inter_key, 17);
    f->cert[L_RSA] = issue(
        f->key[L_RSA], "RSA", nb, na, false, &spc, f->inter, f->inter_key, 18);
    for (int i = 0; i < L_COUNT; i++) {
        f->bundle[i] =
            pem_bundle(f->cert[i], i == L_UNKNOWN ? f->other : f->inter);
    }
    assert_int_equal(stir_trust_new(&f->trust), 0);
    assert_int_equal(stir_trust_new(&f->trust_crl), 0);
    assert_int_equal(stir_pki_pem_cert(f->root, &buf, &len), 0);
    assert_int_equal(stir_trust_add_pem(f->trust, buf, len), 1);
    X509_CRL *crl = stir_pki_crl(
        f->inter, f->inter_key, &f->cert[L_REVOKED], 1, NOW - 3600, 30);
    assert_non_null(crl);
    assert_int_equal(stir_pki_pem_crl(crl, &buf, &len), 0);
    X509_CRL_free(crl);
    assert_int_equal(stir_trust_add_pem(f->trust_crl, buf, len), 2);
    free(buf);
    buf = NULL;
    len = 0;
    assert_int_equal(stir_pki_pem_key(f->key[L_SPC], &buf, &len), 0);
    f->key_pem = buf;
    assert_int_equal(stir_signer_new(&f->signer, buf, len, SLICE_LIT(X5U)), 0);
    assert_int_equal(stir_vctx_new(&f->v), 0);
    stir_policy_default(&f->pol);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    for (int i = 0; i < L_COUNT; i++) {
        EVP_PKEY_free(f->key[i]);
        X509_free(f->cert[i]);
        free(f->bundle[i]);
    }
    EVP_PKEY_free(f->root_key);
    EVP_PKEY_free(f->inter_key);
    EVP_PKEY_free(f->other_key);
    X509_free(f->root);
    X509_free(f->inter);
    X509_free(f->other);
    free(f->key_pem);
    stir_trust_free(f->trust);
    stir_trust_free(f->trust_crl);
    stir_vctx_free(f->v);
    stir_signer_free(f->signer);
    free(f);
    return 0;
}

/* A SHAKEN INVITE's headers at NOW. */
struct msg {
    struct stir_call call;
    char ident[STIR_MAX_IDENTITY][4096];
    char date[64];
};

static void
msg_init(struct msg *m, time_t date)
{
    struct tm tm;

    memset(m, 0, sizeof(*m));
    gmtime_r(&date, &tm);
    strftime(m->date, sizeof(m->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    m->call.from = SLICE_LIT("\"Alice\" <sip:+1-215-555-1212@a.example;"
                             "user=phone>;tag=1928301774");
    m->call.to = SLICE_LIT("<sip:+12155551213@b.example;user=phone>");
    m->call.date = slice_cstr(m->date);
}

static void
msg_sign(struct fx *f, struct msg *m, time_t iat)
{
    struct stir_sign_opts o = { .attest = 'A', .origid = NULL, .iat = iat };

    size_t i = m->call.nidentity++;
    int n =
        stir_sign(f->signer, &m->call, &o, m->ident[i], sizeof(m->ident[i]));
    assert_true(n > 0);
    m->call.identity[i] = slice_cstr(m->ident[i]);
}

/* Adds an Identity built from raw JSON, signed with the L_SPC key. */
static void
msg_raw(struct fx *f, struct msg *m, const char *hdr, const char *pay,
    const char *params)
{
    char bh[600], bp[1400], in[2010], bs[128];
    uint8_t sig[STIR_ES256_SIG_LEN];

    stir_b64url_encode(bh, sizeof(bh), hdr, strlen(hdr));
    stir_b64url_encode(bp, sizeof(bp), pay, strlen(pay));
    snprintf(in, sizeof(in), "%s.%s", bh, bp);
    assert_int_equal(stir_es256_sign(f->signer, slice_cstr(in), sig), 0);
    stir_b64url_encode(bs, sizeof(bs), sig, sizeof(sig));
    size_t i = m->call.nidentity++;
    snprintf(m->ident[i], sizeof(m->ident[i]), "%s.%s%s", in, bs, params);
    m->call.identity[i] = slice_cstr(m->ident[i]);
}

#define HDR                                                                    \
    "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":"      \
    "\"" X5U "\"}"
#define PARAMS ";info=<" X5U ">;alg=ES256;ppt=shaken"

static void
pay_json(char *dst, size_t size, const char *omit, time_t iat)
{
    char parts[5][96];
    const char *names[5] = { "attest", "dest", "iat", "orig", "origid" };

    snprintf(parts[0], 96, "\"attest\":\"A\"");
    snprintf(parts[1], 96, "\"dest\":{\"tn\":[\"12155551213\"]}");
    snprintf(parts[2], 96, "\"iat\":%lld", (long long) iat);
    snprintf(parts[3], 96, "\"orig\":{\"tn\":\"12155551212\"}");
    snprintf(
        parts[4], 96, "\"origid\":\"4437c7eb-8f95-4bd6-a9c0-3d4c4e1e1d5b\"");
    size_t n = (size_t) snprintf(dst, size, "{");
    bool first = true;
    for (int i = 0; i < 5; i++) {
        if (omit && strcmp(omit, names[i]) == 0) {
            continue;
        }
        n += (size_t) snprintf(
            dst + n, size - n, "%s%s", first ? "" : ",", parts[i]);
        first = false;
    }
    snprintf(dst + n, size - n, "}");
}

static void
run(struct fx *f, struct msg *m, enum leaf l, const struct stir_trust *t,
    struct stir_verdict *out)
{
    const char *pem = f->bundle[l];

    stir_verify_pem(
        f->v, &m->call, pem, strlen(pem), t ? t : f->trust, &f->pol, NOW, out);
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
test_valid(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "full PASSporT valid");
    assert_string_equal(out.pp.attest, "A");
    assert_string_equal(out.pp.orig.v, "12155551212");
    assert_int_equal(out.header, 0);
    /* Hand-built canonical JSON verifies too (ours is byte-identical). */
    msg_init(&m, NOW);
    char pay[512];
    pay_json(pay, sizeof(pay), NULL, NOW);
    msg_raw(f, &m, HDR, pay, PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");
    /* quoted ppt, parameters reordered */
    msg_init(&m, NOW);
    msg_raw(f, &m, HDR, pay, ";ppt=\"shaken\";info=<" X5U ">");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");
}

static void
test_tamper_from_to_date(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    m.call.from = SLICE_LIT("<sip:+12155559999@a.example;user=phone>;tag=1");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438,
        "claim orig.tn is \"12155551212\" but From has \"12155559999\"");

    /* PAI wins over From when present (SHAKEN). */
    m.call.pai = SLICE_LIT("<tel:+12155550000>");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "but P-Asserted-Identity has \"12155550000\"");
    m.call.pai = SLICE_LIT("<tel:+1-215-555-1212>");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    m.call.to = SLICE_LIT("<sip:12155550000@b.example>");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438,
        "claim dest.tn is \"12155551213\" but To has \"12155550000\"");

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    m.call.date = SLICE_LIT("Tue, 24 Nov 2026 05:00:00 GMT");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 403, "Date \"Tue, 24 Nov 2026 05:00:00 GMT\" is 4629 s before");
    m.call.date = SLICE_LIT("Tue, 24 Nov 2026 07:00:00 GMT");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 403, "s after now");
    m.call.date = SLICE_LIT("yesterday");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 403, "does not parse");
    /* No Date: iat rules (ATIS-1000074 §5.3.3), unless policy says. */
    m.call.date = SLICE_NULL;
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");
    f->pol.require_date = true;
    run(f, &m, L_SPC, NULL, &out);
    f->pol.require_date = false;
    expect(out, 403, "no Date header");
}

static void
test_tamper_iat(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;
    char pay[512];

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW - 3600);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 403, "claim iat 1795497429 is 3600 s old");
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW + 3600);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 403, "3600 s in the future");
    /* Inside the window both ways (60 s + 5 s skew). */
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW - 64);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW + 30);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");
    /* iat rewritten after signing: the signature breaks. */
    msg_init(&m, NOW);
    pay_json(pay, sizeof(pay), NULL, NOW - 3600);
    msg_raw(f, &m, HDR, pay, PARAMS);
    char fresh[512], b64[1024];
    pay_json(fresh, sizeof(fresh), NULL, NOW);
    stir_b64url_encode(b64, sizeof(b64), fresh, strlen(fresh));
    char *p1 = strchr(m.ident[0], '.') + 1, *p2 = strchr(p1, '.');
    char rebuilt[2048];
    snprintf(rebuilt, sizeof(rebuilt), "%.*s%s%s", (int) (p1 - m.ident[0]),
        m.ident[0], b64, p2);
    m.call.identity[0] = slice_cstr(rebuilt);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "signature does not validate");
}

static void
test_tamper_signature(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    char *sig = strrchr(strtok(m.ident[0], ";"), '.') + 1;
    m.ident[0][strlen(m.ident[0])] = ';';
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "signature does not validate over the received PASSporT");
    /* truncated signature */
    memmove(sig + 4, sig + 8, strlen(sig + 8) + 1);
    m.call.identity[0] = slice_cstr(m.ident[0]);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "JWS signature is 61 bytes, ES256 needs 64");
}

static void
test_tamper_header(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;
    char pay[512];

    pay_json(pay, sizeof(pay), NULL, NOW);
    msg_init(&m, NOW);
    msg_raw(f, &m,
        "{\"alg\":\"ES384\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":"
        "\"" X5U "\"}",
        pay, PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "PASSporT header alg is \"ES384\", expected \"ES256\"");

    msg_init(&m, NOW);
    msg_raw(f, &m,
        "{\"alg\":\"none\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":"
        "\"" X5U "\"}",
        pay, PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "alg is \"none\"");

    msg_init(&m, NOW);
    msg_raw(f, &m,
        "{\"alg\":\"HS256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":"
        "\"" X5U "\"}",
        pay, PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "alg is \"HS256\"");

    msg_init(&m, NOW);
    msg_raw(f, &m, HDR, pay, ";info=<" X5U ">;alg=RS256;ppt=shaken");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "Identity alg parameter is \"RS256\"");

    msg_init(&m, NOW);
    msg_raw(f, &m,
        "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"jwt\",\"x5u\":\"" X5U
        "\"}",
        pay, PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "typ is \"jwt\"");

    /* x5u vs info */
    msg_init(&m, NOW);
    msg_raw(f, &m, HDR, pay, ";info=<https://evil.example/c.pem>;ppt=shaken");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438,
        "PASSporT x5u \"" X5U "\" differs from the Identity info "
        "<https://evil.example/c.pem>");

    /* ppt: header says div, Identity says shaken */
    msg_init(&m, NOW);
    msg_raw(f, &m,
        "{\"alg\":\"ES256\",\"ppt\":\"div\",\"typ\":\"passport\",\"x5u\":\"" X5U
        "\"}",
        pay, PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "PASSporT header ppt is \"div\" but the Identity ppt");

    /* Identity ppt=div: not supported, ignored -> nothing usable: 428 */
    msg_init(&m, NOW);
    msg_raw(f, &m, HDR, pay, ";info=<" X5U ">;ppt=div");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 428, "no Identity header with a supported ppt");
    assert_int_equal(out.header, -1);
    /* ... and a good one next to it passes. */
    msg_sign(f, &m, NOW);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");
    assert_int_equal(out.header, 1);
}

static void
test_missing_claims(void **state)
{
    struct fx *f = *state;
    const char *claims[] = { "attest", "dest", "iat", "orig", "origid" };
    struct msg m;
    struct stir_verdict out;
    char pay[512], want[64];

    for (int i = 0; i < 5; i++) {
        pay_json(pay, sizeof(pay), claims[i], NOW);
        msg_init(&m, NOW);
        msg_raw(f, &m, HDR, pay, PARAMS);
        run(f, &m, L_SPC, NULL, &out);
        snprintf(want, sizeof(want), "claim \"%s\"", claims[i]);
        expect(out, 438, want);
        assert_non_null(strstr(out.reason, "missing"));
    }
    msg_init(&m, NOW);
    msg_raw(f, &m, HDR,
        "{\"attest\":\"D\",\"dest\":{\"tn\":[\"12155551213\"]},\"iat\":"
        "1795501029,\"orig\":{\"tn\":\"12155551212\"},\"origid\":\"x\"}",
        PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "claim \"attest\" is \"D\", expected A, B or C");
    msg_init(&m, NOW);
    msg_raw(f, &m, HDR,
        "{\"attest\":\"A\",\"dest\":{\"tn\":[\"12155551213\"]},\"iat\":"
        "\"1795501029\",\"orig\":{\"tn\":\"12155551212\"},\"origid\":\"x\"}",
        PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "claim \"iat\" is not a JSON number");
}

static void
test_bad_encoding(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    /* base64url -> standard alphabet character in the payload */
    char *p = strchr(m.ident[0], '.') + 3;
    *p = '+';
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "PASSporT payload is not base64url");
    *p = '*';
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "not base64url");

    /* trailing garbage after the header value */
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    strcat(m.ident[0], " garbage");
    m.call.identity[0] = slice_cstr(m.ident[0]);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "malformed Identity header: garbage after");
    /* a fourth JWS part */
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    char *semi = strchr(m.ident[0], ';');
    memmove(semi + 4, semi, strlen(semi) + 1);
    memcpy(semi, ".abc", 4);
    m.call.identity[0] = slice_cstr(m.ident[0]);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "more than two '.'");
    /* payload decodes but is not JSON */
    msg_init(&m, NOW);
    msg_raw(f, &m, HDR, "{\"iat\":1", PARAMS);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "Invalid PASSporT");
    /* no info */
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    *strchr(m.ident[0], ';') = '\0';
    m.call.identity[0] = slice_cstr(m.ident[0]);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 436, "no info parameter");
}

static void
test_multiple_and_none(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;

    msg_init(&m, NOW);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 428, "no Identity header");
    /* bad then good: pass on the good one */
    msg_sign(f, &m, NOW - 3600);
    msg_sign(f, &m, NOW);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "valid");
    assert_int_equal(out.header, 1);
    /* two bad: the first failure is reported, named by index */
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW - 3600);
    msg_sign(f, &m, NOW + 3600);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 403, "Identity[0]: claim iat");
}

static void
test_compact(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;

    /* SHAKEN in compact form cannot be rebuilt. */
    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    char *dot = strrchr(strtok(m.ident[0], ";"), '.');
    m.ident[0][strlen(m.ident[0])] = ';';
    char compact[2048];
    snprintf(compact, sizeof(compact), ".%s", dot);
    m.call.identity[0] = slice_cstr(compact);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "compact form cannot carry the ppt=shaken claims");

    /* A base PASSporT in compact form: rebuilt from From, To and Date. */
    char pay[512];
    snprintf(pay, sizeof(pay),
        "{\"dest\":{\"tn\":[\"12155551213\"]},\"iat\":%lld,\"orig\":{\"tn\":"
        "\"12155551212\"}}",
        (long long) NOW);
    msg_init(&m, NOW);
    msg_raw(f, &m,
        "{\"alg\":\"ES256\",\"typ\":\"passport\",\"x5u\":\"" X5U "\"}", pay,
        ";info=<" X5U ">");
    dot = strrchr(strtok(m.ident[0], ";"), '.');
    snprintf(compact, sizeof(compact), ".%s;info=<" X5U ">", dot);
    m.call.identity[0] = slice_cstr(compact);
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 200, "compact PASSporT valid");
    /* Any change to Date breaks it: that is why SHAKEN wants full form. */
    m.call.date = SLICE_LIT("Tue, 24 Nov 2026 06:17:10 GMT");
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 438, "signature does not validate over the PASSporT rebuilt");
}

static void
test_cert_matrix(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;
    struct stir_signer *s;
    char *kp = NULL;
    size_t kl = 0;

    /* Sign with each leaf's own key (P-256 ones), verify with its cert. */
    const struct {
        enum leaf l;
        const char *reason;
    } cases[] = {
        { L_EXPIRED, "certificate \"Expired\" expired: notAfter" },
        { L_FUTURE, "certificate \"Future\" not yet valid: notBefore" },
        { L_UNKNOWN,
            "\"Rogue\" untrusted: self-signed certificate in certificate "
            "chain" },
        { L_NOTN, "certificate has no TNAuthList extension" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kl = 0;
        free(kp);
        kp = NULL;
        assert_int_equal(stir_pki_pem_key(f->key[cases[i].l], &kp, &kl), 0);
        assert_int_equal(stir_signer_new(&s, kp, kl, SLICE_LIT(X5U)), 0);
        msg_init(&m, NOW);
        struct stir_sign_opts o = { .attest = 'B', .iat = NOW };
        assert_true(
            stir_sign(s, &m.call, &o, m.ident[0], sizeof(m.ident[0])) > 0);
        m.call.identity[0] = slice_cstr(m.ident[0]);
        m.call.nidentity = 1;
        run(f, &m, cases[i].l, NULL, &out);
        expect(out, 437, cases[i].reason);
        stir_signer_free(s);
    }
    free(kp);

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    /* The revoked cert only fails with the CRL loaded. */
    run(f, &m, L_REVOKED, f->trust_crl, &out);
    expect(out, 437, "certificate revoked");
    run(f, &m, L_SPC, f->trust_crl, &out);
    expect(out, 200, "valid");
    /* Wrong key types. */
    run(f, &m, L_P384, NULL, &out);
    expect(out, 437, "certificate key is EC secp384r1, ES256 needs EC P-256");
    run(f, &m, L_RSA, NULL, &out);
    expect(out, 437, "certificate key is RSA 2048-bit");
    /* Signed with one key, certificate of another: 438. */
    run(f, &m, L_TN, NULL, &out);
    expect(out, 438, "signature does not validate");
    run(f, &m, L_NOTN, NULL, &out);
    expect(out, 437, "no TNAuthList");
    f->pol.require_tnauth = false;
    run(f, &m, L_NOTN, NULL, &out);
    f->pol.require_tnauth = true;
    expect(out, 438, "signature does not validate");
    /* SPC mismatch against what policy expects for this peer. */
    f->pol.expected_spc = "5678";
    run(f, &m, L_SPC, NULL, &out);
    expect(out, 437, "TNAuthList SPC is \"1234\", expected \"5678\"");
    f->pol.expected_spc = "1234";
    run(f, &m, L_SPC, NULL, &out);
    f->pol.expected_spc = NULL;
    expect(out, 200, "valid");
    /* Not a certificate; no certificate at all. */
    stir_verify_pem(f->v, &m.call, "junk", 4, f->trust, &f->pol, NOW, &out);
    expect(out, 437, "not a PEM certificate");
    stir_verify_pem(f->v, &m.call, NULL, 0, f->trust, &f->pol, NOW, &out);
    expect(out, 436, "no certificate");
}

static void
test_tn_range_cert(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;
    struct stir_signer *s;
    char *kp = NULL;
    size_t kl = 0;

    assert_int_equal(stir_pki_pem_key(f->key[L_TN], &kp, &kl), 0);
    assert_int_equal(stir_signer_new(&s, kp, kl, SLICE_LIT(X5U)), 0);
    struct stir_sign_opts o = { .attest = 'A', .iat = NOW };
    msg_init(&m, NOW);
    m.call.from = SLICE_LIT("<tel:+1-215-555-0042>");
    assert_true(stir_sign(s, &m.call, &o, m.ident[0], sizeof(m.ident[0])) > 0);
    m.call.identity[0] = slice_cstr(m.ident[0]);
    m.call.nidentity = 1;
    run(f, &m, L_TN, NULL, &out);
    expect(out, 200, "valid");
    msg_init(&m, NOW);
    m.call.from = SLICE_LIT("<tel:+12155550100>");
    assert_true(stir_sign(s, &m.call, &o, m.ident[0], sizeof(m.ident[0])) > 0);
    m.call.identity[0] = slice_cstr(m.ident[0]);
    m.call.nidentity = 1;
    run(f, &m, L_TN, NULL, &out);
    expect(out, 437, "does not cover orig TN \"12155550100\"");
    stir_signer_free(s);
    free(kp);
}

/* stir-reference.md §2.5: what Kamailio secsipid produced, verified with
 * the chain it was issued under, at its iat. */
static void
test_kamailio_vector_full(void **state)
{
    struct fx *f = *state;
    struct stir_trust *t;
    struct stir_verdict out;
    struct msg m;
    size_t rl, sl, il;
    char *root = test_read("kam_root.pem", &rl);
    char *sp = test_read("kam_sp.pem", &sl);
    char *inter = test_read("kam_inter.pem", &il);
    char *bundle = malloc(sl + il + 1);

    memcpy(bundle, sp, sl);
    memcpy(bundle + sl, inter, il + 1);
    assert_int_equal(stir_trust_new(&t), 0);
    assert_int_equal(stir_trust_add_pem(t, root, rl), 1);
    msg_init(&m, VEC_KAMAILIO_IAT);
    m.call.from = SLICE_LIT("<sip:+12155551212@127.0.0.1;user=phone>;tag=x");
    m.call.to = SLICE_LIT("<sip:+12155551213@127.0.0.1>");
    m.call.identity[0] = SLICE_LIT(VEC_KAMAILIO_IDENTITY);
    m.call.nidentity = 1;
    stir_verify_pem(f->v, &m.call, bundle, sl + il, t, &f->pol,
        VEC_KAMAILIO_IAT + 10, &out);
    expect(out, 200, "valid");
    /* Without the intermediate in the bundle the chain is incomplete. */
    stir_verify_pem(
        f->v, &m.call, sp, sl, t, &f->pol, VEC_KAMAILIO_IAT + 10, &out);
    expect(out, 437, "untrusted");
    /* A day later it is stale. */
    stir_verify_pem(f->v, &m.call, bundle, sl + il, t, &f->pol,
        VEC_KAMAILIO_IAT + 86400, &out);
    expect(out, 403, "s old");
    stir_trust_free(t);
    free(root);
    free(sp);
    free(inter);
    free(bundle);
}

/* libstirshaken's reference PASSporT: signature fine, claims malformed,
 * and its TNAuthList is not RFC 8226. */
static void
test_libstirshaken_vector_full(void **state)
{
    struct fx *f = *state;
    struct stir_trust *t;
    struct stir_verdict out;
    struct msg m;
    size_t cl, sl;
    char *ca = test_read("libstirshaken_ca.pem", &cl);
    char *sp = test_read("libstirshaken_sp.pem", &sl);

    assert_int_equal(stir_trust_new(&t), 0);
    assert_int_equal(stir_trust_add_pem(t, ca, cl), 1);
    msg_init(&m, 1603458131);
    m.call.from = SLICE_LIT("<sip:01256789999@x>");
    m.call.to = SLICE_LIT("<sip:01256500600@x>");
    m.call.identity[0] = SLICE_LIT(VEC_LIBSTIRSHAKEN_IDENTITY);
    m.call.nidentity = 1;
    stir_verify_pem(f->v, &m.call, sp, sl, t, &f->pol, 1603458131, &out);
    expect(out, 438, "claim \"orig\" is not a JSON object");
    stir_trust_free(t);
    free(ca);
    free(sp);
}

static void
test_reason_and_verstat(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct stir_verdict out;
    char buf[128];

    msg_init(&m, NOW);
    msg_sign(f, &m, NOW);
    run(f, &m, L_SPC, NULL, &out);
    assert_string_equal(stir_verstat(&out), "TN-Validation-Passed");
    assert_int_equal(stir_reason_value(&out, false, buf, sizeof(buf)), 0);
    m.call.to = SLICE_LIT("<tel:+12155550000>");
    run(f, &m, L_SPC, NULL, &out);
    assert_string_equal(stir_verstat(&out), "TN-Validation-Failed");
    assert_true(stir_reason_value(&out, false, buf, sizeof(buf)) > 0);
    /* the precise failure, not the code's phrase */
    assert_non_null(strstr(buf, "SIP;cause=438;text=\""));
    assert_non_null(strstr(buf, "dest.tn"));
    assert_int_equal(buf[strlen(buf) - 1], '"');
    stir_verify_pem(f->v, &m.call, NULL, 0, f->trust, &f->pol, NOW, &out);
    assert_true(stir_reason_value(&out, true, buf, sizeof(buf)) > 0);
    assert_int_equal(strncmp(buf, "STIR;cause=436;text=\"", 20), 0);
    assert_int_equal(stir_reason_value(&out, true, buf, 10), -ENOSPC);
    /* cut short: still one closed quoted-string */
    assert_int_equal(stir_reason_value(&out, true, buf, 30), -ENOSPC);
    assert_int_equal(strlen(buf), 29);
    assert_int_equal(buf[28], '"');
    assert_true(stir_reason_fmt(
                    buf, sizeof(buf), false, 403, "a \"quoted\" \\ text\r\n")
        > 0);
    assert_string_equal(buf, "SIP;cause=403;text=\"a 'quoted' ' text  \"");
    m.call.nidentity = 0;
    run(f, &m, L_SPC, NULL, &out);
    assert_string_equal(stir_verstat(&out), "No-TN-Validation");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_tamper_from_to_date),
        cmocka_unit_test(test_tamper_iat),
        cmocka_unit_test(test_tamper_signature),
        cmocka_unit_test(test_tamper_header),
        cmocka_unit_test(test_missing_claims),
        cmocka_unit_test(test_bad_encoding),
        cmocka_unit_test(test_multiple_and_none),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_cert_matrix),
        cmocka_unit_test(test_tn_range_cert),
        cmocka_unit_test(test_kamailio_vector_full),
        cmocka_unit_test(test_libstirshaken_vector_full),
        cmocka_unit_test(test_reason_and_verstat),
    };
    stir_err_init();
    return cmocka_run_group_tests(tests, setup, teardown);
}
