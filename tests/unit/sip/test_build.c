#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sip/sip_build.h"
#include "sip/sip_hdr.h"
#include "sip/sip_msg.h"
#include "guard.h"

static struct sip_msg req, rsp;

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;rport;branch=z9hG4bK776, "
    "SIP/2.0/TCP p2.example.com;branch=z9hG4bKa\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Record-Route: <sip:p2.example.com;lr>\r\n"
    "X-Drop: me\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

static void
test_response(void **state)
{
    (void) state;
    struct guard g = { 0 }, g2 = { 0 };
    char out[2048];
    size_t len = 0;
    assert_int_equal(sip_msg_parse(&req, guard_str(&g, invite)), 0);
    const struct sip_field extra[] = {
        SIP_FIELD("Contact", SLICE_LIT("<sip:bob@192.0.2.7>;q=0.5")),
        SIP_FIELD("Contact", SLICE_LIT("<sip:bob@192.0.2.8>;q=0.1")),
    };
    struct sip_resp_opts o = { .code = 302,
        .reason = SLICE_LIT("Moved Temporarily"),
        .server = SLICE_LIT("sipward"),
        .received = SLICE_LIT("198.51.100.3"),
        .rport = 40000,
        .extra = extra,
        .nextra = 2 };
    assert_int_equal(sip_build_response(out, sizeof(out), &len, &req, &o), 0);
    assert_int_equal(sip_msg_parse(&rsp, guard_put(&g2, out, len)), 0);
    assert_false(rsp.request);
    assert_int_equal(rsp.status, 302);
    assert_true(slice_eq(rsp.reason, SLICE_LIT("Moved Temporarily")));
    assert_int_equal(rsp.nvia, 2);
    struct sip_via v;
    assert_int_equal(
        sip_via_parse(&v, sip_msg_hdr(&rsp, SIP_HDR_VIA)->value), 0);
    assert_int_equal(v.rport, 40000);
    assert_true(slice_eq(v.received, SLICE_LIT("198.51.100.3")));
    assert_true(slice_eq(v.branch, SLICE_LIT("z9hG4bK776")));
    assert_true(slice_eq(rsp.from_tag, SLICE_LIT("1928301774")));
    char tag[17];
    sip_build_tag(tag, &req);
    assert_true(slice_eq(rsp.to_tag, slice_cstr(tag)));
    assert_int_equal(rsp.cseq, 314159);
    assert_true(slice_eq(rsp.call_id, SLICE_LIT("a84b4c76e66710")));
    assert_int_equal(rsp.content_length, 0);
    assert_null(sip_msg_hdr(&rsp, SIP_HDR_RECORD_ROUTE));
    const struct sip_hdr *c = sip_msg_hdr(&rsp, SIP_HDR_CONTACT);
    assert_true(slice_eq(c->value, SLICE_LIT("<sip:bob@192.0.2.7>;q=0.5")));
    assert_non_null(sip_msg_hdr_next(&rsp, c));
    guard_free(&g2);

    /* Too small a buffer is -ENOSPC at every size, never an overflow. */
    for (size_t n = 0; n < len; n++) {
        size_t l2;
        static const char zeros[2048];
        char *small = (char *) guard_put(&g2, zeros, n).p;
        assert_int_equal(sip_build_response(small, n, &l2, &req, &o), -ENOSPC);
        guard_free(&g2);
    }
    /* 100 Trying: no tag. */
    o = (struct sip_resp_opts){ .code = 100 }; /* phrase from the catalog */
    assert_int_equal(sip_build_response(out, sizeof(out), &len, &req, &o), 0);
    assert_int_equal(sip_msg_parse(&rsp, guard_put(&g2, out, len)), 0);
    assert_int_equal(rsp.to_tag.len, 0);
    assert_true(slice_eq(rsp.reason, SLICE_LIT("Trying")));
    guard_free(&g2);
    guard_free(&g);
}

static void
test_request(void **state)
{
    (void) state;
    struct guard g = { 0 };
    char out[1024];
    size_t len;
    struct sip_req_opts o = { .method = SLICE_LIT("OPTIONS"),
        .ruri = SLICE_LIT("sip:carol@chicago.example.com"),
        .via_host = SLICE_LIT("192.0.2.9:5070"),
        .branch = SLICE_LIT("z9hG4bKabc"),
        .from = SLICE_LIT("<sip:me@example.com>"),
        .from_tag = SLICE_LIT("t1"),
        .to = SLICE_LIT("<sip:carol@chicago.example.com>"),
        .call_id = SLICE_LIT("cid@192.0.2.9"),
        .cseq = 7,
        .content_type = SLICE_LIT("text/plain"),
        .body = SLICE_LIT("hello") };
    assert_int_equal(sip_build_request(out, sizeof(out), &len, &o), 0);
    assert_int_equal(sip_msg_parse(&req, guard_put(&g, out, len)), 0);
    assert_int_equal(req.method, SIP_METHOD_OPTIONS);
    assert_int_equal(req.cseq, 7);
    assert_int_equal(req.max_forwards, 70);
    assert_true(slice_eq(req.branch, SLICE_LIT("z9hG4bKabc")));
    assert_true(slice_eq(req.from_tag, SLICE_LIT("t1")));
    assert_true(slice_eq(req.body, SLICE_LIT("hello")));
    guard_free(&g);
}

