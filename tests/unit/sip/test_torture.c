/*
 * RFC 4475 (SIP torture tests) and RFC 5118 (IPv6 torture tests): every
 * message as a data file under tests/data, each valid one parsed with its
 * fields checked, each invalid one rejected with the defect named. Inputs
 * end at a guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/err.h"
#include "sip/sip_build.h"
#include "sip/sip_hdr.h"
#include "sip/sip_msg.h"
#include "sip/sip_uri.h"
#include "guard.h"

static struct sip_msg m;
static struct guard g;

static int
load(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.sip", SW_TEST_DATA, rel);
    return sip_msg_parse(&m, guard_file(&g, path));
}

#define EQ(s, lit) assert_true(slice_eq((s), SLICE_LIT(lit)))

/* Outcome of every message: parse error, then sip_msg_validate error. */
static const struct {
    const char *name;
    int parse;
    int validate;
} cases[] = {
    /* RFC 4475 3.1.1: valid */
    { "rfc4475/wsinv", 0, 0 },
    { "rfc4475/intmeth", 0, 0 },
    { "rfc4475/esc01", 0, 0 },
    { "rfc4475/escnull", 0, 0 },
    { "rfc4475/esc02", 0, 0 },
    { "rfc4475/lwsdisp", 0, 0 },
    { "rfc4475/longreq", 0, 0 },
    { "rfc4475/dblreq", 0, 0 },
    { "rfc4475/semiuri", 0, 0 },
    { "rfc4475/transports", 0, 0 },
    { "rfc4475/mpart01", 0, 0 },
    { "rfc4475/unreason", 0, 0 },
    { "rfc4475/noreason", 0, 0 },
    /* 3.1.2: invalid */
    { "rfc4475/badinv01", SIP_E_BAD_VIA, 0 },
    { "rfc4475/clerr", SIP_E_BODY_TRUNCATED, 0 },
    { "rfc4475/ncl", SIP_E_BAD_CONTENT_LENGTH, 0 },
    { "rfc4475/scalar02", SIP_E_CSEQ_RANGE, 0 },
    { "rfc4475/scalarlg", SIP_E_CSEQ_RANGE, 0 },
    { "rfc4475/quotbal", SIP_E_BAD_TO, 0 },
    { "rfc4475/ltgtruri", SIP_E_BAD_RURI, 0 },
    { "rfc4475/lwsruri", SIP_E_BAD_RURI, 0 },
    { "rfc4475/lwsstart", SIP_E_BAD_REQUEST_LINE, 0 },
    { "rfc4475/trws", SIP_E_BAD_REQUEST_LINE, 0 },
    { "rfc4475/escruri", SIP_E_BAD_RURI, 0 },
    { "rfc4475/baddate", 0, SIP_E_BAD_DATE },
    { "rfc4475/regbadct", 0, SIP_E_BAD_CONTACT },
    { "rfc4475/badaspec", SIP_E_BAD_TO, 0 },
    { "rfc4475/baddn", SIP_E_BAD_FROM, 0 },
    { "rfc4475/badvers", SIP_E_VERSION, 0 },
    { "rfc4475/mismatch01", SIP_E_CSEQ_METHOD, 0 },
    { "rfc4475/mismatch02", SIP_E_CSEQ_METHOD, 0 },
    { "rfc4475/bigcode", SIP_E_BAD_STATUS_LINE, 0 },
    /* 3.2: transaction layer; syntactically valid */
    { "rfc4475/badbranch", 0, 0 },
    /* 3.3: application layer */
    { "rfc4475/insuf", SIP_E_NO_CALL_ID, 0 },
    { "rfc4475/unkscm", 0, 0 },
    { "rfc4475/novelsc", 0, 0 },
    { "rfc4475/unksm2", 0, 0 },
    { "rfc4475/bext01", 0, 0 },
    { "rfc4475/invut", 0, 0 },
    { "rfc4475/regaut01", 0, 0 },
    { "rfc4475/multi01", SIP_E_DUP_CALL_ID, 0 },
    { "rfc4475/mcl01", SIP_E_DUP_CONTENT_LENGTH, 0 },
    { "rfc4475/bcast", 0, 0 },
    { "rfc4475/zeromf", 0, 0 },
    { "rfc4475/cparam01", 0, 0 },
    { "rfc4475/cparam02", 0, 0 },
    { "rfc4475/regescrt", 0, 0 },
    { "rfc4475/sdp01", 0, 0 },
    /* 3.4: RFC 2543 syntax, still accepted */
    { "rfc4475/inv2543", 0, 0 },
    /* RFC 5118 */
    { "rfc5118/ipv6-good", 0, 0 },
    { "rfc5118/ipv6-bad", SIP_E_BAD_RURI, 0 },
    { "rfc5118/port-ambiguous", 0, 0 },
    { "rfc5118/port-unambiguous", 0, 0 },
    { "rfc5118/via-received-brackets", 0, 0 },
    { "rfc5118/via-received-bare", 0, 0 },
    { "rfc5118/ipv6-in-sdp", 0, 0 },
    { "rfc5118/mult-ip-in-header", 0, 0 },
    { "rfc5118/mult-ip-in-sdp", 0, 0 },
    { "rfc5118/ipv4-mapped-ipv6", 0, 0 },
    { "rfc5118/ipv6-bug-abnf-3-colons", 0, 0 },
    { "rfc5118/ipv6-correct-abnf-2-colons", 0, 0 },
};

