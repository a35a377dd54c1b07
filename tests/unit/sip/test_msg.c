#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sip/sip_msg.h"
#include "guard.h"

static struct sip_msg msg;

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, "
    "SIP/2.0/TCP p2.example.com;branch=z9hG4bKa\r\n"
    "v: SIP/2.0/UDP p3.example.com;branch=z9hG4bKb;received=192.0.2.1\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: \"Alice, A.\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Subject: folded\r\n  over two lines\r\n"
    "X-Custom: keep, as is\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

static int
parse(const char *s, struct guard *g)
{
    return sip_msg_parse(&msg, guard_str(g, s));
}

static void
test_invite(void **state)
{
    (void) state;
    struct guard g = { 0 };
    assert_int_equal(parse(invite, &g), 0);
    assert_true(msg.request);
    assert_int_equal(msg.method, SIP_METHOD_INVITE);
    assert_true(slice_eq(msg.ruri, SLICE_LIT("sip:bob@biloxi.example.com")));
    assert_int_equal(msg.nvia, 3);
    const struct sip_hdr *v = sip_msg_hdr(&msg, SIP_HDR_VIA);
    assert_non_null(v);
    assert_true(slice_eq(v->value,
        SLICE_LIT(
            "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds")));
    assert_true(v->flags & SIP_HDR_F_LINE);
    v = sip_msg_hdr_next(&msg, v);
    assert_true(slice_eq(
        v->value, SLICE_LIT("SIP/2.0/TCP p2.example.com;branch=z9hG4bKa")));
    assert_false(v->flags & SIP_HDR_F_LINE);
    v = sip_msg_hdr_next(&msg, v);
    assert_true(slice_eq(v->name, SLICE_LIT("v")));
    assert_null(sip_msg_hdr_next(&msg, v));
    assert_true(slice_eq(msg.branch, SLICE_LIT("z9hG4bK776asdhds")));
    assert_true(slice_eq(msg.from_tag, SLICE_LIT("1928301774")));
    assert_int_equal(msg.to_tag.len, 0);
    assert_int_equal(msg.cseq, 314159);
    assert_int_equal(msg.cseq_method, SIP_METHOD_INVITE);
    assert_int_equal(msg.max_forwards, 70);
    assert_true(slice_eq(
        msg.call_id, SLICE_LIT("a84b4c76e66710@pc33.atlanta.example.com")));
    const struct sip_hdr *s = sip_msg_hdr(&msg, SIP_HDR_SUBJECT);
    assert_true(slice_eq(s->value, SLICE_LIT("folded\r\n  over two lines")));
    const struct sip_hdr *x = sip_msg_hdr_find(&msg, SLICE_LIT("x-custom"));
    assert_non_null(x);
    assert_int_equal(x->id, SIP_HDR_OTHER);
    assert_true(slice_eq(x->value, SLICE_LIT("keep, as is")));
    assert_true(slice_eq(msg.body, SLICE_LIT("v=0\n")));
    assert_int_equal(msg.content_length, 4);
    assert_int_equal(msg.buf.len, strlen(invite));
    guard_free(&g);
}

static void
test_compact_and_case(void **state)
{
    (void) state;
    struct guard g = { 0 };
    assert_int_equal(parse("OPTIONS sip:x@example.com SIP/2.0\r\n"
                           "v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
                           "t: <sip:x@example.com>\r\n"
                           "f: <sip:y@example.com>;tag=9\r\n"
                           "i: abc\r\n"
                           "cseq: 1 OPTIONS\r\n"
                           "m: <sip:y@h.example.com>\r\n"
                           "k: path, outbound\r\n"
                           "l: 0\r\n"
                           "\r\n",
                         &g),
        0);
    assert_int_equal(msg.method, SIP_METHOD_OPTIONS);
    assert_true(sip_msg_hdr(&msg, SIP_HDR_CONTACT) != NULL);
    assert_int_equal(msg.content_length, 0);
    const struct sip_hdr *k = sip_msg_hdr(&msg, SIP_HDR_SUPPORTED);
    assert_true(slice_eq(k->value, SLICE_LIT("path")));
    assert_true(
        slice_eq(sip_msg_hdr_next(&msg, k)->value, SLICE_LIT("outbound")));
    guard_free(&g);
}

