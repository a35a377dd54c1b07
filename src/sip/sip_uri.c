/* URI parsing: sip, sips (RFC 3261 §19.1, §25.1), tel (RFC 3966), other. */
#include "sip/sip_uri.h"

#include <errno.h>
#include <string.h>

#include "sip/sip_int.h"
#include "sip/sip_scan.h"
#include "sip/sip_msg.h"

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = sip__lower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Scans chars of class cls or %HH escapes; returns the end, or NULL on a
 * bad escape. */
static inline __attribute__((always_inline)) const char *
scan_escaped(const char *p, const char *end, unsigned cls)
{
    for (;;) {
        p = sip__skip(p, end, cls);
        if (p == end || *p != '%') {
            return p;
        }
        if (end - p < 3 || !sip__is(p[1], C_HEX) || !sip__is(p[2], C_HEX)) {
            return NULL;
        }
        p += 3;
    }
}

/* A dotted quad at p; returns its end or NULL. */
static const char *
ipv4_prefix(const char *p, const char *end)
{
    /* Each octet: one to three digits (unrolled), at most 255. */
    for (int i = 0;; i++) {
        if (p == end || (unsigned) (*p - '0') > 9) {
            return NULL;
        }
        unsigned v = (unsigned) (*p++ - '0');
        if (p < end && (unsigned) (*p - '0') <= 9) {
            v = v * 10 + (unsigned) (*p++ - '0');
            if (p < end && (unsigned) (*p - '0') <= 9) {
                v = v * 10 + (unsigned) (*p++ - '0');
            }
        }
        if (v > 255) {
            return NULL;
        }
        if (i == 3) {
            return p;
        }
        if (p == end || *p != '.') {
            return NULL;
        }
        p++;
    }
}

bool
sip__ipv4(struct slice s)
{
    const char *end = s.p + s.len;
    return s.len && ipv4_prefix(s.p, end) == end;
}

/* IPv6address (RFC 3261 §25.1 / RFC 4291), without brackets. */
static bool
ipv6_addr(const char *p, const char *end)
{
    int groups = 0;
    bool dcolon = false;

    if (p == end) {
        return false;
    }
    if (*p == ':') {
        if (end - p < 2 || p[1] != ':') {
            return false;
        }
        dcolon = true;
        p += 2;
        if (p == end) {
            return true;
        }
    }
    while (p < end) {
        const char *g = p;
        while (p < end && sip__is(*p, C_HEX) && p - g < 5) {
            p++;
        }
        size_t n = (size_t) (p - g);
        if (p < end && *p == '.') {
            /* Trailing IPv4 part counts as two groups. */
            if (!sip__ipv4((struct slice){ g, (size_t) (end - g) })) {
                return false;
            }
            groups += 2;
            p = end;
            break;
        }
        if (n == 0 || n > 4) {
            return false;
        }
        groups++;
        if (p == end) {
            break;
        }
        if (*p != ':') {
            return false;
        }
        p++;
        if (p < end && *p == ':') {
            if (dcolon) {
                return false;
            }
            dcolon = true;
            p++;
            if (p == end) {
                break;
            }
            /* RFC 5118 §4.10: RFC 3261's ABNF lets a third colon precede
             * an embedded IPv4 address; accept it, being robust. */
            if (*p == ':'
                && sip__ipv4((struct slice){ p + 1, (size_t) (end - p - 1) })) {
                return groups + 2 <= 7;
            }
        } else if (p == end) {
            return false;
        }
    }
    return dcolon ? groups <= 7 : groups == 8;
}

bool
sip__ipv6(struct slice s)
{
    if (s.len < 2 || s.p[0] != '[' || s.p[s.len - 1] != ']') {
        return false;
    }
    return ipv6_addr(s.p + 1, s.p + s.len - 1);
}

#ifdef SIP_SCAN_SSE2
/*
 * The usual dotted quad at p, from one block's digit and dot masks: the
 * run of digits and dots holds three lone dots, neither first nor last, no
 * four digits in a row and no three-digit group above "255" (digit strings
 * of one length compare as numbers), and no hostname character follows.
 * Returns its end, or NULL for anything else, which the byte loops then
 * decide. When a ':' follows and the digits after it end inside the block,
 * *port_digits is their count (else 0).
 */