static void
test_forward(void **state)
{
    (void) state;
    struct guard g = { 0 }, g2 = { 0 };
    char out[2048];
    size_t len;
    assert_int_equal(sip_msg_parse(&req, guard_str(&g, invite)), 0);
    const int rm[] = { SIP_HDR_RECORD_ROUTE };
    const struct slice rmn[] = { SLICE_LIT("x-drop") };
    const struct sip_field add[] = { SIP_FIELD(
        "Identity", SLICE_LIT("abc.def.ghi;info=<https://x.example/c.pem>")) };
    struct sip_fwd_opts o = {
        .ruri = SLICE_LIT("sip:bob@192.0.2.50"),
        .push_via = SLICE_LIT("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp"),
        .dec_max_forwards = true,
        .record_route = SLICE_LIT("<sip:proxy.example.com;lr>"),
        .remove = rm,
        .nremove = 1,
        .remove_names = rmn,
        .nremove_names = 1,
        .add = add,
        .nadd = 1,
    };
    assert_int_equal(sip_build_forward(out, sizeof(out), &len, &req, &o), 0);
    assert_int_equal(sip_msg_parse(&rsp, guard_put(&g2, out, len)), 0);
    assert_true(slice_eq(rsp.ruri, SLICE_LIT("sip:bob@192.0.2.50")));
    assert_int_equal(rsp.nvia, 3);
    assert_true(slice_eq(rsp.branch, SLICE_LIT("z9hG4bKp")));
    assert_int_equal(rsp.max_forwards, 69);
    const struct sip_hdr *rr = sip_msg_hdr(&rsp, SIP_HDR_RECORD_ROUTE);
    assert_true(slice_eq(rr->value, SLICE_LIT("<sip:proxy.example.com;lr>")));
    assert_null(sip_msg_hdr_next(&rsp, rr));
    assert_null(sip_msg_hdr_find(&rsp, SLICE_LIT("X-Drop")));
    assert_non_null(sip_msg_hdr(&rsp, SIP_HDR_IDENTITY));
    assert_true(slice_eq(rsp.body, SLICE_LIT("v=0\n")));
    assert_int_equal(rsp.content_length, 4);
    guard_free(&g2);

    /* A response going back: pop our Via. */
    o = (struct sip_fwd_opts){ .pop_via = true };
    assert_int_equal(sip_build_forward(out, sizeof(out), &len, &req, &o), 0);
    assert_int_equal(sip_msg_parse(&rsp, guard_put(&g2, out, len)), 0);
    assert_int_equal(rsp.nvia, 1);
    assert_true(slice_eq(rsp.branch, SLICE_LIT("z9hG4bKa")));
    guard_free(&g2);
    guard_free(&g);

    assert_int_equal(sip_msg_parse(&req,
                         guard_str(&g,
                             "BYE sip:x@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                             "To: <sip:x@example.com>;tag=a\r\n"
                             "From: <sip:y@example.com>;tag=9\r\n"
                             "Call-ID: a\r\nCSeq: 2 BYE\r\n"
                             "Max-Forwards: 0\r\n\r\n")),
        0);
    o = (struct sip_fwd_opts){ .dec_max_forwards = true };
    assert_int_equal(sip_build_forward(out, sizeof(out), &len, &req, &o),
        SIP_E_MAX_FORWARDS_RANGE);
    guard_free(&g);
}

/* A proxy's own edits: headers replaced or dropped in place, received and
 * rport on the sender's Via; then the CANCEL and the non-2xx ACK of what
 * it forwarded (§9.1, §17.1.1.3). */