static void
test_lookup(void **state)
{
    (void) state;
    for (int id = 1; id < SIP_HDR_COUNT; id++) {
        const char *n = sip_hdr_name((enum sip_hdr_id) id);
        assert_int_equal(sip_hdr_lookup(slice_cstr(n)), id);
        char up[32];
        size_t i;
        for (i = 0; n[i]; i++) {
            up[i] = (char) ((n[i] >= 'a' && n[i] <= 'z') ? n[i] - 32 : n[i]);
        }
        assert_int_equal(sip_hdr_lookup(slice_make(up, i)), id);
    }
    assert_int_equal(sip_hdr_lookup(SLICE_LIT("y")), SIP_HDR_IDENTITY);
    assert_int_equal(sip_hdr_lookup(SLICE_LIT("n")), SIP_HDR_IDENTITY_INFO);
    assert_int_equal(sip_hdr_lookup(SLICE_LIT("X-Foo")), SIP_HDR_OTHER);
    assert_int_equal(sip_hdr_lookup(SLICE_LIT("Vib")), SIP_HDR_OTHER);
    assert_int_equal(
        sip_method_lookup(SLICE_LIT("REGISTER")), SIP_METHOD_REGISTER);
    assert_int_equal(
        sip_method_lookup(SLICE_LIT("register")), SIP_METHOD_OTHER);
}

#define BASE_HDRS                                                              \
    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"                       \
    "To: <sip:x@example.com>\r\n"                                              \
    "From: <sip:y@example.com>;tag=9\r\n"

static void
expect(const char *s, int err, const char *text, int status)
{
    struct guard g = { 0 };
    int rc = parse(s, &g);
    if (rc != err) {
        fail_msg("expected %s, got %s for:\n%s", err_str(err), err_str(rc), s);
    }
    assert_string_equal(err_str(rc), text);
    assert_int_equal(sip_err_status(rc), status);
    guard_free(&g);
}

/* CSeq and Max-Forwards as the message parser checks them (a shortcut for
 * the usual values) against the value parsers, for usual and edge values. */
static void
test_core_values(void **state)
{
    (void) state;
    static const char *const cseq[] = { "1 INVITE", "01 INVITE", "0 INVITE",
        "2147483647 INVITE", "2147483648 INVITE", "9999999999 INVITE",
        "99999999999 INVITE", "1  INVITE", "1\tINVITE", "1 INVITEX", "1 INVIT",
        "x INVITE", "1 invite", "1 ACK", "-1 INVITE", "1INVITE", "1 INVITE x",
        "18446744073709551617 INVITE" };
    static const char *const mf[] = { "0", "7", "70", "070", "255", "256",
        "999", "1000", "0255", "7a", "+1", "a" };
    char buf[512];
    for (size_t i = 0; i < sizeof(cseq) / sizeof(cseq[0]); i++) {
        snprintf(buf, sizeof(buf),
            "INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
            "Call-ID: a\r\nCSeq: %s\r\n\r\n",
            cseq[i]);
        struct sip_cseq c;
        int want = sip_cseq_parse(&c, slice_cstr(cseq[i]));
        if (!want && c.method != SIP_METHOD_INVITE) {
            want = SIP_E_CSEQ_METHOD;
        }
        struct guard g = { 0 };
        int rc = parse(buf, &g);
        if (rc != want) {
            fail_msg(
                "CSeq: %s: %s, not %s", cseq[i], err_str(rc), err_str(want));
        }
        if (!rc) {
            assert_int_equal(msg.cseq, c.num);
            assert_int_equal(msg.cseq_method, SIP_METHOD_INVITE);
            assert_true(slice_eq(msg.cseq_method_name, c.method_name));
        }
        guard_free(&g);
    }
    for (size_t i = 0; i < sizeof(mf) / sizeof(mf[0]); i++) {
        snprintf(buf, sizeof(buf),
            "OPTIONS sip:x@example.com SIP/2.0\r\n" BASE_HDRS
            "Call-ID: a\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: %s\r\n\r\n",
            mf[i]);
        uint32_t n = 0;
        int want = sip_max_forwards_parse(&n, slice_cstr(mf[i]));
        struct guard g = { 0 };
        int rc = parse(buf, &g);
        if (rc != want) {
            fail_msg("Max-Forwards: %s: %s, not %s", mf[i], err_str(rc),
                err_str(want));
        }
        if (!rc) {
            assert_int_equal(msg.max_forwards, (int) n);
        }
        guard_free(&g);
    }
}

