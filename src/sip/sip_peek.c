#include "sip/sip_peek.h"

#include <string.h>

#include "sip/sip_int.h"
#include "sip/sip_scan.h"

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Past "Via" or "v", any SP/HTAB and the colon at p (a header name, any
 * case), or NULL when the line holds another header. */
static const char *
via_colon(const char *p, const char *nl)
{
    const char *q = p + 1;

    if ((*p | 0x20) != 'v') {
        return NULL;
    }
    if (nl - p > 3 && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'a') {
        q = p + 3;
        if (!is_ws(*q) && *q != ':') {
            q = p + 1; /* "Via" is a prefix of another name */
        }
    }
    while (q < nl && is_ws(*q)) {
        q++;
    }
    return q < nl && *q == ':' ? q + 1 : NULL;
}

bool
sip_peek_top_via(struct slice in, struct slice *via)
{
    const char *lo = in.p, *p = in.p, *end = in.p + in.len;

    /* §7.5: CRLFs before the start line do not count, as in the parser. */
    while (p < end && (*p == '\r' || *p == '\n')) {
        p++;
    }
    const char *nl = p < end ? sip__scan_eol(lo, p, end) : NULL;

    if (!nl) {
        return false;
    }
    for (p = nl + 1; p < end; p = nl + 1) {
        /* The blank line, or a continuation where a header should start:
         * neither is for a shortcut. */
        if (*p == '\r' || *p == '\n' || is_ws(*p)) {
            return false;
        }
        nl = sip__scan_eol(lo, p, end);
        if (!nl || nl + 1 >= end || is_ws(nl[1])) {
            return false; /* unterminated, or folded onto the next line */
        }
        const char *v = via_colon(p, nl);
        if (!v) {
            continue;
        }
        /* The parser's trim: SP, HTAB and CR on both sides. */
        const char *e = nl;
        while (v < e && sip__is(*v, C_WS)) {
            v++;
        }
        while (e > v && sip__is(e[-1], C_WS)) {
            e--;
        }
        /* Several values on the line: the parser's list split decides. */
        if (v == e || memchr(v, ',', (size_t) (e - v))) {
            return false;
        }
        *via = slice_make(v, (size_t) (e - v));
        return true;
    }
    return false;
}
