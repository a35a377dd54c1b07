#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "app/location_int.h"

static void
test_domains(void **state)
{
    struct location_domains d;
    (void) state;
    assert_int_equal(
        location_domains_parse(&d, " Example.COM, sip.example.net ,", true), 0);
    assert_int_equal(d.n, 2);
    assert_true(location_domain_served(&d, SLICE_LIT("example.com")));
    assert_true(location_domain_served(&d, SLICE_LIT("SIP.example.NET")));
    assert_false(location_domain_served(&d, SLICE_LIT("example.org")));
    assert_int_equal(location_domains_parse(&d, " , ", true), -EINVAL);
}

static void
test_aor_key(void **state)
{
    struct location_domains d;
    char k[STORE_MAX_AOR + 1];
    (void) state;

    assert_int_equal(
        location_domains_parse(&d, "bench.example.net,127.0.0.1", true), 0);
    assert_int_equal(location_aor_key(&d, k, sizeof(k),
                         SLICE_LIT("sips:Bob@127.0.0.1:5070;transport=tls")),
        0);
    assert_string_equal(k, "sip:Bob@127.0.0.1");

    /* Without use_domain every served domain is the first one... */
    d.use_domain = false;
    assert_int_equal(location_aor_key(&d, k, sizeof(k),
                         SLICE_LIT("sip:reg-7@127.0.0.1:5070")),
        0);
    assert_string_equal(k, "sip:reg-7@bench.example.net");
    /* ...and other domains keep theirs. */
    assert_int_equal(
        location_aor_key(&d, k, sizeof(k), SLICE_LIT("sip:x@other.example")),
        0);
    assert_string_equal(k, "sip:x@other.example");
    assert_int_equal(location_aor_key(&d, k, sizeof(k), SLICE_LIT("tel:+1")),
        STORE_E_BAD_AOR);
    /* A served host in any case is the first domain; the user's case
     * stays. */
    assert_int_equal(location_aor_key(&d, k, sizeof(k),
                         SLICE_LIT("sip:Reg-7@BENCH.example.NET")),
        0);
    assert_string_equal(k, "sip:Reg-7@bench.example.net");
    /* The first domain must fit where the host was. */
    assert_int_equal(
        location_aor_key(&d, k, 24, SLICE_LIT("sip:reg-7@127.0.0.1")), -ENOSPC);
}

static void
fmt(const struct store_binding *b, bool full, char *out, size_t size)
{
    struct sip_wbuf w;
    sip_wbuf_init(&w, out, size - 1);
    location__contact_fmt(&w, b, 1000, full);
    out[w.len] = '\0';
}

static void
test_contact_format(void **state)
{
    char out[256];
    struct store_binding b = {
        .contact = SLICE_LIT("sip:a@10.0.0.1:5060"), .expires = 1600, .q = 500
    };
    (void) state;

    fmt(&b, false, out, sizeof(out));
    assert_string_equal(out, "<sip:a@10.0.0.1:5060>;expires=600;q=0.5");
    b.q = 1000;
    b.expires = 900; /* already expired: never negative */
    fmt(&b, false, out, sizeof(out));
    assert_string_equal(out, "<sip:a@10.0.0.1:5060>;expires=0;q=1");
    b.q = 25;
    b.instance = SLICE_LIT("urn:uuid:1");
    b.reg_id = 2;
    fmt(&b, false, out, sizeof(out));
    assert_string_equal(out, "<sip:a@10.0.0.1:5060>;expires=0;q=0.025");
    fmt(&b, true, out, sizeof(out));
    assert_string_equal(out,
        "<sip:a@10.0.0.1:5060>;expires=0;q=0.025"
        ";+sip.instance=\"<urn:uuid:1>\";reg-id=2");
    /* Too small a buffer: an error, nothing written past it. */
    struct sip_wbuf w;
    sip_wbuf_init(&w, out, 20);
    location__contact_fmt(&w, &b, 1000, false);
    assert_int_equal(w.err, -ENOSPC);
    assert_int_equal(w.len, 0);
    /* One decimal at least, trailing zeros dropped. */
    const struct {
        uint16_t q;
        const char *s;
    } qs[] = { { 0, "0.0" }, { 100, "0.1" }, { 120, "0.12" }, { 7, "0.007" },
        { 999, "0.999" }, { 1001, "1" } };
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        char want[64];
        b.q = qs[i].q;
        fmt(&b, false, out, sizeof(out));
        snprintf(want, sizeof(want), "<sip:a@10.0.0.1:5060>;expires=0;q=%s",
            qs[i].s);
        assert_string_equal(out, want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domains),
        cmocka_unit_test(test_aor_key),
        cmocka_unit_test(test_contact_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
