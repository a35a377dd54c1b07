#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sip/sip_hdr.h"
#include "sip/sip_msg.h"
#include "guard.h"

static void
test_addr(void **state)
{
    (void) state;
    struct guard g = { 0 };
    struct sip_addr a;
    assert_int_equal(sip_addr_parse(&a,
                         guard_str(&g,
                             "\"Alice \\\"A\\\"\" <sip:alice@example.com;lr>"
                             " ; tag = 88sja8x ;x=\"q;\"")),
        0);
    assert_true(a.angle);
    assert_true(slice_eq(a.uri_s, SLICE_LIT("sip:alice@example.com;lr")));
    assert_true(slice_eq(a.tag, SLICE_LIT("88sja8x")));
    char d[32];
    assert_int_equal(sip_display_unquote(d, sizeof(d), a.display), 9);
    assert_string_equal(d, "Alice \"A\"");
    guard_free(&g);

    assert_int_equal(
        sip_addr_parse(&a, guard_str(&g, "sip:bob@example.com;tag=1")), 0);
    assert_false(a.angle);
    assert_true(slice_eq(a.uri.host, SLICE_LIT("example.com")));
    assert_true(slice_eq(a.tag, SLICE_LIT("1")));
    guard_free(&g);
    assert_int_equal(
        sip_addr_parse(&a, guard_str(&g, "Bob Smith <tel:+15551234>")), 0);
    assert_true(slice_eq(a.display, SLICE_LIT("Bob Smith")));
    guard_free(&g);

    assert_int_equal(sip_addr_parse(&a, guard_str(&g, "\"x <sip:a@b>")),
        SIP_E_UNBALANCED_QUOTES);
    guard_free(&g);
    assert_int_equal(
        sip_addr_parse(&a, guard_str(&g, "<sip:a@b")), SIP_E_UNBALANCED_ANGLE);
    guard_free(&g);
    assert_int_not_equal(sip_addr_parse(&a, guard_str(&g, "<sip:a@b> x")), 0);
    guard_free(&g);
}

static void
test_via(void **state)
{
    (void) state;
    struct guard g = { 0 };
    struct sip_via v;
    assert_int_equal(sip_via_parse(&v,
                         guard_str(&g,
                             "SIP / 2.0 / TCP h.example.com : 5070 ;rport;"
                             "branch=z9hG4bKx;received=192.0.2.1;ttl=3;"
                             "maddr=224.2.0.1")),
        0);
    assert_true(slice_eq(v.transport, SLICE_LIT("TCP")));
    assert_true(slice_eq(v.host, SLICE_LIT("h.example.com")));
    assert_int_equal(v.port, 5070);
    assert_true(v.has_rport);
    assert_int_equal(v.rport, -1);
    assert_true(slice_eq(v.branch, SLICE_LIT("z9hG4bKx")));
    assert_true(slice_eq(v.received, SLICE_LIT("192.0.2.1")));
    assert_int_equal(v.ttl, 3);
    assert_true(slice_eq(v.maddr, SLICE_LIT("224.2.0.1")));
    guard_free(&g);
    assert_int_equal(sip_via_parse(&v,
                         guard_str(&g,
                             "SIP/2.0/UDP [2001:db8::9:1];rport=5061;"
                             "received=2001:db8::9:255;branch=z9hG4bKa")),
        0);
    assert_int_equal(v.host_type, SIP_HOST_IPV6);
    assert_int_equal(v.rport, 5061);
    guard_free(&g);
    static const char *const bad[] = { "SIP/2.0/UDP", "SIP/2.0 h.example.com",
        "SIP/2.0/UDPh.example.com", "SIP/2.0/UDP h;ttl=300",
        "SIP/2.0/UDP h;received=host", "SIP/2.0/UDP h;rport=x",
        "SIP/2.0/UDP h:99999", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sip_via_parse(&v, guard_str(&g, bad[i])) == 0) {
            fail_msg("accepted %s", bad[i]);
        }
        guard_free(&g);
    }
}

