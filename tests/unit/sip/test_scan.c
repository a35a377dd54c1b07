/*
 * The vector scanners of sip_scan.h against byte-by-byte references, on
 * pseudo-random inputs that end at a guard page (a read past the end
 * faults), and hostnames through sip_uri_parse() in both code paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sip/sip_scan.h"
#include "sip/sip_uri.h"
#include "guard.h"

static uint32_t
next_rand(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

/* A random string over an alphabet rich in the bytes the scanners look
 * for. */
static size_t
fill(char *buf, size_t max, uint32_t *state, const char *alphabet)
{
    size_t len = next_rand(state) % (max + 1), n = strlen(alphabet);
    for (size_t i = 0; i < len; i++) {
        buf[i] = alphabet[next_rand(state) % n];
    }
    return len;
}

static void
test_lines(void **state)
{
    (void) state;
    struct guard g = { 0 };
    uint32_t seed = 1;
    char buf[80];
    for (int round = 0; round < 20000; round++) {
        size_t len = fill(buf, sizeof(buf), &seed, "ab:,\n \r-x:yz,");
        struct slice s = guard_put(&g, buf, len);
        const char *lo = s.p, *end = s.p + s.len;
        for (size_t off = 0; off <= len; off += 1 + len / 7) {
            const char *p = lo + off;
            assert_ptr_equal(
                sip__scan_colon(lo, p, end), sip__scan_colon_bytes(p, end));
            assert_ptr_equal(
                sip__scan_eol(lo, p, end), sip__scan_eol_bytes(p, end, NULL));
            bool c1 = false, c2 = false;
            const char *e1 = sip__scan_eol_comma(lo, p, end, &c1);
            const char *e2 = sip__scan_eol_bytes(p, end, &c2);
            assert_ptr_equal(e1, e2);
            assert_int_equal(c1, c2);
        }
    }
    guard_free(&g);
}

static bool
alnum_or_dash(char c)
{
    return c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z');
}

/* RFC 3261 §25.1 hostname, label by label: the reference. */
static bool
ref_hostname(const char *p, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t l = i;
        while (i < n && alnum_or_dash(p[i])) {
            i++;
        }
        if (i == l || p[l] == '-' || p[i - 1] == '-') {
            return false;
        }
        if (i == n) {
            return true;
        }
        if (p[i] != '.') {
            return false;
        }
        if (++i == n) {
            return true; /* trailing dot */
        }
    }
}

static void
test_hosts(void **state)
{
    (void) state;
    struct guard g = { 0 };
    uint32_t seed = 7;
    char buf[64];
    for (int round = 0; round < 20000; round++) {
        /* "sip:" + host (letters first: digits-only names are IPv4's). */
        memcpy(buf, "sip:x", 5);
        size_t len = 5 + fill(buf + 5, 50, &seed, "ab.-.c9-Z.");
        struct sip_uri u;
        int rc = sip_uri_parse(&u, guard_put(&g, buf, len));
        bool ok = ref_hostname(buf + 4, len - 4);
        assert_int_equal(rc == 0, ok);
        if (ok) {
            assert_int_equal(u.host.len, len - 4);
        }
        /* The same name followed by a port. */
        memcpy(buf + len, ":5060", 5);
        rc = sip_uri_parse(&u, guard_put(&g, buf, len + 5));
        assert_int_equal(rc == 0, ok);
        if (ok) {
            assert_int_equal(u.port, 5060);
        }
    }
    guard_free(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
