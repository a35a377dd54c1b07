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

/* ";tag=token" or ";branch=token" first, the usual parameters, and their
 * neighbours that the general parameter loop decides. */
static void
test_first_param(void **state)
{
    (void) state;
    struct guard g = { 0 };
    static const struct {
        const char *in, *tag;
        int rc;
    } addr[] = {
        { "<sip:bench@127.0.0.1:5060>;tag=381642-1742", "381642-1742", 0 },
        { "<sip:a@b>;TaG=x.y!%*_+`'~", "x.y!%*_+`'~", 0 },
        { "sip:a@b;tag=1", "1", 0 },
        { "<sip:a@b>;tags=1", NULL, 0 },
        { "<sip:a@b>;tag=1;x", "1", 0 },
        { "<sip:a@b>;tag=1 ; x=2;tag=3", "3", 0 },
        { "<sip:a@b>;tag=a:b", NULL, SIP_E_BAD_PARAM },
        { "<sip:a@b>;tag=a;=", NULL, SIP_E_BAD_PARAM },
        { "<sip:a@b>;tag=", NULL, SIP_E_BAD_PARAM },
        { "<sip:a@b>;tag=[::1]", NULL, SIP_E_BAD_PARAM },
        { "<sip:a@b>;tag=a\"b", NULL, SIP_E_BAD_PARAM },
        { "<sip:a@b>;tag=\"q\"", NULL, SIP_E_BAD_PARAM },
    };
    for (size_t i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
        struct sip_addr a;
        assert_int_equal(
            sip_addr_parse(&a, guard_str(&g, addr[i].in)), addr[i].rc);
        if (addr[i].rc == 0) {
            assert_true(slice_eq(a.tag, slice_cstr(addr[i].tag)));
            assert_ptr_equal(a.params.p, memchr(g.s.p, ';', g.s.len));
        }
        guard_free(&g);
    }
    static const struct {
        const char *in, *branch;
        int rc;
    } via[] = {
        { "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-381642-1742-0",
            "z9hG4bK-381642-1742-0", 0 },
        { "SIP/2.0/UDP h;BRANCH=z9hG4bKa", "z9hG4bKa", 0 },
        { "SIP/2.0/UDP h;branch=z9hG4bKa;rport", "z9hG4bKa", 0 },
        { "SIP/2.0/UDP h;branch=z9hG4bKa;received=192.0.2.1;rport=5060",
            "z9hG4bKa", 0 },
        { "SIP/2.0/UDP h;branch=z9hG4bKa;rport=x", NULL, SIP_E_BAD_VIA },
        { "SIP/2.0/UDP h;branch=z9hG4bKa[1]", NULL, SIP_E_BAD_VIA },
        { "SIP/2.0/UDP h;branchx=1", NULL, 0 },
        { "SIP/2.0/UDP h;branch=", NULL, SIP_E_BAD_VIA },
        { "SIP/2.0/UDP h;branch=a:b", NULL, SIP_E_BAD_VIA },
    };
    for (size_t i = 0; i < sizeof(via) / sizeof(via[0]); i++) {
        struct sip_via v;
        assert_int_equal(
            sip_via_parse(&v, guard_str(&g, via[i].in)), via[i].rc);
        if (via[i].rc == 0) {
            assert_true(slice_eq(v.branch, slice_cstr(via[i].branch)));
            assert_ptr_equal(v.params.p, memchr(g.s.p, ';', g.s.len));
        }
        guard_free(&g);
    }
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

static void
test_date(void **state)
{
    (void) state;
    time_t t;
    assert_int_equal(
        sip_date_parse(&t, SLICE_LIT("Sat, 13 Nov 2010 23:29:00 GMT")), 0);
    assert_int_equal((long long) t, 1289690940LL);
    char buf[40];
    assert_int_equal(sip_date_format(buf, sizeof(buf), t), 29);
    assert_string_equal(buf, "Sat, 13 Nov 2010 23:29:00 GMT");
    assert_int_equal(
        sip_date_parse(&t, SLICE_LIT("Thu, 29 Feb 2024 00:00:00 GMT")), 0);
    assert_int_equal((long long) t, 1709164800LL);
    static const char *const bad[] = { "Sat, 13 Nov 2010 23:29:00 EST",
        "Sat, 13 Nov 2010 23:29:00 UTC", "Sat, 31 Nov 2010 23:29:00 GMT",
        "Sat, 29 Feb 2023 23:29:00 GMT", "Sat, 13 Foo 2010 23:29:00 GMT",
        "Sat 13 Nov 2010 23:29:00 GMT", "Sat, 13 Nov 2010 24:29:00 GMT",
        "Xyz, 13 Nov 2010 23:29:00 GMT", "13 Nov 2010 23:29:00 GMT", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            sip_date_parse(&t, slice_cstr(bad[i])), SIP_E_BAD_DATE);
    }
}