static void
test_all_outcomes(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = load(cases[i].name);
        if (rc != cases[i].parse) {
            fail_msg("%s: parse gave \"%s\", expected \"%s\"", cases[i].name,
                err_str(rc), err_str(cases[i].parse));
        }
        if (rc == 0) {
            int v = sip_msg_validate(&m);
            if (v != cases[i].validate) {
                fail_msg("%s: validate gave \"%s\", expected \"%s\"",
                    cases[i].name, err_str(v), err_str(cases[i].validate));
            }
        }
        /* Every prefix is rejected without reading past it (the guard
         * page faults otherwise); the message itself has been checked. */
        size_t len = g.s.len;
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, g.s.p, len);
        struct guard g2 = { 0 };
        for (size_t cut = 0; cut < len; cut += 1 + cut / 64) {
            struct sip_msg *mm = &m;
            (void) sip_msg_parse(mm, guard_put(&g2, copy, cut));
            size_t n;
            (void) sip_msg_frame(g2.s, &n);
        }
        guard_free(&g2);
        free(copy);
    }
    guard_free(&g);
}

static void
test_wsinv(void **state)
{
    (void) state;
    assert_int_equal(load("rfc4475/wsinv"), 0);
    assert_int_equal(m.method, SIP_METHOD_INVITE);
    EQ(m.ruri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
    EQ(m.to_tag, "1918181833n");
    EQ(m.from_tag, "98asjd8");
    assert_int_equal(m.max_forwards, 68);
    EQ(m.call_id, "wsinv.ndaksdj@192.0.2.1");
    assert_int_equal(m.content_length, 150);
    assert_int_equal(m.cseq, 9);
    assert_int_equal(m.cseq_method, SIP_METHOD_INVITE);
    assert_int_equal(m.nvia, 3);
    EQ(m.branch, "390skdjuw");
    struct sip_via v;
    const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_VIA);
    assert_int_equal(sip_via_parse(&v, h->value), 0);
    EQ(v.host, "192.0.2.2");
    EQ(v.transport, "UDP");
    h = sip_msg_hdr_next(&m, h);
    assert_int_equal(sip_via_parse(&v, h->value), 0);
    EQ(v.transport, "TCP");
    EQ(v.host, "spindle.example.com");
    EQ(v.branch, "z9hG4bK9ikj8");
    h = sip_msg_hdr_next(&m, h);
    assert_int_equal(sip_via_parse(&v, h->value), 0);
    EQ(v.host, "192.168.255.111");
    EQ(v.branch, "z9hG4bK30239");
    struct sip_addr a;
    assert_int_equal(
        sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_FROM)->value), 0);
    char d[64];
    assert_int_equal(sip_display_unquote(d, sizeof(d), a.display), 14);
    assert_string_equal(d, "J Rosenberg \\\"");
    EQ(a.uri.user, "jdrosen");
    assert_int_equal(sip_msg_hdr(&m, SIP_HDR_SUBJECT)->value.len, 0);
    EQ(sip_msg_hdr_find(&m, SLICE_LIT("NewFangledHeader"))->value,
        "newfangled value\r\n continued newfangled value");
    EQ(sip_msg_hdr_find(&m, SLICE_LIT("UnknownHeaderWithUnusualValue"))->value,
        ";;,,;;,;");
    struct sip_contact c;
    assert_int_equal(
        sip_contact_parse(&c, sip_msg_hdr(&m, SIP_HDR_CONTACT)->value), 0);
    assert_int_equal(c.q, 330);
    struct slice pv;
    assert_true(sip_param_get(c.addr.params, SLICE_LIT("newparam"), &pv));
    EQ(pv, "newvalue");
    assert_true(sip_param_get(c.addr.params, SLICE_LIT("secondparam"), &pv));
    assert_int_equal(pv.len, 0);
    assert_int_equal(m.body.len, 150);
    guard_free(&g);
}