static void
test_defects(void **state)
{
    (void) state;
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "CSeq: 1 INVITE\r\n\r\n",
        SIP_E_NO_CALL_ID, "Missing Call-ID", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 BYE\r\n\r\n",
        SIP_E_CSEQ_METHOD, "CSeq method does not match request", 400);
    expect("INVITE sip:x@example.com SIP/7.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
        SIP_E_VERSION, "SIP Version Not Supported", 505);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCall-ID: b\r\nCSeq: 1 INVITE\r\n\r\n",
        SIP_E_DUP_CALL_ID, "Duplicate Call-ID", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 2147483648 INVITE\r\n\r\n",
        SIP_E_CSEQ_RANGE, "CSeq Number Out of Range", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\nMax-Forwards: 256\r\n\r\n",
        SIP_E_MAX_FORWARDS_RANGE, "Max-Forwards Out of Range", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\nContent-Length: 10\r\n\r\nabc",
        SIP_E_BODY_TRUNCATED, "Body Shorter Than Content-Length", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\nContent-Length: -1\r\n\r\n",
        SIP_E_BAD_CONTENT_LENGTH, "Malformed Content-Length", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\nl: 0\r\nContent-Length: 0\r\n\r\n",
        SIP_E_DUP_CONTENT_LENGTH, "Duplicate Content-Length", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\nBad Header: x\r\n\r\n",
        SIP_E_BAD_HDR, "Malformed Header Line", 400);
    expect("INVITE sip:x@exa mple.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
        SIP_E_BAD_RURI, "Malformed Request-URI", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
           "To: <sip:x@example.com>\r\n"
           "From: \"unbalanced <sip:y@example.com>;tag=9\r\n"
           "Call-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
        SIP_E_BAD_FROM, "Malformed From", 400);
    expect("INVITE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
           "Call-ID: a\r\nCSeq: 1 INVITE\r\n",
        SIP_E_NO_END, "Missing End of Headers", 400);
}

static void
test_response(void **state)
{
    (void) state;
    struct guard g = { 0 };
    assert_int_equal(parse("SIP/2.0 302 Moved Temporarily\r\n" BASE_HDRS
                           "Call-ID: a\r\nCSeq: 1 INVITE\r\n"
                           "Contact: <sip:a@x.example.com>;q=0.5, "
                           "<sip:b@y.example.com>;q=1\r\n"
                           "Content-Length: 0\r\n\r\n",
                         &g),
        0);
    assert_false(msg.request);
    assert_int_equal(msg.status, 302);
    assert_true(slice_eq(msg.reason, SLICE_LIT("Moved Temporarily")));
    const struct sip_hdr *c = sip_msg_hdr(&msg, SIP_HDR_CONTACT);
    assert_true(slice_eq(c->value, SLICE_LIT("<sip:a@x.example.com>;q=0.5")));
    c = sip_msg_hdr_next(&msg, c);
    assert_true(slice_eq(c->value, SLICE_LIT("<sip:b@y.example.com>;q=1")));
    guard_free(&g);
}

static void
test_udp_extra_octets_and_stream(void **state)
{
    (void) state;
    struct guard g = { 0 };
    const char *m = "BYE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
                    "Call-ID: a\r\nCSeq: 2 BYE\r\nContent-Length: 2\r\n\r\n"
                    "abGARBAGE";
    assert_int_equal(parse(m, &g), 0);
    assert_true(slice_eq(msg.body, SLICE_LIT("ab")));
    assert_int_equal(msg.buf.len, strlen(m) - 7);
    guard_free(&g);
    struct slice in = guard_str(&g, m);
    in.len -= 8;
    assert_int_equal(
        sip_msg_parse_ex(&msg, in, &sip_limits_default, true), -EAGAIN);
    guard_free(&g);
}

