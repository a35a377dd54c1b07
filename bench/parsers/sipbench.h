/*
 * sipbench.h - the contract between the benchmark driver (driver.c) and one
 * parser column (parse_<name>.c).
 *
 * A column is one C file that implements the six functions declared at the
 * bottom of this header and is linked with driver.o (see Makefile).  The
 * driver owns the corpus, the timing, the verification output and the
 * allocation counting; the column only turns bytes into a struct sb_fields.
 *
 * Rules a column must follow (so the columns stay comparable):
 *
 *  - sb_parse_one() does the library's full parse of one message AND fills
 *    every field below from the library's structured representation.  If the
 *    library is lazy (parses a header only when asked), the column asks for
 *    every header needed here, so that all columns do the same work.
 *  - Strings are views (pointer + length).  They may point into the input
 *    buffer (zero-copy parsers) or into memory owned by the library's parsed
 *    message; they must stay valid until sb_release() is called on the same
 *    struct.  A column must not copy into malloc'ed memory just to build a
 *    view; a small static scratch buffer is acceptable when the library
 *    splits a value the contract wants whole (see parse_osip.c, Call-ID).
 *  - The input buffer is read-only (the driver maps it PROT_READ): a library
 *    that parses in place must copy first, and that copy is part of its cost.
 *    The byte after the message is not guaranteed to be NUL.
 *  - sb_release() frees everything sb_parse_one() allocated.  The driver
 *    calls it after it has read the fields, before the next parse, and the
 *    time it takes is counted.
 *  - Absent values are { NULL, 0 } (or 0 for numbers).  Values are raw as on
 *    the wire (no unescaping, no case folding), without surrounding
 *    whitespace.
 */
#ifndef SIPBENCH_H
#define SIPBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const char *p;
    size_t len;
} sb_str;

#define SB_MAX_CONTACTS 8

struct sb_fields {
    int is_request;      /* 1 request, 0 response */
    sb_str method;       /* request method; empty for responses */
    int status;          /* response status code; 0 for requests */
    sb_str ruri_user;    /* Request-URI user part (requests only) */
    sb_str ruri_host;    /* Request-URI host (requests only) */
    sb_str from_user;    /* From URI user part */
    sb_str from_host;    /* From URI host */
    sb_str from_tag;     /* From ;tag= value */
    sb_str to_user;      /* To URI user part */
    sb_str to_host;      /* To URI host */
    sb_str to_tag;       /* To ;tag= value (empty if none) */
    sb_str via_branch;   /* top-most Via ;branch= value */
    uint32_t cseq_num;   /* CSeq sequence number, as a number */
    sb_str cseq_method;  /* CSeq method */
    sb_str call_id;      /* whole Call-ID value */
    unsigned n_contacts; /* number of Contact entries (all header lines,
                            comma-separated entries counted one by one) */
    sb_str contact_user[SB_MAX_CONTACTS]; /* each Contact URI user */
    sb_str contact_host[SB_MAX_CONTACTS]; /* each Contact URI host */
    sb_str identity; /* raw value of the (first) Identity header */
    size_t body_len; /* message body length in bytes */

    void *priv; /* the column's own handle (parsed message);
                   the driver never looks at it */
};

/* X-macro over every string field, so the driver can consume, print and
 * hash them without forgetting one. */
/* clang-format off */
#define SB_STR_FIELDS(X) \
    X(method) X(ruri_user) X(ruri_host) X(from_user) X(from_host) \
    X(from_tag) X(to_user) X(to_host) X(to_tag) X(via_branch) \
    X(cseq_method) X(call_id) X(identity)
/* clang-format on */

/* ---- what a parser column implements --------------------------------- */

/* Short column name for tables, e.g. "re". */
const char *sb_parser_name(void);

/* Human readable library + version, e.g. "libre 1.1.0 (Debian 1.1.0-1+b2)". */
const char *sb_parser_version(void);

/* One-time global setup, outside any timing.  0 on success. */
int sb_parser_init(void);

/* Parse buf[0..len) and fill *out (the driver zeroes *out first).
 * Returns 0 on success, non-zero if the library rejected the message. */
int sb_parse_one(const char *buf, size_t len, struct sb_fields *out);

/* Free whatever sb_parse_one() allocated for *out (out->priv). */
void sb_release(struct sb_fields *out);

/* One-time global teardown. */
void sb_parser_fini(void);

/* ---- helpers for columns ---------------------------------------------- */

static inline sb_str
sb_cstr(const char *s)
{
    sb_str r;
    r.len = s ? strlen(s) : 0;
    r.p = r.len ? s : NULL;
    return r;
}

static inline sb_str
sb_view(const char *p, size_t len)
{
    sb_str r;
    r.p = len ? p : NULL;
    r.len = len;
    return r;
}

#endif /* SIPBENCH_H */
