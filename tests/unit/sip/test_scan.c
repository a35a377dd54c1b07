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

#include "sip/sip_hdr.h"
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

/* The run of letters, digits, '.' and '-' from any offset of a buffer,
 * whose end is the guard page, against a byte loop: a block (or, from 8
 * bytes before end on, the tail block ending there) takes up to 16 bytes
 * of it, through sip__scan_alnum() where 16 are left; the portable build
 * leaves it all to its callers' byte loops. */
static void
test_skip_alnum(void **state)
{
    (void) state;
    struct guard g = { 0 };
    uint32_t seed = 5;
    char buf[48];
    for (int round = 0; round < 20000; round++) {
        size_t len =
            fill(buf, sizeof(buf), &seed, "aZ09.-aZz9.-bY18.-_;@=\x80\xff`{[");
        struct slice s = guard_put(&g, buf, len);
        const char *lo = s.p, *end = s.p + s.len;
        for (size_t off = 0; off <= len; off++) {
            const char *p = lo + off, *r = p;
            while (r < end && r - p < 16
                && (*r == '.' || *r == '-' || (*r >= '0' && *r <= '9')
                    || ((*r | 0x20) >= 'a' && (*r | 0x20) <= 'z'))) {
                r++;
            }
#ifdef SIP_SCAN_SSE2
            const char *want = len >= 16 && end - p >= 8 ? r : p;
#else
            const char *want = p;
#endif
            assert_ptr_equal(sip__skip_alnum(lo, p, end), want);
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

/* RFC 3261 §25.1 IPv4address: four groups of one to three digits, each at
 * most 255. */
static bool
ref_ipv4(const char *p, size_t n)
{
    size_t i = 0;
    for (int g = 0; g < 4; g++) {
        size_t d = i;
        unsigned v = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - d < 4) {
            v = v * 10 + (unsigned) (p[i++] - '0');
        }
        if (i == d || i - d > 3 || v > 255) {
            return false;
        }
        if (g < 3 && (i == n || p[i++] != '.')) {
            return false;
        }
    }
    return i == n;
}

/* host [":" port]: a name of digits and dots only must be an IPv4 address;
 * a port is one or more digits up to 65535. */
static bool
ref_hostport(const char *p, size_t n, size_t *hlen, long *port)
{
    const char *colon = memchr(p, ':', n);
    size_t h = colon ? (size_t) (colon - p) : n;
    bool numeric = h > 0;
    for (size_t i = 0; i < h; i++) {
        numeric = numeric && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.');
    }
    if (h == 0 || !(numeric ? ref_ipv4(p, h) : ref_hostname(p, h))) {
        return false;
    }
    *hlen = h;
    *port = -1;
    if (!colon) {
        return true;
    }
    long v = 0;
    size_t i = h + 1;
    if (i == n) {
        return false;
    }
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
        v = v * 10 + (p[i] - '0');
        if (v > 65535) {
            return false;
        }
    }
    *port = v;
    return true;
}

/* A dotted quad of edge values, sometimes bent out of shape, with a port
 * of edge values or none. */
static size_t
quad(char *buf, uint32_t *state)
{
    static const char *const group[] = { "0", "9", "00", "99", "127", "199",
        "249", "250", "255", "256", "260", "300", "0255", "1000", "" };
    static const char *const tail[] = { "", "", "", ".", "a", ".1", "-", ":" };
    static const char *const port[] = { "", "", "0", "5060", "65535", "65536",
        "99999", "000001", "123456", "" };
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        const char *gr = group[next_rand(state) % 15];
        memcpy(buf + n, gr, strlen(gr));
        n += strlen(gr);
        if (i < 3 || next_rand(state) % 16 == 0) {
            buf[n++] = '.';
        }
    }
    const char *t = tail[next_rand(state) % 8];
    memcpy(buf + n, t, strlen(t));
    n += strlen(t);
    const char *po = port[next_rand(state) % 10];
    if (*po) {
        buf[n++] = ':';
        memcpy(buf + n, po, strlen(po));
        n += strlen(po);
    }
    return n;
}

/* Addresses and ports, the vector path's usual case and its edges, in a
 * URI (with and without user) and as a Via sent-by, short and long enough
 * for a block load. */
static void
test_ipv4(void **state)
{
    (void) state;
    struct guard g = { 0 };
    uint32_t seed = 11;
    static const char *const pre[] = { "sip:", "sip:u@", "sip:someone@",
        "SIP/2.0/UDP " };
    char buf[64];
    for (int round = 0; round < 40000; round++) {
        const char *pf = pre[round % 4];
        size_t pl = strlen(pf);
        memcpy(buf, pf, pl);
        size_t n = round % 2
            ? quad(buf + pl, &seed)
            : fill(buf + pl, 24, &seed,
                round % 3 ? "0123456789..25:" : "0123456789..:a-5");
        size_t len = pl + n, hlen;
        long port;
        bool ok = ref_hostport(buf + pl, n, &hlen, &port);
        struct slice in = guard_put(&g, buf, len);
        if (round % 4 == 3) {
            struct sip_via v;
            int rc = sip_via_parse(&v, in);
            assert_int_equal(rc == 0, ok);
            if (ok) {
                assert_int_equal(v.host.len, hlen);
                assert_int_equal(v.has_port, port >= 0);
                assert_int_equal(v.port, port >= 0 ? port : 0);
            }
            continue;
        }
        struct sip_uri u;
        int rc = sip_uri_parse(&u, in);
        assert_int_equal(rc == 0, ok);
        if (ok) {
            assert_ptr_equal(u.host.p, in.p + pl);
            assert_int_equal(u.host.len, hlen);
            bool numeric = true;
            for (size_t i = 0; i < hlen; i++) {
                numeric = numeric && memchr("0123456789.", u.host.p[i], 11);
            }
            assert_int_equal(
                u.host_type, numeric ? SIP_HOST_IPV4 : SIP_HOST_NAME);
            assert_int_equal(u.has_port, port >= 0);
            assert_int_equal(u.port, port >= 0 ? port : 0);
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
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_skip_alnum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
