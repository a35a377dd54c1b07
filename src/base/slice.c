#include "base/slice.h"

#include <errno.h>
#include <string.h>

bool
slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline unsigned char
lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char) (c | 0x20) : c;
}

bool
slice_caseeq(struct slice a, struct slice b)
{
    size_t i = 0;

    if (a.len != b.len) {
        return false;
    }
    /* Most names compared are spelt alike: skip equal words eight bytes at
     * a time, and fold case only where the bytes differ. */
    for (; i + 8 <= a.len; i += 8) {
        uint64_t x, y;
        memcpy(&x, a.p + i, 8);
        memcpy(&y, b.p + i, 8);
        if (x != y) {
            break;
        }
    }
    for (; i < a.len; i++) {
        unsigned char x = (unsigned char) a.p[i], y = (unsigned char) b.p[i];
        if (x != y && lower(x) != lower(y)) {
            return false;
        }
    }
    return true;
}

bool
slice_caseprefix(struct slice s, struct slice prefix)
{
    return s.len >= prefix.len
        && slice_caseeq(slice_make(s.p, prefix.len), prefix);
}

static inline bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct slice
slice_trim(struct slice s)
{
    while (s.len && is_ws(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_ws(s.p[s.len - 1])) {
        s.len--;
    }
    return s;
}

struct slice
slice_sub(struct slice s, size_t from, size_t len)
{
    if (from > s.len) {
        from = s.len;
    }
    if (len > s.len - from) {
        len = s.len - from;
    }
    return slice_make(s.p + from, len);
}

ptrdiff_t
slice_chr(struct slice s, char c)
{
    const char *q = s.len ? memchr(s.p, c, s.len) : NULL;
    return q ? q - s.p : -1;
}

int
slice_to_u64(struct slice s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s.len == 0) {
        return -EINVAL;
    }
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned char) s.p[i] - '0';
        if (d > 9) {
            return -EINVAL;
        }
        if (v > (max - d) / 10) {
            return -ERANGE;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int
slice_to_u32(struct slice s, uint32_t max, uint32_t *out)
{
    uint64_t v;
    int err = slice_to_u64(s, max, &v);

    if (err == 0) {
        *out = (uint32_t) v;
    }
    return err;
}

int
slice_copy(char *dst, size_t size, struct slice s)
{
    if (size == 0) {
        return -ENOSPC;
    }
    if (s.len >= size) {
        dst[0] = '\0';
        return -ENOSPC;
    }
    if (s.len) {
        memcpy(dst, s.p, s.len);
    }
    dst[s.len] = '\0';
    return 0;
}

size_t
slice_utf8_prefix(struct slice s)
{
    const unsigned char *p = (const unsigned char *) s.p;
    size_t i = 0;

    while (i < s.len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c == 0) {
            return i;
        }
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= s.len || (p[i + k] & 0xc0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800)
            || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))
            || (cp >= 0xd800 && cp <= 0xdfff)) {
            return i;
        }
        i += n + 1;
    }
    return i;
}
