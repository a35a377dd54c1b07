/* Declarations shared inside the sip layer. */
#ifndef SW_SIP_SIP_INT_H
#define SW_SIP_SIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    C_HOST = 1 << 10, /* hostname characters (plus '_') */
    C_WS = 1 << 11,   /* SP HTAB CR LF: LWS inside a folded value */
    C_TEL = 1 << 12,
    C_SCHEME = 1 << 13,
    C_URIC = 1 << 14, /* opaque absolute URI */
};

extern const uint16_t sip__chars[256];

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

/* Skips LWS (SP, HTAB and folded line breaks) from p, up to end. */
static inline const char *
sip__skip_ws(const char *p, const char *end)
{
    while (p < end && sip__is(*p, C_WS)) {
        p++;
    }
    return p;
}

/* Skips characters of class cls. */
static inline const char *
sip__skip(const char *p, const char *end, unsigned cls)
{
    while (p < end && sip__is(*p, cls)) {
        p++;
    }
    return p;
}

/* Past the closing quote of a quoted-string starting at p (on the '"'),
 * or NULL when unterminated. */
const char *sip__quoted_end(const char *p, const char *end);

/* Whole slice is a token. */
bool sip__is_token(struct slice s);

/* Parses host [":" port] at the start of s; returns the end or NULL. */
const char *sip__host_port(const char *p, const char *end, struct slice *host,
    uint8_t *type, bool *has_port, uint16_t *port);

/* Validates an IPv4 dotted quad / IPv6 reference. */
bool sip__ipv4(struct slice s);
bool sip__ipv6(struct slice s);

void sip__err_init(void);

#endif