static void
test_intmeth(void **state)
{
    (void) state;
    assert_int_equal(load("rfc4475/intmeth"), 0);
    assert_int_equal(m.method, SIP_METHOD_OTHER);
    EQ(m.method_name, "!interesting-Method0123456789_*+`.%indeed'~");
    struct sip_uri u;
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    EQ(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    EQ(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    EQ(u.host, "example.com");
    EQ(m.branch, "z9hG4bK-.!%66*_+`'~");
    EQ(m.from_tag, "_token~1'+`*%!-.");
    EQ(m.call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert_int_equal(m.cseq, 139122385);
    assert_int_equal(m.max_forwards, 255);
    struct sip_addr a;
    assert_int_equal(sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_TO)->value), 0);
    char d[32];
    assert_int_equal(sip_display_unquote(d, sizeof(d), a.display), 17);
    assert_memory_equal(d, "BEL:\x07 NUL:\x00 DEL:\x7f", 17);
    assert_int_equal(
        sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_FROM)->value), 0);
    EQ(a.display, "token1~` token2'+_ token3*%!.-");
    const struct sip_hdr *x =
        sip_msg_hdr_find(&m, SLICE_LIT("extensionHeader-!.%*+_`'~"));
    assert_non_null(x);
    EQ(x->value, "\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB");
    guard_free(&g);
}

static void
test_escapes(void **state)
{
    (void) state;
    char buf[64];
    struct sip_uri u;
    struct sip_addr a;
    assert_int_equal(load("rfc4475/esc01"), 0);
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    assert_int_equal(sip_uri_unescape(buf, sizeof(buf), u.user), 21);
    assert_string_equal(buf, "sips:user@example.com");
    assert_int_equal(sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_TO)->value), 0);
    assert_int_equal(sip_uri_unescape(buf, sizeof(buf), a.uri.user), 4);
    assert_string_equal(buf, "user");
    struct sip_contact c;
    assert_int_equal(
        sip_contact_parse(&c, sip_msg_hdr(&m, SIP_HDR_CONTACT)->value), 0);
    struct slice v;
    assert_true(sip_param_get(c.addr.uri.params, SLICE_LIT("n%61me"), &v));
    /* Unescaping is never recursive: "value%41", not "valueA". */
    assert_int_equal(sip_uri_unescape(buf, sizeof(buf), v), 8);
    assert_string_equal(buf, "value%41");
    guard_free(&g);

    assert_int_equal(load("rfc4475/escnull"), 0);
    int n = 0;
    for (const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_CONTACT); h;
         h = sip_msg_hdr_next(&m, h)) {
        assert_int_equal(sip_contact_parse(&c, h->value), 0);
        n++;
    }
    assert_int_equal(n, 2);
    assert_int_equal(sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_TO)->value), 0);
    /* The AOR keeps its length past the escaped NUL. */
    assert_int_equal(sip_uri_unescape(buf, sizeof(buf), a.uri.user), 11);
    assert_memory_equal(buf, "null-\0-null", 11);
    guard_free(&g);

    assert_int_equal(load("rfc4475/esc02"), 0);
    assert_int_equal(m.method, SIP_METHOD_OTHER);
    EQ(m.method_name, "RE%47IST%45R");
    n = 0;
    for (const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_CONTACT); h;
         h = sip_msg_hdr_next(&m, h)) {
        n++;
    }
    assert_int_equal(n, 2); /* C%6Fntact is another header */
    assert_non_null(sip_msg_hdr_find(&m, SLICE_LIT("C%6Fntact")));
    EQ(m.branch, "z9hG4bK209%fzsnel234");
    guard_free(&g);

    assert_int_equal(load("rfc4475/semiuri"), 0);
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    EQ(u.user, "user;par=u%40example.net");
    EQ(u.host, "example.com");
    assert_int_equal(u.params.len, 0);
    n = 0;
    for (const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_ACCEPT); h;
         h = sip_msg_hdr_next(&m, h)) {
        n++;
    }
    assert_int_equal(n, 6);
    guard_free(&g);
}