static void
test_cseq_mf_expires(void **state)
{
    (void) state;
    struct sip_cseq c;
    assert_int_equal(sip_cseq_parse(&c, SLICE_LIT("4711 REGISTER")), 0);
    assert_int_equal(c.num, 4711);
    assert_int_equal(c.method, SIP_METHOD_REGISTER);
    assert_int_equal(sip_cseq_parse(&c, SLICE_LIT("2147483647 FOO")), 0);
    assert_int_equal(c.method, SIP_METHOD_OTHER);
    assert_int_equal(
        sip_cseq_parse(&c, SLICE_LIT("2147483648 FOO")), SIP_E_CSEQ_RANGE);
    assert_int_equal(sip_cseq_parse(&c, SLICE_LIT("99999999999999999999 A")),
        SIP_E_CSEQ_RANGE);
    assert_int_equal(sip_cseq_parse(&c, SLICE_LIT("1INVITE")), SIP_E_BAD_CSEQ);
    assert_int_equal(
        sip_cseq_parse(&c, SLICE_LIT("-1 INVITE")), SIP_E_BAD_CSEQ);
    uint32_t n;
    assert_int_equal(sip_max_forwards_parse(&n, SLICE_LIT("0")), 0);
    assert_int_equal(n, 0);
    assert_int_equal(
        sip_max_forwards_parse(&n, SLICE_LIT("300")), SIP_E_MAX_FORWARDS_RANGE);
    assert_int_equal(
        sip_max_forwards_parse(&n, SLICE_LIT("x")), SIP_E_BAD_MAX_FORWARDS);
    assert_int_equal(sip_expires_parse(&n, SLICE_LIT("3600")), 0);
    assert_int_equal(n, 3600);
    assert_int_equal(sip_expires_parse(&n, SLICE_LIT("99999999999999")), 0);
    assert_int_equal(n, 0xffffffffu);
    assert_int_equal(sip_expires_parse(&n, SLICE_LIT("1h")), SIP_E_BAD_EXPIRES);
}

static void
test_contact(void **state)
{
    (void) state;
    struct sip_contact c;
    assert_int_equal(sip_contact_parse(&c, SLICE_LIT("*")), 0);
    assert_true(c.star);
    assert_int_equal(sip_contact_parse(&c,
                         SLICE_LIT("<sip:a@192.0.2.1:5060;ob>;q=0.7;"
                                   "expires=3600;reg-id=1;"
                                   "+sip.instance=\"<urn:uuid:00000000-0000-"
                                   "1000-8000-AABBCCDDEEFF>\"")),
        0);
    assert_false(c.star);
    assert_int_equal(c.q, 700);
    assert_int_equal(c.expires, 3600);
    assert_int_equal(c.reg_id, 1);
    assert_true(slice_eq(c.instance,
        SLICE_LIT("urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF")));
    assert_int_equal(c.addr.uri.port, 5060);
    assert_int_equal(
        sip_contact_parse(&c, SLICE_LIT("<sip:a@b>;q=1.5")), SIP_E_BAD_CONTACT);
    assert_int_equal(sip_contact_parse(&c, SLICE_LIT("<sip:a@b>;q=0.1234")),
        SIP_E_BAD_CONTACT);
    assert_int_equal(sip_contact_parse(&c, SLICE_LIT("<sip:a@b>;expires=x")),
        SIP_E_BAD_CONTACT);
    assert_int_equal(sip_contact_parse(&c, SLICE_LIT("sip:a@b;q=0")), 0);
    assert_int_equal(c.q, 0);
}

static void
test_list(void **state)
{
    (void) state;
    struct slice rest = SLICE_LIT(" \"a,b\" <sip:x@y;p=1,2>;q=1 , (c,d) e,, f"),
                 it;
    assert_int_equal(sip_list_next(&rest, &it), 1);
    assert_true(slice_eq(it, SLICE_LIT("\"a,b\" <sip:x@y;p=1,2>;q=1")));
    assert_int_equal(sip_list_next(&rest, &it), 1);
    assert_true(slice_eq(it, SLICE_LIT("(c,d) e")));
    assert_int_equal(sip_list_next(&rest, &it), 1);
    assert_true(slice_eq(it, SLICE_LIT("f")));
    assert_int_equal(sip_list_next(&rest, &it), 0);
    rest = SLICE_LIT("a, \"b");
    assert_int_equal(sip_list_next(&rest, &it), 1);
    assert_int_equal(sip_list_next(&rest, &it), SIP_E_UNBALANCED_QUOTES);
    struct slice t;
    assert_int_equal(sip_token_parse(&t, SLICE_LIT(" 100rel ")), 0);
    assert_true(slice_eq(t, SLICE_LIT("100rel")));
    assert_int_equal(sip_token_parse(&t, SLICE_LIT("a b")), SIP_E_BAD_TOKEN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_via),
        cmocka_unit_test(test_cseq_mf_expires),
        cmocka_unit_test(test_contact),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