static inline __attribute__((always_inline)) const char *
ipv4_block(
    const char *lo, const char *p, const char *end, unsigned *port_digits)
{
    unsigned dig, dot, gone;
    if (!sip__scan_digits(lo, p, end, &dig, &dot, &gone)) {
        return NULL;
    }
    unsigned stop = (~(dig | dot) | gone) & 0xffff;
    if (!stop) {
        return NULL;
    }
    unsigned n = (unsigned) __builtin_ctz(stop);
    unsigned run = (1u << n) - 1, ends = 1u | 1u << (n - 1);
    unsigned d = dot & run, g = dig & run;
    unsigned third = d & (d - 1);
    third &= third - 1;
    if (!third || (third & (third - 1)) || (d & (d << 1 | ends))
        || (g & g >> 1 & g >> 2 & g >> 3)) {
        return NULL;
    }
    for (unsigned t = g & g >> 1 & g >> 2; t; t &= t - 1) {
        const unsigned char *o = (const unsigned char *) p + __builtin_ctz(t);
        if (((unsigned) o[0] << 16 | (unsigned) o[1] << 8 | o[2])
            > ('2' << 16 | '5' << 8 | '5')) {
            return NULL;
        }
    }
    const char *e = p + n;
    if (e < end && *e == ':') {
        /* dig has no bits past end; a run that reaches the block's end
         * may go on, so it is not counted. */
        unsigned k = (unsigned) __builtin_ctz(~(dig >> (n + 1)));
        *port_digits = n + 1 + k < 16 ? k : 0;
        return e;
    }
    return e == end || !sip__is(*e, C_HOST) ? e : NULL;
}
#endif

/* Inlined into the URI parser, which calls it for every URI. */
static inline __attribute__((always_inline)) const char *
host_port(const char *lo, const char *p, const char *end, struct slice *host,
    uint8_t *type, bool *has_port, uint16_t *port)
{
#ifndef SIP_SCAN_SSE2
    (void) lo;
#endif
    const char *h = p;
    unsigned port_digits = 0;

    *has_port = false;
    *port = 0;
    if (p < end && *p == '[') {
        const char *rb = memchr(p, ']', (size_t) (end - p));
        if (!rb || !ipv6_addr(p + 1, rb)) {
            return NULL;
        }
        p = rb + 1;
        *type = SIP_HOST_IPV6;
    } else {
        /* IPv4address, or hostname: labels of alphanumerics and '-',
         * never empty, never starting or ending with '-'; a trailing dot
         * is allowed (§25.1). One pass, label by label. */
        bool digit = p < end && sip__is(*h, C_DIGIT);
        if (digit) {
            const char *e = NULL;
#ifdef SIP_SCAN_SSE2
            e = ipv4_block(lo, h, end, &port_digits);
#endif
            if (!e) {
                e = ipv4_prefix(h, end);
                e = e && (e == end || !sip__is(*e, C_HOST)) ? e : NULL;
            }
            if (e) {
                p = e;
                *type = SIP_HOST_IPV4;
                goto port;
            }
        }
#ifdef SIP_SCAN_SSE2
        /* The usual short name: all its labels checked at once. */
        if (end - p >= 16) {
            const char *e = sip__scan_host(p, end);
            if (!e) {
                return NULL;
            }
            if (e != p) {
                p = e;
                goto labels_done;
            }
        }
#endif
        for (;;) {
            const char *l = p;
            p = sip__skip(p, end, C_ALPHA | C_DIGIT);
            if (p == l) {
                return NULL; /* empty label, or one starting '-' */
            }
            while (p < end && *p == '-') {
                while (p < end && *p == '-') {
                    p++;
                }
                const char *r = sip__skip(p, end, C_ALPHA | C_DIGIT);
                if (r == p) {
                    return NULL; /* label ending with '-' */
                }
                p = r;
            }
            if (p == end || *p != '.') {
                break;
            }
            p++;
            if (p == end || !sip__is(*p, C_HOST)) {
                break; /* trailing dot */
            }
        }
#ifdef SIP_SCAN_SSE2
    labels_done:
#endif
        if (digit) {
            /* Digits and dots only, yet not an IPv4 address: reject. */
            const char *c = h;
            while (c < p && (sip__is(*c, C_DIGIT) || *c == '.')) {
                c++;
            }
            if (c == p) {
                return NULL;
            }
        }
        *type = SIP_HOST_NAME;
    }
port:
    *host = (struct slice){ h, (size_t) (p - h) };
    if (port_digits && port_digits <= 5) {
        /* Counted already: at most 99999, checked once. */
        uint32_t v = 0;
#pragma GCC unroll 5
        for (unsigned i = 1; i <= port_digits; i++) {
            v = v * 10 + (uint32_t) (p[i] - '0');
        }
        if (v > 65535) {
            return NULL;
        }
        *has_port = true;
        *port = (uint16_t) v;
        return p + 1 + port_digits;
    }
    if (p < end && *p == ':') {
        uint32_t v = 0;
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9') {
            v = v * 10 + (uint32_t) (*p - '0');
            if (v > 65535) {
                return NULL;
            }
            p++;
        }
        if (p == d) {
            return NULL;
        }
        *has_port = true;
        *port = (uint16_t) v;
    }
    return p;
}

