#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sip/sip_msg.h"
#include "sip/sip_uri.h"
#include "guard.h"

static int
uri(struct sip_uri *u, const char *s, struct guard *g)
{
    return sip_uri_parse(u, guard_str(g, s));
}

static void
test_sip(void **state)
{
    (void) state;
    struct guard g = { 0 };
    struct sip_uri u;
    assert_int_equal(uri(&u,
                         "sips:alice:secret@atlanta.example.com:5061;"
                         "transport=tcp;lr?subject=project%20x&priority=urgent",
                         &g),
        0);
    assert_int_equal(u.scheme, SIP_URI_SIPS);
    assert_true(slice_eq(u.user, SLICE_LIT("alice")));
    assert_true(u.has_password);
    assert_true(slice_eq(u.password, SLICE_LIT("secret")));
    assert_true(slice_eq(u.host, SLICE_LIT("atlanta.example.com")));
    assert_int_equal(u.host_type, SIP_HOST_NAME);
    assert_true(u.has_port);
    assert_int_equal(u.port, 5061);
    assert_true(slice_eq(u.params, SLICE_LIT(";transport=tcp;lr")));
    assert_true(
        slice_eq(u.headers, SLICE_LIT("subject=project%20x&priority=urgent")));
    struct slice v;
    assert_true(sip_param_get(u.params, SLICE_LIT("TRANSPORT"), &v));
    assert_true(slice_eq(v, SLICE_LIT("tcp")));
    assert_true(sip_param_get(u.params, SLICE_LIT("lr"), &v));
    assert_int_equal(v.len, 0);
    assert_false(sip_param_get(u.params, SLICE_LIT("maddr"), &v));
    guard_free(&g);

    assert_int_equal(uri(&u, "sip:192.0.2.4", &g), 0);
    assert_int_equal(u.host_type, SIP_HOST_IPV4);
    assert_int_equal(u.user.len, 0);
    guard_free(&g);
    assert_int_equal(uri(&u, "sip:[2001:db8::10]:5070;maddr=x", &g), 0);
    assert_int_equal(u.host_type, SIP_HOST_IPV6);
    assert_true(slice_eq(u.host, SLICE_LIT("[2001:db8::10]")));
    assert_int_equal(u.port, 5070);
    guard_free(&g);
    assert_int_equal(uri(&u, "sip:[::ffff:192.0.2.1]", &g), 0);
    guard_free(&g);
    assert_int_equal(uri(&u, "sip:%61lice@example.com", &g), 0);
    char buf[32];
    assert_int_equal(sip_uri_unescape(buf, sizeof(buf), u.user), 5);
    assert_string_equal(buf, "alice");
    guard_free(&g);
}

static void
test_bad(void **state)
{
    (void) state;
    static const char *const bad[] = {
        "",
        "sip:",
        "sip:@example.com",
        "sip:user@",
        "sip:user@host:99999",
        "sip:user@host:",
        "sip:[2001:db8::10",
        "sip:[2001:db8:::10]",
        "sip:[1:2:3:4:5:6:7:8:9]",
        "sip:user@256.1.1.1",
        "sip:us%2ger@host",
        "sip:user@host;",
        "sip:user@host?",
        "sip:user@ho st",
        "sip:user@-host",
        ":nothing",
        "1sip:x",
        "tel:",
        "tel:+1-555;;",
        "sip:user@host;a=%",
    };
    struct guard g = { 0 };
    struct sip_uri u;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = uri(&u, bad[i], &g);
        if (rc == 0) {
            fail_msg("accepted %s", bad[i]);
        }
        guard_free(&g);
    }
}

static void
test_tel_other(void **state)
{
    (void) state;
    struct guard g = { 0 };
    struct sip_uri u;
    assert_int_equal(uri(&u, "tel:+1-201-555-0123;ext=1", &g), 0);
    assert_int_equal(u.scheme, SIP_URI_TEL);
    assert_true(slice_eq(u.user, SLICE_LIT("+1-201-555-0123")));
    assert_true(slice_eq(u.params, SLICE_LIT(";ext=1")));
    guard_free(&g);
    assert_int_equal(uri(&u, "urn:uuid:f81d4fae-7dec-11d0-a765", &g), 0);
    assert_int_equal(u.scheme, SIP_URI_OTHER);
    assert_true(slice_eq(u.scheme_s, SLICE_LIT("urn")));
    assert_true(slice_eq(u.opaque, SLICE_LIT("uuid:f81d4fae-7dec-11d0-a765")));
    guard_free(&g);
    assert_int_equal(uri(&u, "https://cert.example.org/passport.cer", &g), 0);
    assert_int_equal(u.scheme, SIP_URI_OTHER);
    guard_free(&g);
}

static void
test_equal(void **state)
{
    (void) state;
    struct sip_uri a, b;
    assert_int_equal(
        sip_uri_parse(&a, SLICE_LIT("sip:%61lice@atlanta.com;transport=TCP")),
        0);
    assert_int_equal(
        sip_uri_parse(&b, SLICE_LIT("sip:alice@AtLanTa.CoM;Transport=tcp")), 0);
    assert_true(sip_uri_equal(&a, &b));
    assert_int_equal(sip_uri_parse(&b, SLICE_LIT("sip:ALICE@atlanta.com")), 0);
    assert_false(sip_uri_equal(&a, &b));
    assert_int_equal(sip_uri_parse(&a, SLICE_LIT("sip:bob@biloxi.com")), 0);
    assert_int_equal(
        sip_uri_parse(&b, SLICE_LIT("sip:bob@biloxi.com:5060")), 0);
    assert_false(sip_uri_equal(&a, &b));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sip),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_tel_other),
        cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