static void
test_frame(void **state)
{
    (void) state;
    const char *m = "BYE sip:x@example.com SIP/2.0\r\n" BASE_HDRS
                    "Call-ID: a\r\nCSeq: 2 BYE\r\nl: 3\r\n\r\nabcNEXT";
    size_t full = strlen(m) - 4, n = 0;
    struct guard g = { 0 };
    for (size_t cut = 0; cut < full; cut++) {
        struct slice s = guard_put(&g, m, cut);
        int rc = sip_msg_frame(s, &n);
        assert_int_equal(rc, -EAGAIN);
        guard_free(&g);
    }
    assert_int_equal(sip_msg_frame(guard_str(&g, m), &n), 0);
    assert_int_equal(n, full);
    assert_int_equal(
        sip_msg_parse_ex(&msg, slice_make(g.s.p, n), &sip_limits_default, true),
        0);
    assert_true(slice_eq(msg.body, SLICE_LIT("abc")));
    guard_free(&g);

    assert_int_equal(sip_msg_frame(guard_str(&g, "\r\n\r\nINV"), &n), 1);
    assert_int_equal(n, 4);
    guard_free(&g);
    assert_int_equal(sip_msg_frame(guard_str(&g,
                                       "BYE sip:x SIP/2.0\r\nl: 1\r\n"
                                       "Content-Length: 2\r\n\r\nab"),
                         &n),
        SIP_E_DUP_CONTENT_LENGTH);
    guard_free(&g);
    assert_int_equal(sip_msg_frame(guard_str(&g,
                                       "BYE sip:x SIP/2.0\r\n"
                                       "Content-Length: x1\r\n\r\nab"),
                         &n),
        SIP_E_BAD_CONTENT_LENGTH);
    guard_free(&g);
    assert_int_equal(sip_msg_frame(guard_str(&g,
                                       "BYE sip:x SIP/2.0\r\n"
                                       "Content-Length: 99999999\r\n\r\nab"),
                         &n),
        SIP_E_TOO_LARGE);
    guard_free(&g);
}

/* Every prefix of a valid message is rejected cleanly (guard page). */
static void
test_truncations(void **state)
{
    (void) state;
    struct guard g = { 0 };
    size_t len = strlen(invite);
    for (size_t cut = 0; cut < len; cut++) {
        int rc = sip_msg_parse(&msg, guard_put(&g, invite, cut));
        assert_true(rc != 0);
        guard_free(&g);
    }
}

static void
test_limits(void **state)
{
    (void) state;
    struct guard g = { 0 };
    struct sip_limits lim = sip_limits_default;
    lim.max_via = 2;
    assert_int_equal(sip_msg_parse_ex(&msg, guard_str(&g, invite), &lim, false),
        SIP_E_TOO_MANY_VIAS);
    lim = sip_limits_default;
    lim.max_hdrs = 5;
    assert_int_equal(sip_msg_parse_ex(&msg, guard_str(&g, invite), &lim, false),
        SIP_E_TOO_MANY_HDRS);
    lim = sip_limits_default;
    lim.max_msg = 100;
    int rc = sip_msg_parse_ex(&msg, guard_str(&g, invite), &lim, false);
    assert_int_equal(rc, SIP_E_TOO_LARGE);
    assert_int_equal(sip_err_status(rc), 513);
    lim = sip_limits_default;
    lim.max_uri = 10;
    rc = sip_msg_parse_ex(&msg, guard_str(&g, invite), &lim, false);
    assert_int_equal(rc, SIP_E_RURI_TOO_LONG);
    lim = sip_limits_default;
    lim.max_uri = 28; /* the Request-URI fits, the From URI does not */
    rc = sip_msg_parse_ex(&msg,
        guard_str(&g,
            "OPTIONS sip:x@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
            "To: <sip:x@example.com>\r\n"
            "From: <sip:a-rather-long-user@example.com>;tag=9\r\n"
            "Call-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n"),
        &lim, false);
    assert_int_equal(rc, SIP_E_URI_TOO_LONG);
    assert_int_equal(sip_err_status(rc), 400);
    lim = sip_limits_default;
    lim.max_hdr_len = 20;
    rc = sip_msg_parse_ex(&msg, guard_str(&g, invite), &lim, false);
    assert_int_equal(rc, SIP_E_HDR_TOO_LONG);
    guard_free(&g);
}