const char *
sip__host_port(const char *lo, const char *p, const char *end,
    struct slice *host, uint8_t *type, bool *has_port, uint16_t *port)
{
    return host_port(lo, p, end, host, type, has_port, port);
}

/* ;name[=value] uri-parameters, no whitespace (§19.1.1). */
static const char *
uri_params(const char *p, const char *end)
{
    while (p < end && *p == ';') {
        const char *n = ++p;
        p = scan_escaped(p, end, C_PARAM);
        if (!p || p == n) {
            return NULL;
        }
        if (p < end && *p == '=') {
            p = scan_escaped(p + 1, end, C_PARAM);
            if (!p) {
                return NULL;
            }
        }
    }
    return p;
}

/* hname=hvalue *("&" hname=hvalue) */
static const char *
uri_headers(const char *p, const char *end)
{
    for (;;) {
        const char *n = p;
        p = scan_escaped(p, end, C_HNV);
        if (!p || p == n || p == end || *p != '=') {
            return NULL;
        }
        p = scan_escaped(p + 1, end, C_HNV);
        if (!p) {
            return NULL;
        }
        if (p < end && *p == '&') {
            p++;
            continue;
        }
        return p;
    }
}

static inline __attribute__((always_inline)) int
parse_sip(struct sip_uri *u, const char *lo, const char *p, const char *end)
{
    /* userinfo ends at the first '@' (user and password cannot hold an
     * unescaped one). The usual user without a password is followed by
     * it, which saves looking for it first. */
    const char *at = scan_escaped(p, end, C_USER);
    if (at && at != p && at < end && *at == '@') {
        u->user = (struct slice){ p, (size_t) (at - p) };
        p = at + 1;
        goto host;
    }
    at = memchr(p, '@', (size_t) (end - p));
    if (at) {
        const char *q = scan_escaped(p, at, C_USER);
        if (!q) {
            return SIP_E_BAD_ESCAPE;
        }
        /* user stops at ':' (password follows). */
        if (q == p) {
            return SIP_E_BAD_URI;
        }
        u->user = (struct slice){ p, (size_t) (q - p) };
        if (q < at) {
            if (*q != ':') {
                return SIP_E_BAD_URI;
            }
            const char *pw = q + 1;
            q = scan_escaped(pw, at, C_PASS);
            if (!q) {
                return SIP_E_BAD_ESCAPE;
            }
            if (q != at) {
                return SIP_E_BAD_URI;
            }
            u->password = (struct slice){ pw, (size_t) (at - pw) };
            u->has_password = true;
        }
        p = at + 1;
    }
host:
    p = host_port(lo, p, end, &u->host, &u->host_type, &u->has_port, &u->port);
    if (!p) {
        return SIP_E_BAD_URI;
    }
    if (p < end && *p == ';') {
        const char *s = p;
        p = uri_params(p, end);
        if (!p) {
            return SIP_E_BAD_URI;
        }
        u->params = (struct slice){ s, (size_t) (p - s) };
    }
    if (p < end && *p == '?') {
        const char *s = ++p;
        p = uri_headers(p, end);
        if (!p) {
            return SIP_E_BAD_URI;
        }
        u->headers = (struct slice){ s, (size_t) (p - s) };
    }
    return p == end ? 0 : SIP_E_BAD_URI;
}