static void
test_auth(void **state)
{
    (void) state;
    struct guard g = { 0 };
    struct sip_auth a;
    assert_int_equal(
        sip_auth_parse(&a,
            guard_str(&g,
                "Digest username=\"bob\", realm=\"biloxi.com\","
                "\r\n nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                "uri=\"sip:bob@biloxi.com\", qop=auth, "
                "nc=00000001, cnonce=\"0a4f113b\", "
                "response=\"6629fae49393a05397450978507c4ef1\", "
                "algorithm=SHA-256, opaque=\"5ccc\"")),
        0);
    assert_true(slice_eq(a.scheme, SLICE_LIT("Digest")));
    assert_true(slice_eq(a.username, SLICE_LIT("bob")));
    assert_true(slice_eq(a.realm, SLICE_LIT("biloxi.com")));
    assert_true(
        slice_eq(a.nonce, SLICE_LIT("dcd98b7102dd2f0e8b11d0f600bfb0c093")));
    assert_true(slice_eq(a.uri, SLICE_LIT("sip:bob@biloxi.com")));
    assert_true(slice_eq(a.qop, SLICE_LIT("auth")));
    assert_true(slice_eq(a.nc, SLICE_LIT("00000001")));
    assert_true(slice_eq(a.algorithm, SLICE_LIT("SHA-256")));
    assert_true(
        slice_eq(a.response, SLICE_LIT("6629fae49393a05397450978507c4ef1")));
    guard_free(&g);
    assert_int_equal(sip_auth_parse(&a,
                         guard_str(&g,
                             "Digest realm=\"atlanta.com\", "
                             "qop=\"auth,auth-int\", stale=FALSE, "
                             "nonce=\"84a4cc6f\"")),
        0);
    assert_true(slice_eq(a.qop, SLICE_LIT("auth,auth-int")));
    assert_true(slice_eq(a.stale, SLICE_LIT("FALSE")));
    guard_free(&g);
    assert_int_equal(sip_auth_parse(&a, guard_str(&g, "Digest realm=\"x")),
        SIP_E_UNBALANCED_QUOTES);
    guard_free(&g);
    assert_int_equal(
        sip_auth_parse(&a, guard_str(&g, "Digest realm")), SIP_E_BAD_AUTH);
    guard_free(&g);
    assert_int_equal(
        sip_auth_parse(&a, guard_str(&g, "Digest a=b c=d")), SIP_E_BAD_AUTH);
    guard_free(&g);
}

