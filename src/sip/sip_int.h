/* Declarations shared inside the sip layer. */
#ifndef SW_SIP_SIP_INT_H
#define SW_SIP_SIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/slice.h"

/* Character classes of RFC 3261 §25.1 (table in sip_chars.c). */
enum {
    C_TOKEN = 1 << 0,
    C_WORD = 1 << 1, /* Call-ID word */
    C_DIGIT = 1 << 2,
    C_ALPHA = 1 << 3,
    C_HEX = 1 << 4,
    C_UNRES = 1 << 5, /* unreserved */
    C_USER = 1 << 6,  /* unreserved / user-unreserved */
    C_PASS = 1 << 7,
    C_PARAM = 1 << 8, /* paramchar without escapes */
    C_HNV = 1 << 9,   /* hname / hvalue without escapes */
    C_HOST = 1 << 10, /* hostname characters */
    C_WS = 1 << 11,   /* SP HTAB CR LF: LWS inside a folded value */
    C_TEL = 1 << 12,
    C_SCHEME = 1 << 13,
    C_URIC = 1 << 14,      /* opaque absolute URI */
    C_GENVAL = 1 << 15,    /* gen-value: token / host (':' '[' ']') */
    C_QPLAIN = 1 << 16,    /* inside a quoted-string: not '"' nor '\\' */
    C_LISTPLAIN = 1 << 17, /* list item: not '"', '<' nor ',' */
};

extern const uint32_t sip__chars[256];

static inline bool
sip__is(char c, unsigned cls)
{
    return (sip__chars[(unsigned char) c] & cls) != 0;
}

static inline char
sip__lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char) (c | 0x20) : c;
}

/* Empty slices may carry a NULL pointer; pointer arithmetic on NULL is
 * undefined, so public entry points swap it for a static empty string. */
static inline struct slice
sip__nn(struct slice s)
{
    if (!s.p) {
        s.p = "";
        s.len = 0;
    }
    return s;
}

/* Eight bytes with 'A'..'Z' lowered and nothing else changed. */
static inline uint64_t
sip__lower8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = ones << 7;
    uint64_t low = x & ~high; /* adding below never carries across bytes */
    uint64_t ge_a = low + (0x80 - 'A') * ones;
    uint64_t gt_z = low + (0x80 - 'Z' - 1) * ones;
    return x | ((ge_a & ~gt_z & ~x & high) >> 2);
}

/* Case-insensitive equality with a lowercase literal, length first; a
 * word at a time (len is a constant wherever SIP_LIT_EQ is used). */
static inline bool
sip__lit_eq(struct slice s, const char *lit, size_t len)
{
    if (s.len != len) {
        return false;
    }
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t a, b;
        memcpy(&a, s.p + i, 8);
        memcpy(&b, lit + i, 8);
        if (sip__lower8(a) != b) {
            return false;
        }
    }
    if (i < len) {
        uint64_t a = 0, b = 0;
        memcpy(&a, s.p + i, len - i);
        memcpy(&b, lit + i, len - i);
        return sip__lower8(a) == b;
    }
    return true;
}

#define SIP_LIT_EQ(s, lit) sip__lit_eq((s), (lit), sizeof(lit) - 1)

/* Skips LWS (SP, HTAB and folded line breaks) from p, up to end. */
static inline const char *
sip__skip_ws(const char *p, const char *end)
{
    while (p < end && sip__is(*p, C_WS)) {
        p++;
    }
    return p;
}

/* The same, for where LWS is rare: a byte above ' ' is none. */
static inline const char *
sip__skip_lws(const char *p, const char *end)
{
    if (p < end && (unsigned char) *p <= ' ') {
        p = sip__skip_ws(p, end);
    }
    return p;
}

/* Skips characters of class cls (unrolled: this is the parser's inner
 * loop). */
static inline const char *
sip__skip(const char *p, const char *end, unsigned cls)
{
    while (end - p >= 4) {
        if (!sip__is(p[0], cls)) {
            return p;
        }
        if (!sip__is(p[1], cls)) {
            return p + 1;
        }
        if (!sip__is(p[2], cls)) {
            return p + 2;
        }
        if (!sip__is(p[3], cls)) {
            return p + 3;
        }
        p += 4;
    }
    while (p < end && sip__is(*p, cls)) {
        p++;
    }
    return p;
}

/* Past the closing quote of a quoted-string starting at p (on the '"'),
 * or NULL when unterminated. */
static inline const char *
sip__quoted_end(const char *p, const char *end)
{
    p++;
    while (p < end) {
        /* Jump to the next quote or backslash. */
        const char *q = sip__skip(p, end, C_QPLAIN);
        if (q >= end) {
            return NULL;
        }
        if (*q == '"') {
            return q + 1;
        }
        p = q + 2; /* quoted-pair */
    }
    return NULL;
}

/* Whole slice is a token. */
bool sip__is_token(struct slice s);

/* Parses host [":" port] at p; returns the end or NULL. The bytes from lo
 * (at most p) to end may be read. */
const char *sip__host_port(const char *lo, const char *p, const char *end,
    struct slice *host, uint8_t *type, bool *has_port, uint16_t *port);

/* Validates an IPv4 dotted quad / IPv6 reference. */
bool sip__ipv4(struct slice s);
bool sip__ipv6(struct slice s);

void sip__err_init(void);

#endif
