/* Slices: a pointer and a length into a buffer someone else owns. */
#ifndef SW_BASE_SLICE_H
#define SW_BASE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct slice {
    const char *p; /* never NUL-terminated */
    size_t len;
};

#define SLICE_LIT(s) ((struct slice){ (s), sizeof(s) - 1 })
#define SLICE_NULL   ((struct slice){ NULL, 0 })
#define SLICE_FMT    "%.*s"
#define SLICE_ARG(s) (int) (s).len, (s).p

static inline struct slice
slice_make(const char *p, size_t len)
{
    return (struct slice){ p, len };
}

/** Slice of a NUL-terminated string (NULL gives the empty slice). Inline:
 * on a literal the length is known at compile time. */
static inline struct slice
slice_cstr(const char *s)
{
    return s ? (struct slice){ s, strlen(s) } : SLICE_NULL;
}

static inline bool
slice_empty(struct slice s)
{
    return s.len == 0;
}

/** Exact byte equality. */
bool slice_eq(struct slice a, struct slice b);
/** ASCII case-insensitive equality. */
bool slice_caseeq(struct slice a, struct slice b);
/** ASCII case-insensitive prefix test. */
bool slice_caseprefix(struct slice s, struct slice prefix);
/** Strips SP, HTAB, CR and LF from both ends. */
struct slice slice_trim(struct slice s);
/** Sub-slice [from, from + len), clamped to s. */
struct slice slice_sub(struct slice s, size_t from, size_t len);
/** First occurrence of c, or -1. */
ptrdiff_t slice_chr(struct slice s, char c);
/**
 * Decimal digits only, no sign, no spaces; 0 or -ERANGE on overflow of max,
 * -EINVAL when empty or not a number.
 */
int slice_to_u32(struct slice s, uint32_t max, uint32_t *out);
int slice_to_u64(struct slice s, uint64_t max, uint64_t *out);
/**
 * Copies into dst as a C string; returns -ENOSPC when it does not fit
 * (dst is then the empty string).
 */
int slice_copy(char *dst, size_t size, struct slice s);
/**
 * Length of the longest prefix of s that is well-formed UTF-8 (RFC 3629:
 * no overlong forms, no surrogates) without NUL; s.len when all of it is.
 */
size_t slice_utf8_prefix(struct slice s);

#endif