static void
test_reason_warning(void **state)
{
    (void) state;
    struct sip_reason r;
    assert_int_equal(sip_reason_parse(&r,
                         SLICE_LIT("SIP ;cause=438 ;text=\"Invalid Identity "
                                   "Header\"")),
        0);
    assert_true(slice_eq(r.protocol, SLICE_LIT("SIP")));
    assert_int_equal(r.cause, 438);
    assert_true(slice_eq(r.text, SLICE_LIT("Invalid Identity Header")));
    assert_int_equal(sip_reason_parse(&r, SLICE_LIT("Q.850;cause=16")), 0);
    assert_int_equal(r.cause, 16);
    assert_int_equal(
        sip_reason_parse(&r, SLICE_LIT("SIP;cause=x")), SIP_E_BAD_REASON);
    assert_int_equal(
        sip_reason_parse(&r, SLICE_LIT(";cause=1")), SIP_E_BAD_REASON);
    struct sip_warning w;
    assert_int_equal(sip_warning_parse(&w,
                         SLICE_LIT("307 isi.edu \"Session parameter 'foo' "
                                   "not understood\"")),
        0);
    assert_int_equal(w.code, 307);
    assert_true(slice_eq(w.agent, SLICE_LIT("isi.edu")));
    assert_true(
        slice_eq(w.text, SLICE_LIT("Session parameter 'foo' not understood")));
    assert_int_equal(
        sip_warning_parse(&w, SLICE_LIT("399 [2001:db8::1]:5060 \"x\"")), 0);
    assert_int_equal(
        sip_warning_parse(&w, SLICE_LIT("39 host \"x\"")), SIP_E_BAD_WARNING);
    assert_int_equal(
        sip_warning_parse(&w, SLICE_LIT("399 host x")), SIP_E_BAD_WARNING);
    assert_int_equal(sip_warning_parse(&w, SLICE_LIT("399 host \"x")),
        SIP_E_UNBALANCED_QUOTES);
}

static void
test_identity(void **state)
{
    (void) state;
    struct sip_identity id;
    assert_int_equal(sip_identity_parse(&id,
                         SLICE_LIT("eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9.c2ln_-"
                                   ";info=<https://cert.example.org/"
                                   "passport.cer>;alg=ES256;ppt=\"shaken\"")),
        0);
    assert_false(id.legacy);
    assert_true(slice_eq(
        id.token, SLICE_LIT("eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9.c2ln_-")));
    assert_true(
        slice_eq(id.info, SLICE_LIT("https://cert.example.org/passport.cer")));
    assert_true(slice_eq(id.alg, SLICE_LIT("ES256")));
    assert_true(slice_eq(id.ppt, SLICE_LIT("shaken")));
    assert_int_equal(sip_identity_parse(&id,
                         SLICE_LIT("\"ZYNBbHC00VMZr2kZt6VmCvPonWJMGvQTBDqghoWeL"
                                   "xJfzB2a1pxAr3VgrB0SsSAa\r\n ifsRdiOPoQZYO"
                                   "y2wrVghuhcsMbHWUSFxI6p6q5TOQXHMmz6uEo3svJ"
                                   "sSH49thyGnFVcnyaZ++yRlBYYQTLqWzJ+KVhPKbfU"
                                   "/pryhVn9Yc6U=\"")),
        0);
    assert_true(id.legacy);
    assert_int_equal(sip_identity_parse(&id, SLICE_LIT("abc;alg=ES256")),
        SIP_E_BAD_IDENTITY);
    assert_int_equal(
        sip_identity_parse(&id, SLICE_LIT("abc;info=https://x.example/")),
        SIP_E_BAD_IDENTITY);
    assert_int_equal(
        sip_identity_parse(&id, SLICE_LIT("\"abc")), SIP_E_UNBALANCED_QUOTES);
    struct sip_identity_info ii;
    assert_int_equal(sip_identity_info_parse(&ii,
                         SLICE_LIT("<https://www.atlanta.example.com/"
                                   "atlanta.cer>;alg=rsa-sha1")),
        0);
    assert_true(slice_eq(ii.alg, SLICE_LIT("rsa-sha1")));
    assert_true(slice_eq(
        ii.uri, SLICE_LIT("https://www.atlanta.example.com/atlanta.cer")));
    assert_int_equal(
        sip_identity_info_parse(&ii, SLICE_LIT("https://x.example/a.cer")),
        SIP_E_BAD_IDENTITY_INFO);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_first_param),
        cmocka_unit_test(test_via),
        cmocka_unit_test(test_cseq_mf_expires),
        cmocka_unit_test(test_contact),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_reason_warning),
        cmocka_unit_test(test_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