static void
test_long_and_odd(void **state)
{
    (void) state;
    struct sip_addr a;
    assert_int_equal(load("rfc4475/lwsdisp"), 0);
    assert_int_equal(
        sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_FROM)->value), 0);
    EQ(a.display, "caller");
    guard_free(&g);

    assert_int_equal(load("rfc4475/longreq"), 0);
    assert_int_equal(m.nvia, 34);
    assert_int_equal(sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_TO)->value), 0);
    assert_int_equal(a.uri.port, 6000);
    assert_int_equal(m.from_tag.len, 2 + 150 + 3);
    const struct sip_hdr *last = sip_msg_hdr(&m, SIP_HDR_VIA);
    while (sip_msg_hdr_next(&m, last)) {
        last = sip_msg_hdr_next(&m, last);
    }
    struct sip_via v;
    assert_int_equal(sip_via_parse(&v, last->value), 0);
    EQ(v.received, "192.0.2.5");
    assert_int_equal(v.branch.len, 4 + 200 + 11);
    guard_free(&g);

    /* Extra octets after a UDP body are not part of the message. */
    assert_int_equal(load("rfc4475/dblreq"), 0);
    assert_int_equal(m.method, SIP_METHOD_REGISTER);
    assert_int_equal(m.body.len, 0);
    assert_true(m.buf.len < g.s.len);
    guard_free(&g);

    assert_int_equal(load("rfc4475/transports"), 0);
    static const char *const tr[] = { "UDP", "SCTP", "TLS", "UNKNOWN", "TCP" };
    size_t i = 0;
    for (const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_VIA); h;
         h = sip_msg_hdr_next(&m, h), i++) {
        assert_int_equal(sip_via_parse(&v, h->value), 0);
        assert_true(slice_eq(v.transport, slice_cstr(tr[i])));
    }
    assert_int_equal(i, 5);
    guard_free(&g);

    assert_int_equal(load("rfc4475/mpart01"), 0);
    assert_int_equal(m.method, SIP_METHOD_MESSAGE);
    assert_int_equal((size_t) m.content_length, m.body.len);
    assert_non_null(memchr(m.body.p, '\0', m.body.len));
    time_t t;
    assert_int_equal(
        sip_date_parse(&t, sip_msg_hdr(&m, SIP_HDR_DATE)->value), 0);
    assert_int_equal((long long) t, 1129351496LL);
    assert_int_equal(sip_via_parse(&v, sip_msg_hdr(&m, SIP_HDR_VIA)->value), 0);
    assert_true(v.has_rport);
    assert_int_equal(v.port, 5070);
    guard_free(&g);
}

static void
test_responses(void **state)
{
    (void) state;
    assert_int_equal(load("rfc4475/unreason"), 0);
    assert_int_equal(m.status, 200);
    assert_true(slice_caseprefix(m.reason, SLICE_LIT("= 2**3 * 5**2 ")));
    assert_int_equal(m.reason.len, 14 + 60);
    EQ(m.to_tag, "2229");
    guard_free(&g);
    assert_int_equal(load("rfc4475/noreason"), 0);
    assert_int_equal(m.status, 100);
    assert_int_equal(m.reason.len, 0);
    guard_free(&g);
    assert_int_equal(load("rfc4475/bcast"), 0);
    assert_int_equal(m.nvia, 2);
    guard_free(&g);
}

