/*
 * Byte scanners for the header loop: the end of a header name and the end
 * of a line, 16 or 32 bytes at a time. SSE2 is part of the x86-64 baseline,
 * so no runtime dispatch is needed; other targets use the byte loops, which
 * stay callable on x86-64 so that a test can compare both.
 *
 * Nothing is read outside [lo, end): the last partial block is loaded so
 * that it ends at end (overlapping bytes already seen) whenever lo leaves
 * room for it.
 */
#ifndef SW_SIP_SIP_SCAN_H
#define SW_SIP_SIP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__SSE2__) && !defined(SIP_SCAN_PORTABLE)
#include <emmintrin.h>
#define SIP_SCAN_SSE2 1
#endif

/* First ':', '\r' or '\n' in [p, end), or NULL. A CR stops the scan too:
 * a header name holding one is malformed, and the name compare folds case
 * with 0x20, which would take CR for '-'. */
static inline const char *
sip__scan_colon_bytes(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p == ':' || *p == '\r' || *p == '\n') {
            return p;
        }
    }
    return NULL;
}

/* First '\n' in [p, end), or NULL; with comma set, *comma becomes true when
 * a ',' comes before it. */
static inline const char *
sip__scan_eol_bytes(const char *p, const char *end, bool *comma)
{
    for (; p < end; p++) {
        if (*p == '\n') {
            return p;
        }
        if (comma && *p == ',') {
            *comma = true;
        }
    }
    return NULL;
}

/* First c in [p, end), or NULL. */
static inline const char *
sip__scan_char_bytes(const char *p, const char *end, char c)
{
    for (; p < end; p++) {
        if (*p == c) {
            return p;
        }
    }
    return NULL;
}

#ifdef SIP_SCAN_SSE2
static inline __m128i
scan_load(const char *p)
{
    return _mm_loadu_si128((const __m128i *) (const void *) p);
}

static inline unsigned
scan_mask(__m128i v, char c)
{
    return (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* The tail: one block ending at end, the bytes before p shifted out. Only
 * when [lo, end) holds 16 bytes. */
static inline __m128i
scan_tail(const char *p, const char *end, unsigned *shift)
{
    *shift = (unsigned) (p - (end - 16));
    return scan_load(end - 16);
}

static inline const char *
sip__scan_colon(const char *lo, const char *p, const char *end)
{
    const __m128i co = _mm_set1_epi8(':'), lf = _mm_set1_epi8('\n'),
                  cr = _mm_set1_epi8('\r');
    while (end - p >= 16) {
        __m128i v = scan_load(p);
        unsigned m = (unsigned) _mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, co), _mm_cmpeq_epi8(v, lf)),
            _mm_cmpeq_epi8(v, cr)));
        if (m) {
            return p + __builtin_ctz(m);
        }
        p += 16;
    }
    if (p == end || end - lo < 16) {
        return sip__scan_colon_bytes(p, end);
    }
    unsigned shift;
    __m128i v = scan_tail(p, end, &shift);
    unsigned m =
        (scan_mask(v, ':') | scan_mask(v, '\n') | scan_mask(v, '\r')) >> shift;
    return m ? p + __builtin_ctz(m) : NULL;
}

/* First c in [p, end), or NULL: memchr without the call, for the short
 * distances inside a line. */
static inline const char *
sip__scan_char(const char *lo, const char *p, const char *end, char c)
{
    while (end - p >= 16) {
        unsigned m = scan_mask(scan_load(p), c);
        if (m) {
            return p + __builtin_ctz(m);
        }
        p += 16;
    }
    if (p == end || end - lo < 16) {
        return sip__scan_char_bytes(p, end, c);
    }
    unsigned shift;
    __m128i v = scan_tail(p, end, &shift);
    unsigned m = scan_mask(v, c) >> shift;
    return m ? p + __builtin_ctz(m) : NULL;
}

static inline const char *
sip__scan_eol(const char *lo, const char *p, const char *end)
{
    while (end - p >= 32) {
        unsigned m = scan_mask(scan_load(p), '\n')
            | scan_mask(scan_load(p + 16), '\n') << 16;
        if (m) {
            return p + __builtin_ctz(m);
        }
        p += 32;
    }
    return sip__scan_char(lo, p, end, '\n');
}

/* A ',' before the '\n' sets *comma, and the rest of the line is scanned
 * for the '\n' alone. */
static inline const char *
sip__scan_eol_comma(const char *lo, const char *p, const char *end, bool *comma)
{
    const char *q = p;
    const __m128i lf = _mm_set1_epi8('\n'), cm = _mm_set1_epi8(',');
    for (;;) {
        if (end - q < 32) {
            if (end - q < 16) {
                return sip__scan_eol_bytes(q, end, comma);
            }
            __m128i v = scan_load(q);
            unsigned m = (unsigned) _mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cm)));
            if (m) {
                q += __builtin_ctz(m);
                break;
            }
            return sip__scan_eol_bytes(q + 16, end, comma);
        }
        __m128i a = scan_load(q), b = scan_load(q + 16);
        unsigned m = (unsigned) _mm_movemask_epi8(_mm_or_si128(
                         _mm_cmpeq_epi8(a, lf), _mm_cmpeq_epi8(a, cm)))
            | (unsigned) _mm_movemask_epi8(
                  _mm_or_si128(_mm_cmpeq_epi8(b, lf), _mm_cmpeq_epi8(b, cm)))
                << 16;
        if (m) {
            q += __builtin_ctz(m);
            break;
        }
        q += 32;
    }
    if (*q == '\n') {
        return q;
    }
    *comma = true;
    return sip__scan_eol(lo, q + 1, end);
}