/* A defect found before the Via does not hide it: the answer naming the
 * defect can still be routed. */
static void
test_defect_keeps_via(void **state)
{
    (void) state;
    struct guard g = { 0 };
    static const char tail[] =
        "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
        "To: <sip:x@example.com>\r\nFrom: <sip:a@example.com>;tag=9\r\n"
        "Call-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n";
    static const struct {
        const char *head;
        int err;
    } cases[] = {
        { "OPTIONS sip:x@example.com SIP/2.0\r\nno colon\r\n", SIP_E_BAD_HDR },
        { "OPTIONS sip:x@example.com SIP/2.0\r\nBad Name: v\r\n",
            SIP_E_BAD_HDR },
        { "OPT\x01IONS sip:x@example.com SIP/2.0\r\n", SIP_E_BAD_METHOD },
        { "OPTIONS sip:x@exa\xffmple.com SIP/2.0\r\n", SIP_E_BAD_RURI },
        { "OPTIONS sip:x@example.com SIP/2.0 \r\n", SIP_E_BAD_REQUEST_LINE },
        /* or-ing 0x20 folds CR onto '-' and 0x0F onto '/' */
        { "OPTIONS sip:x@example.com SIP/2.0\r\nMax\rForwards: 70\r\n",
            SIP_E_BAD_HDR },
        { "OPTIONS sip:x@example.com SIP\x0f"
          "2.0\r\n",
            SIP_E_BAD_REQUEST_LINE },
    };
    char buf[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(buf, sizeof(buf), "%s%s", cases[i].head, tail);
        assert_int_equal(parse(buf, &g), cases[i].err);
        assert_non_null(sip_msg_hdr(&msg, SIP_HDR_VIA));
        assert_int_equal(sip_err_status(cases[i].err), 400);
    }
    /* A header longer than the limit is skipped, the Via after it kept. */
    struct sip_limits lim = sip_limits_default;
    lim.max_hdr_len = 50;
    snprintf(buf, sizeof(buf),
        "OPTIONS sip:x@example.com SIP/2.0\r\n"
        "Subject: a header longer than the fifty bytes allowed\r\n%s",
        tail);
    assert_int_equal(sip_msg_parse_ex(&msg, guard_str(&g, buf), &lim, false),
        SIP_E_HDR_TOO_LONG);
    assert_non_null(sip_msg_hdr(&msg, SIP_HDR_VIA));
    guard_free(&g);
}

/* A bare NUL in a header is refused; one escaped in a quoted string is
 * legal (RFC 4475 3.1.1.3). */
static void
test_nul_bytes(void **state)
{
    (void) state;
    struct guard g = { 0 };
    static const char bare[] =
        "OPTIONS sip:x@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
        "To: <sip:x@example.com>\r\nFrom: <sip:a@example.com>;tag=9\r\n"
        "Subject: a\0b\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n";
    static const char quoted[] =
        "OPTIONS sip:x@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
        "To: \"a\\\0b\" <sip:x@example.com>\r\n"
        "From: <sip:a@example.com>;tag=9\r\n"
        "Call-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n";

    assert_int_equal(sip_msg_parse(&msg, guard_put(&g, bare, sizeof(bare) - 1)),
        SIP_E_NUL_BYTE);
    assert_non_null(sip_msg_hdr(&msg, SIP_HDR_VIA));
    assert_int_equal(
        sip_msg_parse(&msg, guard_put(&g, quoted, sizeof(quoted) - 1)), 0);
    guard_free(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invite),
        cmocka_unit_test(test_compact_and_case),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_defects),
        cmocka_unit_test(test_core_values),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_udp_extra_octets_and_stream),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_defect_keeps_via),
        cmocka_unit_test(test_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
