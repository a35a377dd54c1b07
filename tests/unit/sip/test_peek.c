/*
 * sip_peek_top_via(): the top Via of the usual shapes, found as the full
 * parser finds it (same bytes of the same buffer), and a refusal for every
 * shape it leaves to the parser. Inputs end at a guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sip/sip_msg.h"
#include "sip/sip_peek.h"
#include "guard.h"

#define ACK_LINE "ACK sip:bob@example.com SIP/2.0\r\n"
#define REST                                                                   \
    "From: <sip:alice@example.com>;tag=1\r\nTo: "                              \
    "<sip:bob@example.com>;tag=2\r\n"                                          \
    "Call-ID: c1@h\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n"                     \
    "Content-Length: 0\r\n\r\n"

static struct sip_msg m;

/* Found, equal to want, and the very value the full parse keeps. */
static void
found(const char *msg, const char *want)
{
    struct guard g = { 0 };
    struct slice in = guard_put(&g, msg, strlen(msg)), via;

    assert_true(sip_peek_top_via(in, &via));
    assert_int_equal(via.len, strlen(want));
    assert_memory_equal(via.p, want, via.len);
    assert_int_equal(sip_msg_parse(&m, in), 0);
    const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_VIA);
    assert_non_null(h);
    assert_ptr_equal(h->value.p, via.p);
    assert_int_equal(h->value.len, via.len);
    guard_free(&g);
}

static void
refused(const char *msg)
{
    struct guard g = { 0 };
    struct slice in = guard_put(&g, msg, strlen(msg)), via;

    assert_false(sip_peek_top_via(in, &via));
    guard_free(&g);
}

static void
test_usual(void **state)
{
    (void) state;
    found(ACK_LINE "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n" REST,
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1");
    /* Compact, any case, blanks around the colon, after other headers. */
    found(ACK_LINE "Subject: s\r\nv :  SIP/2.0/UDP h;branch=z9hG4bKx "
                   "\r\n" REST,
        "SIP/2.0/UDP h;branch=z9hG4bKx");
    found(ACK_LINE "VIA\t: SIP/2.0/TCP h;branch=z9hG4bKy\r\n" REST,
        "SIP/2.0/TCP h;branch=z9hG4bKy");
    /* Names that only start like Via are other headers. */
    found(ACK_LINE "Vias: x\r\nVia-Foo: y\r\nVi: z\r\nVia: SIP/2.0/UDP h\r\n"
                   "Via: SIP/2.0/UDP second\r\n" REST,
        "SIP/2.0/UDP h");
    /* Bare LF line ends, and CRLFs before the start line (§7.5). */
    found("ACK sip:b@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\nFrom: "
          "<sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: c\nCSeq: 1 ACK\n\n",
        "SIP/2.0/UDP h;branch=z9hG4bK2");
    found("\r\n\r\n" ACK_LINE "Via: SIP/2.0/UDP h;branch=z9hG4bK3\r\n" REST,
        "SIP/2.0/UDP h;branch=z9hG4bK3");
}

static void
test_left_to_parser(void **state)
{
    (void) state;
    /* Folded Via, or a fold before it. */
    refused(ACK_LINE "Via: SIP/2.0/UDP\r\n h;branch=z9hG4bK1\r\n" REST);
    refused(ACK_LINE "Subject: a\r\n b\r\nVia: SIP/2.0/UDP h\r\n" REST);
    /* Two values on the line: the parser's list split decides. */
    refused(
        ACK_LINE "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b\r\n" REST);
    /* No Via in the headers; one in the body does not count. */
    refused(ACK_LINE REST "Via: SIP/2.0/UDP h\r\n");
    refused(ACK_LINE "Via:   \r\n" REST);
    /* Unterminated. */
    refused(ACK_LINE "Via: SIP/2.0/UDP h;branch=z9hG4bK1");
    refused(ACK_LINE "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n");
    refused("");
    refused("\r\n\r\n");
    refused("ACK sip:b@h SIP/2.0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usual),
        cmocka_unit_test(test_left_to_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