static void
test_semantics(void **state)
{
    (void) state;
    struct sip_uri u;
    struct sip_addr a;
    struct sip_contact c;
    assert_int_equal(load("rfc4475/badbranch"), 0);
    EQ(m.branch, "z9hG4bK");
    guard_free(&g);
    assert_int_equal(load("rfc4475/unkscm"), 0);
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    assert_int_equal(u.scheme, SIP_URI_OTHER);
    EQ(u.scheme_s, "nobodyKnowsThisScheme");
    guard_free(&g);
    assert_int_equal(load("rfc4475/novelsc"), 0);
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    EQ(u.scheme_s, "soap.beep");
    guard_free(&g);
    assert_int_equal(load("rfc4475/unksm2"), 0);
    assert_int_equal(sip_addr_parse(&a, sip_msg_hdr(&m, SIP_HDR_TO)->value), 0);
    EQ(a.uri.scheme_s, "isbn");
    guard_free(&g);
    assert_int_equal(load("rfc4475/bext01"), 0);
    assert_true(sip_msg_has_token(
        &m, SIP_HDR_REQUIRE, SLICE_LIT("nothingSupportsThisEither")));
    assert_true(sip_msg_has_token(
        &m, SIP_HDR_PROXY_REQUIRE, SLICE_LIT("noProxiesSupportThis")));
    guard_free(&g);
    assert_int_equal(load("rfc4475/regaut01"), 0);
    struct sip_auth au;
    assert_int_equal(
        sip_auth_parse(&au, sip_msg_hdr(&m, SIP_HDR_AUTHORIZATION)->value), 0);
    EQ(au.scheme, "NoOneKnowsThisScheme");
    guard_free(&g);
    assert_int_equal(load("rfc4475/zeromf"), 0);
    assert_int_equal(m.max_forwards, 0);
    char out[2048];
    size_t len;
    struct sip_fwd_opts fo = { .dec_max_forwards = true };
    assert_int_equal(sip_build_forward(out, sizeof(out), &len, &m, &fo),
        SIP_E_MAX_FORWARDS_RANGE);
    guard_free(&g);
    /* Without <>, the parameter belongs to the Contact, not the URI. */
    assert_int_equal(load("rfc4475/cparam01"), 0);
    assert_int_equal(
        sip_contact_parse(&c, sip_msg_hdr(&m, SIP_HDR_CONTACT)->value), 0);
    assert_true(sip_param_get(c.addr.params, SLICE_LIT("unknownparam"), NULL));
    assert_false(
        sip_param_get(c.addr.uri.params, SLICE_LIT("unknownparam"), NULL));
    guard_free(&g);
    assert_int_equal(load("rfc4475/cparam02"), 0);
    assert_int_equal(
        sip_contact_parse(&c, sip_msg_hdr(&m, SIP_HDR_CONTACT)->value), 0);
    assert_true(
        sip_param_get(c.addr.uri.params, SLICE_LIT("unknownparam"), NULL));
    guard_free(&g);
    assert_int_equal(load("rfc4475/regescrt"), 0);
    assert_int_equal(
        sip_contact_parse(&c, sip_msg_hdr(&m, SIP_HDR_CONTACT)->value), 0);
    EQ(c.addr.uri.headers, "Route=%3Csip:sip.example.com%3E");
    guard_free(&g);
    assert_int_equal(load("rfc4475/inv2543"), 0);
    assert_int_equal(m.max_forwards, -1);
    assert_int_equal(m.content_length, -1);
    assert_int_equal(m.from_tag.len, 0);
    assert_int_equal(m.branch.len, 0);
    assert_true(m.body.len > 0);
    guard_free(&g);
}

static void
test_ipv6(void **state)
{
    (void) state;
    struct sip_uri u;
    struct sip_via v;
    assert_int_equal(load("rfc5118/ipv6-good"), 0);
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    assert_int_equal(u.host_type, SIP_HOST_IPV6);
    EQ(u.host, "[2001:db8::10]");
    assert_int_equal(sip_via_parse(&v, sip_msg_hdr(&m, SIP_HDR_VIA)->value), 0);
    EQ(v.host, "[2001:db8::9:1]");
    guard_free(&g);
    assert_int_equal(load("rfc5118/port-ambiguous"), 0);
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    assert_false(u.has_port);
    EQ(u.host, "[2001:db8::10:5070]");
    guard_free(&g);
    assert_int_equal(load("rfc5118/port-unambiguous"), 0);
    assert_int_equal(sip_uri_parse(&u, m.ruri), 0);
    assert_true(u.has_port);
    assert_int_equal(u.port, 5070);
    guard_free(&g);
    assert_int_equal(load("rfc5118/via-received-brackets"), 0);
    assert_int_equal(sip_via_parse(&v, sip_msg_hdr(&m, SIP_HDR_VIA)->value), 0);
    EQ(v.received, "[2001:db8::9:255]");
    guard_free(&g);
    assert_int_equal(load("rfc5118/via-received-bare"), 0);
    assert_int_equal(sip_via_parse(&v, sip_msg_hdr(&m, SIP_HDR_VIA)->value), 0);
    EQ(v.received, "2001:db8::9:255");
    guard_free(&g);
    assert_int_equal(load("rfc5118/mult-ip-in-header"), 0);
    assert_int_equal(sip_via_parse(&v, sip_msg_hdr(&m, SIP_HDR_VIA)->value), 0);
    assert_int_equal(v.port, 6050);
    assert_int_equal(m.nvia, 3);
    guard_free(&g);
    assert_int_equal(load("rfc5118/ipv4-mapped-ipv6"), 0);
    assert_int_equal(sip_via_parse(&v, sip_msg_hdr(&m, SIP_HDR_VIA)->value), 0);
    EQ(v.host, "[::ffff:192.0.2.10]");
    assert_int_equal(v.port, 19823);
    guard_free(&g);
    assert_int_equal(load("rfc5118/ipv6-in-sdp"), 0);
    assert_int_equal((size_t) m.content_length, m.body.len);
    guard_free(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_outcomes),
        cmocka_unit_test(test_wsinv),
        cmocka_unit_test(test_intmeth),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_long_and_odd),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_semantics),
        cmocka_unit_test(test_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
