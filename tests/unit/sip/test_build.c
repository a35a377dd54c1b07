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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