static inline unsigned
scan_range(__m128i v, char lo, char hi)
{
    /* Signed compares: bytes >= 0x80 are in no ASCII range. */
    __m128i in =
        _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char) (lo - 1))),
            _mm_cmpgt_epi8(_mm_set1_epi8((char) (hi + 1)), v));
    return (unsigned) _mm_movemask_epi8(in);
}

/* Letters, digits, '.' and '-' of one block, and its '.' and '-'. */
static inline unsigned
host_masks(const char *p, unsigned *dot, unsigned *dash)
{
    __m128i v = scan_load(p);
    *dot = scan_mask(v, '.');
    *dash = scan_mask(v, '-');
    return scan_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z')
        | scan_range(v, '0', '9') | *dot | *dash;
}

/* Past the letters, digits, '.' and '-' at p within one block (a prefix of
 * most token-like values). Needs end - p >= 16. */
static inline const char *
sip__scan_alnum(const char *p)
{
    unsigned dot, dash;
    unsigned stop = ~host_masks(p, &dot, &dash);
    return p + __builtin_ctz(stop | 0x10000);
}

/* The same within [p, end) for any distance to end: a block that would
 * cross end is the one ending there, the bytes before p shifted out. p
 * when [lo, end) is shorter than a block, or fewer than 8 bytes are left
 * (the callers' byte loops are cheaper there). */
static inline const char *
sip__skip_alnum(const char *lo, const char *p, const char *end)
{
    if (end - p >= 16) {
        return sip__scan_alnum(p);
    }
    if (end - p < 8 || end - lo < 16) {
        return p;
    }
    unsigned dot, dash, n = (unsigned) (end - p);
    unsigned shift = 16 - n;
    unsigned stop = ~(host_masks(end - 16, &dot, &dash) >> shift);
    return p + __builtin_ctz(stop | 1u << n);
}

/*
 * The hostname at p (RFC 3261 §25.1): the run of letters, digits, '.' and
 * '-', which must start with an alphanumeric, hold no "..", ".-" nor "-."
 * and not end with '-' (a trailing dot is allowed). Looks at up to 32
 * bytes in two loads: returns the end of the name, NULL when the run is not
 * a hostname, or p when the run is longer than that (the caller walks it
 * label by label). Needs end - p >= 16.
 */
static inline const char *
sip__scan_host(const char *p, const char *end)
{
    size_t avail = (size_t) (end - p);
    unsigned off = avail >= 32 ? 16 : (unsigned) (avail - 16);
    unsigned da, ma, db, mb;
    uint32_t host = host_masks(p, &da, &ma);
    host |= (uint32_t) host_masks(p + off, &db, &mb) << off;
    uint32_t dot = da | db << off, dash = ma | mb << off;
    unsigned win = off + 16;
    uint32_t stop = ~host & (uint32_t) ((1ull << win) - 1);
    if (!stop && win < avail) {
        return p;
    }
    unsigned n = stop ? (unsigned) __builtin_ctz(stop) : win;
    if (n == 0) {
        return NULL;
    }
    uint32_t keep = (uint32_t) ((1ull << n) - 1);
    dot &= keep;
    dash &= keep;
    uint32_t bad = (dot & (dot << 1 | dash << 1)) | (dash & dot << 1);
    bad |= (dot | dash) & 1;
    bad |= (dash >> (n - 1)) & 1;
    return bad ? NULL : p + n;
}

/*
 * Digit and dot masks of the 16 bytes at p (bit i is p[i]); *gone marks
 * the bits at or past end. False when [lo, end) is shorter than a block.
 */
static inline bool
sip__scan_digits(const char *lo, const char *p, const char *end, unsigned *dig,
    unsigned *dot, unsigned *gone)
{
    size_t avail = (size_t) (end - p);
    unsigned shift = 0;
    __m128i v;
    *gone = 0;
    if (avail >= 16) {
        v = scan_load(p);
    } else if (end - lo >= 16) {
        v = scan_tail(p, end, &shift);
        *gone = 0xffffu << avail & 0xffff;
    } else {
        return false;
    }
    *dig = scan_range(v, '0', '9') >> shift;
    *dot = scan_mask(v, '.') >> shift;
    return true;
}
#else
static inline const char *
sip__scan_colon(const char *lo, const char *p, const char *end)
{
    (void) lo;
    return sip__scan_colon_bytes(p, end);
}

static inline const char *
sip__scan_eol(const char *lo, const char *p, const char *end)
{
    (void) lo;
    return sip__scan_eol_bytes(p, end, NULL);
}

static inline const char *
sip__scan_eol_comma(const char *lo, const char *p, const char *end, bool *comma)
{
    (void) lo;
    return sip__scan_eol_bytes(p, end, comma);
}

static inline const char *
sip__scan_char(const char *lo, const char *p, const char *end, char c)
{
    (void) lo;
    return sip__scan_char_bytes(p, end, c);
}

/* No block scan here: the callers' byte loops take the whole run. */
static inline const char *
sip__skip_alnum(const char *lo, const char *p, const char *end)
{
    (void) lo;
    (void) end;
    return p;
}
#endif

#endif