static int
parse_tel(struct sip_uri *u, const char *p, const char *end)
{
    const char *n = p;
    p = sip__skip(p, end, C_TEL);
    if (p == n) {
        return SIP_E_BAD_URI;
    }
    u->user = (struct slice){ n, (size_t) (p - n) };
    if (p < end && *p == ';') {
        const char *s = p;
        p = uri_params(p, end);
        if (!p) {
            return SIP_E_BAD_URI;
        }
        u->params = (struct slice){ s, (size_t) (p - s) };
    }
    return p == end ? 0 : SIP_E_BAD_URI;
}

int
sip_uri_parse(struct sip_uri *u, struct slice in)
{
    in = sip__nn(in);
    const char *p = in.p, *end = in.p + in.len;
    int err = SIP_E_BAD_URI;

    /* Field by field: cheaper than a memset of the whole struct. */
    u->scheme = SIP_URI_OTHER;
    u->host_type = 0;
    u->has_port = u->has_password = false;
    u->port = 0;
    u->raw = in;
    u->scheme_s = u->user = u->password = u->host = u->params = u->headers =
        u->opaque = SLICE_NULL;
    /* The usual "sip:" without a scan for the scheme's end. */
    if (in.len >= 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i'
        && (p[2] | 0x20) == 'p' && p[3] == ':') {
        u->scheme_s = (struct slice){ p, 3 };
        u->scheme = SIP_URI_SIP;
        p += 4;
        u->opaque = (struct slice){ p, (size_t) (end - p) };
    } else {
        if (in.len == 0 || !sip__is(*p, C_ALPHA)) {
            goto out;
        }
        const char *s = p;
        p = sip__skip(p, end, C_SCHEME);
        if (p == end || *p != ':') {
            goto out;
        }
        u->scheme_s = (struct slice){ s, (size_t) (p - s) };
        p++;
        u->opaque = (struct slice){ p, (size_t) (end - p) };
        if (SIP_LIT_EQ(u->scheme_s, "sip")) {
            u->scheme = SIP_URI_SIP;
        } else if (SIP_LIT_EQ(u->scheme_s, "sips")) {
            u->scheme = SIP_URI_SIPS;
        } else if (SIP_LIT_EQ(u->scheme_s, "tel")) {
            u->scheme = SIP_URI_TEL;
            err = parse_tel(u, p, end);
            goto out;
        } else {
            u->scheme = SIP_URI_OTHER;
            const char *q = scan_escaped(p, end, C_URIC);
            err = (q == end && p < end) ? 0 : SIP_E_BAD_URI;
            goto out;
        }
    }
    /* sip and sips share this one call: parse_sip() is inlined here. */
    err = parse_sip(u, in.p, p, end);
out:
    return err;
}