static void
test_forward_edits_cancel_ack(void **state)
{
    (void) state;
    struct guard g = { 0 }, g2 = { 0 }, g3 = { 0 };
    char out[2048], hop[1024];
    size_t len, hlen;
    assert_int_equal(sip_msg_parse(&req, guard_str(&g, invite)), 0);
    struct sip_hdr_edit ed[] = {
        { sip_msg_hdr(&req, SIP_HDR_FROM),
            SLICE_LIT("Alice <sip:alice@atlanta.example.com;verstat=x>"
                      ";tag=1928301774") },
        { sip_msg_hdr(&req, SIP_HDR_RECORD_ROUTE), SLICE_NULL },
    };
    struct sip_fwd_opts o = {
        .push_via = SLICE_LIT("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKp"),
        .dec_max_forwards = true,
        .edit = ed,
        .nedit = 2,
        .received = SLICE_LIT("192.0.2.9"),
        .rport = 5070,
    };
    assert_int_equal(sip_build_forward(out, sizeof(out), &len, &req, &o), 0);
    assert_int_equal(sip_msg_parse(&rsp, guard_put(&g2, out, len)), 0);
    assert_true(slice_eq(sip_msg_hdr(&rsp, SIP_HDR_FROM)->value,
        SLICE_LIT("Alice <sip:alice@atlanta.example.com;verstat=x>"
                  ";tag=1928301774")));
    assert_true(slice_eq(rsp.from_tag, SLICE_LIT("1928301774")));
    assert_null(sip_msg_hdr(&rsp, SIP_HDR_RECORD_ROUTE));
    const struct sip_hdr *v = sip_msg_hdr(&rsp, SIP_HDR_VIA);
    v = sip_msg_hdr_next(&rsp, v);
    assert_true(slice_eq(v->value,
        SLICE_LIT("SIP/2.0/UDP pc33.atlanta.example.com;rport=5070;"
                  "branch=z9hG4bK776;received=192.0.2.9")));
    assert_int_equal(rsp.nvia, 3);

    /* CANCEL: our Via only, same Request-URI, tags, Call-ID and number. */
    assert_int_equal(sip_build_cancel(hop, sizeof(hop), &hlen, &rsp), 0);
    assert_int_equal(sip_msg_parse(&req, guard_put(&g3, hop, hlen)), 0);
    assert_int_equal(req.method, SIP_METHOD_CANCEL);
    assert_int_equal(req.nvia, 1);
    assert_true(slice_eq(req.branch, SLICE_LIT("z9hG4bKp")));
    assert_true(slice_eq(req.ruri, rsp.ruri));
    assert_int_equal(req.cseq, 314159);
    assert_true(slice_eq(req.cseq_method_name, SLICE_LIT("CANCEL")));
    assert_true(slice_eq(req.from_tag, SLICE_LIT("1928301774")));
    assert_int_equal(req.to_tag.len, 0);
    guard_free(&g3);

    /* ACK for a 486: the response's To (with its tag). */
    static struct sip_msg busy;
    struct guard g4 = { 0 };
    assert_int_equal(
        sip_msg_parse(&busy,
            guard_str(&g4,
                "SIP/2.0 486 Busy Here\r\n"
                "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKp\r\n"
                "To: Bob <sip:bob@biloxi.example.com>;tag=b1\r\n"
                "From: Alice <sip:alice@atlanta.example.com>"
                ";tag=1928301774\r\n"
                "Call-ID: a84b4c76e66710\r\n"
                "CSeq: 314159 INVITE\r\n\r\n")),
        0);
    assert_int_equal(sip_build_ack(hop, sizeof(hop), &hlen, &rsp, &busy), 0);
    assert_int_equal(sip_msg_parse(&req, guard_put(&g3, hop, hlen)), 0);
    assert_int_equal(req.method, SIP_METHOD_ACK);
    assert_int_equal(req.nvia, 1);
    assert_true(slice_eq(req.to_tag, SLICE_LIT("b1")));
    assert_true(slice_eq(req.cseq_method_name, SLICE_LIT("ACK")));
    assert_int_equal(req.cseq, 314159);
    assert_int_equal(sip_build_ack(hop, 40, &hlen, &rsp, &busy), -ENOSPC);
    assert_int_equal(sip_build_cancel(hop, sizeof(hop), &hlen, &busy), -EINVAL);
    guard_free(&g4);
    guard_free(&g3);
    guard_free(&g2);
    guard_free(&g);
}

/* A response built from a kept head is byte for byte the one built from
 * the request, the To tag left out of a 100 only. */
static void
test_response_from_head(void **state)
{
    (void) state;
    struct guard g = { 0 };
    assert_int_equal(sip_msg_parse(&req, guard_str(&g, invite)), 0);
    static const int codes[] = { 100, 180, 200, 486 };
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
            struct sip_resp_opts o = { .code = codes[i],
                .server = SLICE_LIT("sipward"),
                .received = SLICE_LIT("198.51.100.3"),
                .rport = 40000,
                .top_via = &req.via,
                .to_tag = t ? SLICE_LIT("given-tag") : SLICE_NULL };
            char want[2048], hbuf[2048], got[2048];
            size_t wlen = 0, glen = 0;
            struct sip_resp_head head;
            assert_int_equal(
                sip_build_response(want, sizeof(want), &wlen, &req, &o), 0);
            assert_int_equal(
                sip_build_response_head(hbuf, sizeof(hbuf), &head, &req, &o),
                0);
            assert_int_equal(head.tag_len, 5 + (t ? 9 : 16));
            assert_memory_equal(head.text.p + head.tag_at, ";tag=", 5);
            assert_int_equal(sip_build_response_from_head(
                                 got, sizeof(got), &glen, &head, &o),
                0);
            assert_int_equal(glen, wlen);
            assert_memory_equal(got, want, wlen);
        }
    }
    guard_free(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_response_from_head),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_forward),
        cmocka_unit_test(test_forward_edits_cancel_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