bool
sip_param_next(struct slice *rest, struct slice *name, struct slice *value)
{
    *rest = sip__nn(*rest);
    const char *p = rest->p, *end = rest->p + rest->len;

    p = sip__skip_ws(p, end);
    while (p < end && *p == ';') {
        p = sip__skip_ws(p + 1, end);
        if (p == end || *p != ';') {
            break;
        }
    }
    if (p >= end) {
        *rest = (struct slice){ end, 0 };
        return false;
    }
    const char *n = p;
    while (p < end && *p != '=' && *p != ';' && !sip__is(*p, C_WS)) {
        p++;
    }
    *name = (struct slice){ n, (size_t) (p - n) };
    *value = (struct slice){ p, 0 };
    p = sip__skip_ws(p, end);
    if (p < end && *p == '=') {
        p = sip__skip_ws(p + 1, end);
        const char *v = p;
        if (p < end && *p == '"') {
            const char *q = sip__quoted_end(p, end);
            p = q ? q : end;
        } else {
            while (p < end && *p != ';' && !sip__is(*p, C_WS)) {
                p++;
            }
        }
        *value = (struct slice){ v, (size_t) (p - v) };
    }
    /* Skip anything up to the next ';' (tolerant iteration; the strict
     * checks live in the callers). */
    while (p < end && *p != ';') {
        p++;
    }
    *rest = (struct slice){ p, (size_t) (end - p) };
    return true;
}

bool
sip_param_get(struct slice params, struct slice name, struct slice *value)
{
    struct slice n, v;
    while (sip_param_next(&params, &n, &v)) {
        if (slice_caseeq(n, name)) {
            if (value) {
                *value = v;
            }
            return true;
        }
    }
    return false;
}

int
sip_uri_unescape(char *dst, size_t size, struct slice in)
{
    size_t o = 0;
    if (size == 0) {
        return -ENOSPC;
    }
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];
        if (c == '%') {
            if (i + 2 >= in.len) {
                dst[0] = '\0';
                return SIP_E_BAD_ESCAPE;
            }
            int h = hexval(in.p[i + 1]), l = hexval(in.p[i + 2]);
            if (h < 0 || l < 0) {
                dst[0] = '\0';
                return SIP_E_BAD_ESCAPE;
            }
            c = (char) (h * 16 + l);
            i += 2;
        }
        if (o + 1 >= size) {
            dst[0] = '\0';
            return -ENOSPC;
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
    return (int) o;
}

/* Compares two escaped strings after decoding, case-sensitive or not. */
static bool
esc_eq(struct slice a, struct slice b, bool icase)
{
    size_t i = 0, j = 0;
    while (i < a.len && j < b.len) {
        char x = a.p[i], y = b.p[j];
        if (x == '%' && i + 2 < a.len && hexval(a.p[i + 1]) >= 0
            && hexval(a.p[i + 2]) >= 0) {
            x = (char) (hexval(a.p[i + 1]) * 16 + hexval(a.p[i + 2]));
            i += 2;
        }
        if (y == '%' && j + 2 < b.len && hexval(b.p[j + 1]) >= 0
            && hexval(b.p[j + 2]) >= 0) {
            y = (char) (hexval(b.p[j + 1]) * 16 + hexval(b.p[j + 2]));
            j += 2;
        }
        if (icase) {
            x = sip__lower(x);
            y = sip__lower(y);
        }
        if (x != y) {
            return false;
        }
        i++;
        j++;
    }
    return i == a.len && j == b.len;
}

static bool
param_eq(struct slice pa, struct slice pb, struct slice name)
{
    struct slice va, vb;
    bool ha = sip_param_get(pa, name, &va), hb = sip_param_get(pb, name, &vb);
    if (ha != hb) {
        return false;
    }
    return !ha || esc_eq(va, vb, true);
}

bool
sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
    if (a->scheme != b->scheme) {
        return false;
    }
    if (a->scheme == SIP_URI_OTHER) {
        return slice_caseeq(a->scheme_s, b->scheme_s)
            && slice_eq(a->opaque, b->opaque);
    }
    if (a->scheme == SIP_URI_TEL) {
        return esc_eq(a->user, b->user, true);
    }
    static const struct slice names[] = { SLICE_LIT("user"), SLICE_LIT("ttl"),
        SLICE_LIT("method"), SLICE_LIT("maddr"), SLICE_LIT("transport") };
    if (!esc_eq(a->user, b->user, false)
        || !esc_eq(a->password, b->password, false)
        || a->has_password != b->has_password || !slice_caseeq(a->host, b->host)
        || a->has_port != b->has_port || a->port != b->port) {
        return false;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!param_eq(a->params, b->params, names[i])) {
            return false;
        }
    }
    return true;
}
