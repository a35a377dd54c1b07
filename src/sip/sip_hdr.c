/* Header value parsers (RFC 3261 §20, §25.1 and extensions). */
#include "sip/sip_hdr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sip_int.h"
#include "sip/sip_msg.h"
#include "sip/sip_scan.h"

/*
 * Next generic-param "; name [= value]" (§25.1: SEMI, EQUAL allow LWS).
 * Returns 1 with name/value (value keeps quotes), 0 at the end, or an
 * error: bad when the syntax is wrong, SIP_E_UNBALANCED_QUOTES. *tok tells
 * whether the value is a non-empty token, so that branch and tag need no
 * second scan.
 */
static inline __attribute__((always_inline)) int
gparam_next(const char *lo, const char **pp, const char *end,
    struct slice *name, struct slice *value, bool *tok, int bad)
{
    /* LWS around ';' and '=' is rare: each skip is tried only where a
     * byte of it (all at most ' ') stands. */
    const char *p = sip__skip_lws(*pp, end);
    if (p >= end) {
        *pp = end;
        return 0;
    }
    if (*p != ';') {
        return bad;
    }
    p = sip__skip_lws(p + 1, end);
    const char *n = p;
    p = sip__skip(p, end, C_TOKEN);
    if (p == n) {
        return bad;
    }
    *name = (struct slice){ n, (size_t) (p - n) };
    *value = (struct slice){ p, 0 };
    *tok = false;
    const char *q = sip__skip_lws(p, end);
    if (q < end && *q == '=') {
        q = sip__skip_lws(q + 1, end);
        const char *v = q;
        if (q < end && *q == '"') {
            q = sip__quoted_end(q, end);
            if (!q) {
                return SIP_E_UNBALANCED_QUOTES;
            }
        } else {
            /* gen-value = token / host / quoted-string: IPv6 references
             * add ':' '[' ']'. */
            /* A token is a gen-value without ':', '[' or ']'. Long values
             * (branches) mostly start with a run of alphanumerics, '.'
             * and '-', which are token bytes. */
            const char *t = sip__skip_alnum(lo, q, end);
            t = sip__skip(t, end, C_TOKEN);
            q = sip__skip(t, end, C_GENVAL);
            if (q == v) {
                return bad;
            }
            *tok = t == q;
        }
        *value = (struct slice){ v, (size_t) (q - v) };
        p = q;
    }
    *pp = p;
    return 1;
}

/*
 * The usual first parameter, ";name=token", read at once: name the
 * lowercase lit of n bytes (any case matches). Returns the value and
 * leaves *pp past it, where gparam_next() goes on; or a NULL slice for any
 * other shape, which gparam_next() then reads from the start. For this
 * shape it would find the same name, value and token (a token is a
 * gen-value that ':', '[' or ']' do not continue).
 */
static inline struct slice
first_param(
    const char *lo, const char **pp, const char *end, const char *lit, size_t n)
{
    const char *p = *pp;
    if ((size_t) (end - p) > n + 2 && p[0] == ';' && p[n + 1] == '='
        && sip__lit_eq((struct slice){ p + 1, n }, lit, n)) {
        const char *v = p + n + 2;
        const char *q = sip__skip(sip__skip_alnum(lo, v, end), end, C_TOKEN);
        if (q > v && (q == end || !sip__is(*q, C_GENVAL))) {
            *pp = q;
            return (struct slice){ v, (size_t) (q - v) };
        }
    }
    return SLICE_NULL;
}

#define FIRST_PARAM(lo, pp, end, lit)                                          \
    first_param((lo), (pp), (end), (lit), sizeof(lit) - 1)

static struct slice
unquote(struct slice v)
{
    if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
        return (struct slice){ v.p + 1, v.len - 2 };
    }
    return v;
}

static int
digits_u64(struct slice v, uint64_t cap, uint64_t *out)
{
    uint64_t n = 0;
    if (v.len == 0) {
        return -EINVAL;
    }
    for (size_t i = 0; i < v.len; i++) {
        if (!sip__is(v.p[i], C_DIGIT)) {
            return -EINVAL;
        }
        n = n * 10 + (uint64_t) (v.p[i] - '0');
        if (n > cap) {
            n = cap + 1; /* saturate, keep scanning for syntax */
        }
    }
    *out = n;
    return 0;
}

int
sip_addr_parse(struct sip_addr *a, struct slice value)
{
    value = sip__nn(value);
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_NAME_ADDR;

    /* a->uri is cleared by sip_uri_parse. */
    a->display = a->uri_s = a->params = a->tag = SLICE_NULL;
    a->angle = false;
    p = sip__skip_lws(p, end);
    while (end > p && sip__is(end[-1], C_WS)) {
        end--;
    }
    if (p == end) {
        goto out;
    }
    const char *s = p;
    if (*p == '"') {
        const char *q = sip__quoted_end(p, end);
        if (!q) {
            err = SIP_E_UNBALANCED_QUOTES;
            goto out;
        }
        a->display = (struct slice){ p, (size_t) (q - p) };
        p = sip__skip_ws(q, end);
        if (p == end || *p != '<') {
            goto out;
        }
    } else if (*p == '<') {
        a->display = (struct slice){ p, 0 }; /* the usual: no display name */
    } else {
        /* display-name = *(token LWS): stop at '<' for name-addr. */
        p = sip__skip(p, end, C_TOKEN | C_WS);
        if (p < end && *p == '<') {
            const char *d = p;
            while (d > s && sip__is(d[-1], C_WS)) {
                d--;
            }
            a->display = (struct slice){ s, (size_t) (d - s) };
        } else {
            p = s;
        }
    }
    if (*p == '<') {
        const char *gt = sip__scan_char(value.p, p, end, '>');
        if (!gt) {
            err = SIP_E_UNBALANCED_ANGLE;
            goto out;
        }
        a->angle = true;
        a->uri_s = (struct slice){ p + 1, (size_t) (gt - p - 1) };
        p = gt + 1;
    } else {
        /* addr-spec: parameters after the URI belong to the header
         * (§20.10), so the URI stops at ';'. */
        const char *u = p;
        while (p < end && *p != ';' && !sip__is(*p, C_WS) && *p != '<'
            && *p != '>' && *p != '"') {
            p++;
        }
        a->uri_s = (struct slice){ u, (size_t) (p - u) };
    }
    err = sip_uri_parse(&a->uri, a->uri_s);
    if (err) {
        goto out;
    }
    /* §20.10: a URI with a comma, question mark or semicolon must be
     * enclosed in <> (RFC 4475 3.1.2.13). */
    if (!a->angle && memchr(a->uri_s.p, '?', a->uri_s.len)) {
        err = SIP_E_BAD_NAME_ADDR;
        goto out;
    }
    const char *ps = sip__skip_lws(p, end);
    a->params = (struct slice){ ps, (size_t) (end - ps) };
    a->tag = FIRST_PARAM(value.p, &p, end, "tag");
    struct slice n, v;
    bool tok;
    int rc;
    while ((rc = gparam_next(value.p, &p, end, &n, &v, &tok, SIP_E_BAD_PARAM))
        == 1) {
        if (n.len == 3 && SIP_LIT_EQ(n, "tag")) {
            if (!tok) {
                rc = SIP_E_BAD_PARAM;
                break;
            }
            a->tag = v;
        }
    }
    err = rc;
out:
    if (err && !a->uri_s.p) {
        memset(&a->uri, 0, sizeof(a->uri)); /* never parsed */
    }
    return err;
}

int
sip_display_unquote(char *dst, size_t size, struct slice d)
{
    size_t o = 0;
    if (size == 0) {
        return -ENOSPC;
    }
    bool quoted = d.len >= 2 && d.p[0] == '"' && d.p[d.len - 1] == '"';
    size_t i = quoted ? 1 : 0, n = quoted ? d.len - 1 : d.len;
    for (; i < n; i++) {
        char c = d.p[i];
        if (quoted && c == '\\' && i + 1 < n) {
            c = d.p[++i];
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

int
sip_via_parse(struct sip_via *v, struct slice value)
{
    value = sip__nn(value);
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_VIA;

    /* Field by field: cheaper than a memset of the whole struct. */
    v->proto = v->transport = v->host = v->params = v->branch = v->received =
        v->maddr = SLICE_NULL;
    v->host_type = 0;
    v->has_port = v->has_rport = false;
    v->port = 0;
    v->rport = -1;
    v->ttl = -1;
    /* sent-protocol = name SLASH version SLASH transport (SLASH allows
     * LWS, §25.1) */
    p = sip__skip_lws(p, end);
    const char *s = p;
    const char *t;
    if (end - p >= 9 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i'
        && (p[2] | 0x20) == 'p' && memcmp(p + 3, "/2.0/", 5) == 0) {
        /* The usual "SIP/2.0/" without LWS. */
        v->proto = (struct slice){ s, 7 };
        t = p + 8;
        goto transport;
    }
    p = sip__skip(p, end, C_TOKEN);
    if (p == s) {
        goto out;
    }
    p = sip__skip_ws(p, end);
    if (p == end || *p != '/') {
        goto out;
    }
    p = sip__skip_ws(p + 1, end);
    const char *ver = p;
    p = sip__skip(p, end, C_TOKEN);
    if (p == ver) {
        goto out;
    }
    v->proto = (struct slice){ s, (size_t) (p - s) };
    p = sip__skip_ws(p, end);
    if (p == end || *p != '/') {
        goto out;
    }
    t = sip__skip_ws(p + 1, end);
transport:
    p = sip__skip(t, end, C_TOKEN);
    if (p == t) {
        goto out;
    }
    v->transport = (struct slice){ t, (size_t) (p - t) };
    const char *h = sip__skip_ws(p, end);
    if (h == p) {
        goto out; /* LWS required before sent-by */
    }
    p = sip__host_port(
        value.p, h, end, &v->host, &v->host_type, &v->has_port, &v->port);
    if (!p) {
        goto out;
    }
    if (!v->has_port) {
        /* COLON = SWS ":" SWS */
        const char *q = sip__skip_lws(p, end);
        if (q < end && *q == ':') {
            q = sip__skip_ws(q + 1, end);
            const char *d = q;
            uint32_t port = 0;
            while (q < end && sip__is(*q, C_DIGIT) && port <= 65535) {
                port = port * 10 + (uint32_t) (*q - '0');
                q++;
            }
            if (q == d || port > 65535) {
                goto out;
            }
            v->has_port = true;
            v->port = (uint16_t) port;
            p = q;
        }
    }
    const char *ps = sip__skip_lws(p, end);
    v->params = (struct slice){ ps, (size_t) (end - ps) };
    v->branch = FIRST_PARAM(value.p, &p, end, "branch");
    struct slice n, val;
    bool tok;
    int rc;
    while ((rc = gparam_next(value.p, &p, end, &n, &val, &tok, SIP_E_BAD_VIA))
        == 1) {
        uint64_t num;
        if (SIP_LIT_EQ(n, "branch")) {
            if (!tok) {
                goto out;
            }
            v->branch = val;
        } else if (SIP_LIT_EQ(n, "received")) {
            /* IPv4 or IPv6 address; RFC 5118 §4.5 accepts brackets. */
            if (!sip__ipv4(val) && !sip__ipv6(val)) {
                char b[64];
                if (val.len + 2 >= sizeof(b)) {
                    goto out;
                }
                b[0] = '[';
                memcpy(b + 1, val.p, val.len);
                b[val.len + 1] = ']';
                if (!sip__ipv6((struct slice){ b, val.len + 2 })) {
                    goto out;
                }
            }
            v->received = val;
        } else if (SIP_LIT_EQ(n, "rport")) {
            v->has_rport = true;
            if (val.len) {
                if (digits_u64(val, 65535, &num) || num > 65535) {
                    goto out;
                }
                v->rport = (int32_t) num;
            }
        } else if (SIP_LIT_EQ(n, "maddr")) {
            struct slice host;
            uint8_t ht;
            bool hp;
            uint16_t port;
            const char *e = sip__host_port(
                val.p, val.p, val.p + val.len, &host, &ht, &hp, &port);
            if (!e || e != val.p + val.len || hp) {
                goto out;
            }
            v->maddr = val;
        } else if (SIP_LIT_EQ(n, "ttl")) {
            if (digits_u64(val, 255, &num) || num > 255) {
                goto out;
            }
            v->ttl = (int32_t) num;
        }
    }
    err = rc;
out:
    return err;
}

int
sip_cseq_parse(struct sip_cseq *c, struct slice value)
{
    value = sip__nn(value);
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_CSEQ;
    uint64_t n = 0;

    memset(c, 0, sizeof(*c));
    p = sip__skip_ws(p, end);
    const char *d = p;
    while (p < end && sip__is(*p, C_DIGIT)) {
        if (n <= 0xffffffffu) {
            n = n * 10 + (uint64_t) (*p - '0');
        }
        p++;
    }
    if (p == d) {
        goto out;
    }
    const char *m = sip__skip_ws(p, end);
    if (m == p) {
        goto out;
    }
    p = sip__skip(m, end, C_TOKEN);
    if (p == m || sip__skip_ws(p, end) != end) {
        goto out;
    }
    /* §8.1.1.5: the number MUST be less than 2^31. */
    if (n > 0x7fffffffu) {
        err = SIP_E_CSEQ_RANGE;
        goto out;
    }
    c->num = (uint32_t) n;
    c->method_name = (struct slice){ m, (size_t) (p - m) };
    c->method = (uint8_t) sip_method_lookup(c->method_name);
    err = 0;
out:
    return err;
}

int
sip_max_forwards_parse(uint32_t *out, struct slice value)
{
    value = sip__nn(value);
    uint64_t n;
    struct slice v = slice_trim(value);
    if (digits_u64(v, 255, &n) != 0) {
        return SIP_E_BAD_MAX_FORWARDS;
    }
    if (n > 255) {
        return SIP_E_MAX_FORWARDS_RANGE;
    }
    *out = (uint32_t) n;
    return 0;
}

int
sip_expires_parse(uint32_t *out, struct slice value)
{
    value = sip__nn(value);
    uint64_t n;
    struct slice v = slice_trim(value);
    if (digits_u64(v, 0xffffffffu, &n) != 0) {
        return SIP_E_BAD_EXPIRES;
    }
    /* Larger values mean 2^32-1 (§20.19 delta-seconds). */
    *out = n > 0xffffffffu ? 0xffffffffu : (uint32_t) n;
    return 0;
}

/* qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")]) as thousandths. */
static int
qvalue(struct slice v, int32_t *q)
{
    if (v.len == 0 || v.len > 5 || (v.p[0] != '0' && v.p[0] != '1')) {
        return -EINVAL;
    }
    int32_t r = (v.p[0] - '0') * 1000, scale = 100;
    if (v.len > 1) {
        if (v.p[1] != '.') {
            return -EINVAL;
        }
        for (size_t i = 2; i < v.len; i++) {
            if (!sip__is(v.p[i], C_DIGIT)) {
                return -EINVAL;
            }
            r += (v.p[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (r > 1000) {
        return -EINVAL;
    }
    *q = r;
    return 0;
}

int
sip_contact_parse(struct sip_contact *c, struct slice value)
{
    value = sip__nn(value);
    int err = SIP_E_BAD_CONTACT;
    struct slice v = slice_trim(value);

    /* sip_addr_parse() sets every field of c->addr. */
    c->star = false;
    c->q = -1;
    c->expires = -1;
    c->instance = SLICE_NULL;
    c->reg_id = -1;
    if (v.len == 1 && v.p[0] == '*') {
        memset(&c->addr, 0, sizeof(c->addr));
        c->star = true;
        err = 0;
        goto out;
    }
    if (sip_addr_parse(&c->addr, v) != 0) {
        goto out;
    }
    const char *p = c->addr.params.p, *end = p + c->addr.params.len;
    struct slice n, val;
    bool tok;
    int rc;
    while (
        (rc = gparam_next(value.p, &p, end, &n, &val, &tok, SIP_E_BAD_CONTACT))
        == 1) {
        uint64_t num;
        if (SIP_LIT_EQ(n, "q")) {
            if (qvalue(val, &c->q) != 0) {
                goto out;
            }
        } else if (SIP_LIT_EQ(n, "expires")) {
            if (digits_u64(val, 0xffffffffu, &num) != 0) {
                goto out;
            }
            c->expires = num > 0xffffffffu ? 0xffffffff : (int64_t) num;
        } else if (SIP_LIT_EQ(n, "+sip.instance")) {
            struct slice in = unquote(val);
            if (in.len == val.len || in.len < 2 || in.p[0] != '<'
                || in.p[in.len - 1] != '>') {
                goto out;
            }
            c->instance = (struct slice){ in.p + 1, in.len - 2 };
        } else if (SIP_LIT_EQ(n, "reg-id")) {
            if (digits_u64(val, 0x7fffffff, &num) != 0 || num == 0
                || num > 0x7fffffff) {
                goto out;
            }
            c->reg_id = (int32_t) num;
        }
    }
    err = rc ? SIP_E_BAD_CONTACT : 0;
out:
    return err;
}

int
sip_token_parse(struct slice *tok, struct slice value)
{
    value = sip__nn(value);
    struct slice t = slice_trim(value);
    if (!sip__is_token(t)) {
        return SIP_E_BAD_TOKEN;
    }
    *tok = t;
    return 0;
}

bool
sip_msg_has_token(const struct sip_msg *m, int id, struct slice tok)
{
    if (id <= 0 || id >= SIP_HDR_COUNT) {
        return false;
    }
    for (const struct sip_hdr *h = sip_msg_hdr(m, (enum sip_hdr_id) id); h;
         h = sip_msg_hdr_next(m, h)) {
        if (slice_caseeq(slice_trim(h->value), tok)) {
            return true;
        }
    }
    return false;
}

int
sip_list_next(struct slice *rest, struct slice *item)
{
    *rest = sip__nn(*rest);
    const char *p = rest->p, *end = rest->p + rest->len;

    for (;;) {
        p = sip__skip_ws(p, end);
        if (p >= end) {
            *rest = (struct slice){ end, 0 };
            return 0;
        }
        const char *s = p;
        int depth = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                p = sip__quoted_end(p, end);
                if (!p) {
                    return SIP_E_UNBALANCED_QUOTES;
                }
                continue;
            }
            if (c == '<') {
                const char *q = memchr(p, '>', (size_t) (end - p));
                if (!q) {
                    return SIP_E_UNBALANCED_ANGLE;
                }
                p = q + 1;
                continue;
            }
            if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (c == ',' && depth == 0) {
                break;
            }
            p++;
        }
        const char *e = p;
        while (e > s && sip__is(e[-1], C_WS)) {
            e--;
        }
        if (p < end) {
            p++; /* the comma */
        }
        if (e > s) {
            *item = (struct slice){ s, (size_t) (e - s) };
            *rest = (struct slice){ p, (size_t) (end - p) };
            return 1;
        }
    }
}

static const char wkdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned) -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

static bool
num2(const char *p, unsigned *v)
{
    if (!sip__is(p[0], C_DIGIT) || !sip__is(p[1], C_DIGIT)) {
        return false;
    }
    *v = (unsigned) ((p[0] - '0') * 10 + (p[1] - '0'));
    return true;
}

int
sip_date_parse(time_t *out, struct slice value)
{
    value = sip__nn(value);
    /* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (§20.17):
     * "Sat, 13 Nov 2010 23:29:00 GMT", exactly 29 octets. */
    struct slice v = slice_trim(value);
    const char *p = v.p;
    unsigned day, mon = 12, hh, mm, ss, y1, y2;
    int err = SIP_E_BAD_DATE;

    if (v.len != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' '
        || p[16] != ' ' || p[19] != ':' || p[22] != ':' || p[25] != ' '
        || memcmp(p + 26, "GMT", 3) != 0) {
        goto out;
    }
    bool wk = false;
    for (int i = 0; i < 7; i++) {
        wk |= memcmp(p, wkdays[i], 3) == 0;
    }
    for (unsigned i = 0; i < 12; i++) {
        if (memcmp(p + 8, months[i], 3) == 0) {
            mon = i;
        }
    }
    if (!wk || mon == 12 || !num2(p + 5, &day) || !num2(p + 12, &y1)
        || !num2(p + 14, &y2) || !num2(p + 17, &hh) || !num2(p + 20, &mm)
        || !num2(p + 23, &ss)) {
        goto out;
    }
    static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
        30, 31 };
    unsigned year = y1 * 100 + y2;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day < 1 || day > mdays[mon] || (mon == 1 && day == 29 && !leap)
        || hh > 23 || mm > 59 || ss > 60 || year < 1970) {
        goto out;
    }
    int64_t t = days_from_civil(year, mon + 1, day) * 86400
        + (int64_t) (hh * 3600 + mm * 60 + ss);
    *out = (time_t) t;
    err = 0;
out:
    return err;
}

size_t
sip_date_format(char *dst, size_t size, time_t t)
{
    struct tm tm;
    if (size < 30 || !gmtime_r(&t, &tm)) {
        if (size) {
            dst[0] = '\0';
        }
        return 0;
    }
    int n = snprintf(dst, size, "%s, %02d %s %04d %02d:%02d:%02d GMT",
        wkdays[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
        tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return (n > 0 && (size_t) n < size) ? (size_t) n : 0;
}

/* auth-param = token EQUAL (token / quoted-string), comma-separated. */
static int
auth_param(
    const char **pp, const char *end, struct slice *name, struct slice *value)
{
    const char *p = sip__skip_ws(*pp, end);
    if (p < end && *p == ',') {
        p = sip__skip_ws(p + 1, end);
    }
    if (p >= end) {
        *pp = end;
        return 0;
    }
    const char *n = p;
    p = sip__skip(p, end, C_TOKEN);
    if (p == n) {
        return SIP_E_BAD_AUTH;
    }
    *name = (struct slice){ n, (size_t) (p - n) };
    p = sip__skip_ws(p, end);
    if (p == end || *p != '=') {
        return SIP_E_BAD_AUTH;
    }
    p = sip__skip_ws(p + 1, end);
    if (p < end && *p == '"') {
        const char *q = sip__quoted_end(p, end);
        if (!q) {
            return SIP_E_UNBALANCED_QUOTES;
        }
        *value = (struct slice){ p + 1, (size_t) (q - p - 2) };
        p = q;
    } else {
        const char *v = p;
        p = sip__skip(p, end, C_TOKEN);
        if (p == v) {
            return SIP_E_BAD_AUTH;
        }
        *value = (struct slice){ v, (size_t) (p - v) };
    }
    p = sip__skip_ws(p, end);
    if (p < end && *p != ',') {
        return SIP_E_BAD_AUTH;
    }
    *pp = p;
    return 1;
}

bool
sip_auth_param_next(struct slice *rest, struct slice *name, struct slice *value)
{
    *rest = sip__nn(*rest);
    const char *p = rest->p, *end = rest->p + rest->len;
    if (auth_param(&p, end, name, value) != 1) {
        *rest = (struct slice){ end, 0 };
        return false;
    }
    *rest = (struct slice){ p, (size_t) (end - p) };
    return true;
}

int
sip_auth_parse(struct sip_auth *a, struct slice value)
{
    value = sip__nn(value);
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_AUTH;

    memset(a, 0, sizeof(*a));
    p = sip__skip_ws(p, end);
    const char *s = p;
    p = sip__skip(p, end, C_TOKEN);
    if (p == s) {
        goto out;
    }
    a->scheme = (struct slice){ s, (size_t) (p - s) };
    const char *q = sip__skip_ws(p, end);
    if (q == p && q < end) {
        goto out;
    }
    p = q;
    a->params = (struct slice){ p, (size_t) (end - p) };
    static const struct {
        const char *name;
        size_t off;
    } known[] = {
        { "username", offsetof(struct sip_auth, username) },
        { "realm", offsetof(struct sip_auth, realm) },
        { "nonce", offsetof(struct sip_auth, nonce) },
        { "uri", offsetof(struct sip_auth, uri) },
        { "response", offsetof(struct sip_auth, response) },
        { "algorithm", offsetof(struct sip_auth, algorithm) },
        { "cnonce", offsetof(struct sip_auth, cnonce) },
        { "opaque", offsetof(struct sip_auth, opaque) },
        { "qop", offsetof(struct sip_auth, qop) },
        { "nc", offsetof(struct sip_auth, nc) },
        { "domain", offsetof(struct sip_auth, domain) },
        { "stale", offsetof(struct sip_auth, stale) },
    };
    struct slice n, v;
    int rc;
    while ((rc = auth_param(&p, end, &n, &v)) == 1) {
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            if (slice_caseeq(n, slice_cstr(known[i].name))) {
                *(struct slice *) ((char *) a + known[i].off) = v;
                break;
            }
        }
        if (SIP_LIT_EQ(n, "userhash")) {
            a->userhash = SIP_LIT_EQ(v, "true");
        }
    }
    err = rc;
out:
    return err;
}

int
sip_reason_parse(struct sip_reason *r, struct slice value)
{
    value = sip__nn(value);
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_REASON;

    memset(r, 0, sizeof(*r));
    r->cause = -1;
    p = sip__skip_ws(p, end);
    const char *s = p;
    p = sip__skip(p, end, C_TOKEN);
    if (p == s) {
        goto out;
    }
    r->protocol = (struct slice){ s, (size_t) (p - s) };
    const char *ps = sip__skip_ws(p, end);
    r->params = (struct slice){ ps, (size_t) (end - ps) };
    struct slice n, v;
    bool tok;
    int rc;
    while ((rc = gparam_next(value.p, &p, end, &n, &v, &tok, SIP_E_BAD_REASON))
        == 1) {
        if (SIP_LIT_EQ(n, "cause")) {
            uint64_t c;
            if (digits_u64(v, 0x7fffffff, &c) != 0 || c > 0x7fffffff) {
                goto out;
            }
            r->cause = (int32_t) c;
        } else if (SIP_LIT_EQ(n, "text")) {
            struct slice t = unquote(v);
            if (t.len == v.len) {
                goto out;
            }
            r->text = t;
        }
    }
    err = rc;
out:
    return err;
}

int
sip_warning_parse(struct sip_warning *w, struct slice value)
{
    value = sip__nn(value);
    /* warning-value = warn-code SP warn-agent SP warn-text (§20.43) */
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_WARNING;

    memset(w, 0, sizeof(*w));
    p = sip__skip_ws(p, end);
    if (end - p < 4 || !sip__is(p[0], C_DIGIT) || !sip__is(p[1], C_DIGIT)
        || !sip__is(p[2], C_DIGIT) || p[3] != ' ') {
        goto out;
    }
    w->code =
        (uint16_t) ((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    p += 4;
    const char *a = p;
    while (p < end && !sip__is(*p, C_WS)) {
        p++;
    }
    if (p == a) {
        goto out;
    }
    w->agent = (struct slice){ a, (size_t) (p - a) };
    /* warn-agent = hostport / pseudonym */
    struct slice host;
    uint8_t ht;
    bool hp;
    uint16_t port;
    const char *e = sip__host_port(value.p, a, p, &host, &ht, &hp, &port);
    if ((!e || e != p) && !sip__is_token(w->agent)) {
        goto out;
    }
    if (p == end || *p != ' ') {
        goto out;
    }
    p++;
    if (p == end || *p != '"') {
        goto out;
    }
    const char *q = sip__quoted_end(p, end);
    if (!q) {
        err = SIP_E_UNBALANCED_QUOTES;
        goto out;
    }
    if (sip__skip_ws(q, end) != end) {
        goto out;
    }
    w->text = (struct slice){ p + 1, (size_t) (q - p - 2) };
    err = 0;
out:
    return err;
}

/* "<" absoluteURI ">" at p; returns the end or NULL. */
static const char *
angle_uri(const char *p, const char *end, struct slice *uri)
{
    if (p >= end || *p != '<') {
        return NULL;
    }
    const char *gt = memchr(p, '>', (size_t) (end - p));
    if (!gt) {
        return NULL;
    }
    struct sip_uri u;
    *uri = (struct slice){ p + 1, (size_t) (gt - p - 1) };
    if (sip_uri_parse(&u, *uri) != 0) {
        return NULL;
    }
    return gt + 1;
}

static bool
is_b64(char c)
{
    return sip__is(c, C_ALPHA | C_DIGIT) || c == '+' || c == '/' || c == '='
        || c == '-' || c == '_';
}

int
sip_identity_parse(struct sip_identity *id, struct slice value)
{
    value = sip__nn(value);
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_IDENTITY;

    memset(id, 0, sizeof(*id));
    p = sip__skip_ws(p, end);
    if (p < end && *p == '"') {
        /* RFC 4474 §9: signed-identity-digest = LDQUOT 32LHEX RDQUOT in the
         * ABNF, base64 in practice; folding may split it. */
        const char *q = sip__quoted_end(p, end);
        if (!q) {
            err = SIP_E_UNBALANCED_QUOTES;
            goto out;
        }
        for (const char *c = p + 1; c < q - 1; c++) {
            if (!is_b64(*c) && !sip__is(*c, C_WS)) {
                goto out;
            }
        }
        if (q - p < 3 || sip__skip_ws(q, end) != end) {
            goto out;
        }
        id->token = (struct slice){ p + 1, (size_t) (q - p - 2) };
        id->legacy = true;
        err = 0;
        goto out;
    }
    /* RFC 8224 §4.1: 1*(base64-char / ".") SEMI ident-info *(SEMI ...) */
    const char *s = p;
    while (p < end && (is_b64(*p) || *p == '.')) {
        p++;
    }
    if (p == s) {
        goto out;
    }
    id->token = (struct slice){ s, (size_t) (p - s) };
    const char *ps = sip__skip_ws(p, end);
    id->params = (struct slice){ ps, (size_t) (end - ps) };
    while (p < end) {
        p = sip__skip_ws(p, end);
        if (p == end) {
            break;
        }
        if (*p != ';') {
            goto out;
        }
        p = sip__skip_ws(p + 1, end);
        const char *n = p;
        p = sip__skip(p, end, C_TOKEN);
        struct slice name = { n, (size_t) (p - n) };
        if (!name.len) {
            goto out;
        }
        p = sip__skip_ws(p, end);
        if (p == end || *p != '=') {
            goto out;
        }
        p = sip__skip_ws(p + 1, end);
        if (SIP_LIT_EQ(name, "info")) {
            p = angle_uri(p, end, &id->info);
            if (!p) {
                goto out;
            }
            continue;
        }
        const char *v = p;
        if (p < end && *p == '"') {
            p = sip__quoted_end(p, end);
            if (!p) {
                err = SIP_E_UNBALANCED_QUOTES;
                goto out;
            }
        } else {
            p = sip__skip(p, end, C_TOKEN);
        }
        struct slice val = { v, (size_t) (p - v) };
        if (!val.len) {
            goto out;
        }
        if (SIP_LIT_EQ(name, "alg")) {
            id->alg = val;
        } else if (SIP_LIT_EQ(name, "ppt")) {
            id->ppt = unquote(val);
        }
    }
    err = id->info.len ? 0 : SIP_E_BAD_IDENTITY;
out:
    return err;
}

int
sip_identity_info_parse(struct sip_identity_info *ii, struct slice value)
{
    value = sip__nn(value);
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_IDENTITY_INFO;

    memset(ii, 0, sizeof(*ii));
    p = angle_uri(sip__skip_ws(p, end), end, &ii->uri);
    if (!p) {
        goto out;
    }
    const char *ps = sip__skip_ws(p, end);
    ii->params = (struct slice){ ps, (size_t) (end - ps) };
    struct slice n, v;
    bool tok;
    int rc;
    while ((rc = gparam_next(
                value.p, &p, end, &n, &v, &tok, SIP_E_BAD_IDENTITY_INFO))
        == 1) {
        if (SIP_LIT_EQ(n, "alg")) {
            if (!tok) {
                goto out;
            }
            ii->alg = v;
        }
    }
    err = rc;
out:
    return err;
}

static int
check_all(const struct sip_msg *m, enum sip_hdr_id id, int bad)
{
    int err = 0;
    for (const struct sip_hdr *h = sip_msg_hdr(m, id); h && !err;
         h = sip_msg_hdr_next(m, h)) {
        union {
            struct sip_via v;
            struct sip_contact c;
            struct sip_addr a;
            struct sip_auth au;
            struct sip_reason r;
            struct sip_warning w;
            struct sip_identity_info ii;
        } u;
        struct slice tok;
        uint32_t n;
        time_t t;
        switch (id) {
        case SIP_HDR_VIA:
            err = sip_via_parse(&u.v, h->value);
            break;
        case SIP_HDR_CONTACT:
            err = sip_contact_parse(&u.c, h->value);
            break;
        case SIP_HDR_DATE:
            err = sip_date_parse(&t, h->value);
            break;
        case SIP_HDR_EXPIRES:
        case SIP_HDR_MIN_EXPIRES:
            err = sip_expires_parse(&n, h->value);
            break;
        case SIP_HDR_AUTHORIZATION:
        case SIP_HDR_PROXY_AUTHORIZATION:
        case SIP_HDR_WWW_AUTHENTICATE:
        case SIP_HDR_PROXY_AUTHENTICATE:
            err = sip_auth_parse(&u.au, h->value);
            break;
        case SIP_HDR_REASON:
            err = sip_reason_parse(&u.r, h->value);
            break;
        case SIP_HDR_WARNING:
            err = sip_warning_parse(&u.w, h->value);
            break;
        case SIP_HDR_IDENTITY_INFO:
            err = sip_identity_info_parse(&u.ii, h->value);
            break;
        case SIP_HDR_REQUIRE:
        case SIP_HDR_PROXY_REQUIRE:
        case SIP_HDR_SUPPORTED:
        case SIP_HDR_UNSUPPORTED:
        case SIP_HDR_ALLOW:
            /* "Supported:" may be empty (§20.37). */
            err = h->value.len ? sip_token_parse(&tok, h->value) : 0;
            break;
        default:
            err = sip_addr_parse(&u.a, h->value);
            break;
        }
        if (err) {
            err = bad;
        }
    }
    return err;
}

int
sip_msg_validate(const struct sip_msg *m)
{
    /* Identity is left to the STIR layer: a bad one is a 438, not a 400
     * (RFC 8224 §6.2.2). */
    static const struct {
        uint8_t id;
        int err;
    } checks[] = {
        { SIP_HDR_VIA, SIP_E_BAD_VIA },
        { SIP_HDR_CONTACT, SIP_E_BAD_CONTACT },
        { SIP_HDR_ROUTE, SIP_E_BAD_NAME_ADDR },
        { SIP_HDR_RECORD_ROUTE, SIP_E_BAD_NAME_ADDR },
        { SIP_HDR_P_ASSERTED_IDENTITY, SIP_E_BAD_NAME_ADDR },
        { SIP_HDR_P_PREFERRED_IDENTITY, SIP_E_BAD_NAME_ADDR },
        { SIP_HDR_PATH, SIP_E_BAD_NAME_ADDR },
        { SIP_HDR_EXPIRES, SIP_E_BAD_EXPIRES },
        { SIP_HDR_MIN_EXPIRES, SIP_E_BAD_EXPIRES },
        { SIP_HDR_DATE, SIP_E_BAD_DATE },
        { SIP_HDR_REQUIRE, SIP_E_BAD_TOKEN },
        { SIP_HDR_PROXY_REQUIRE, SIP_E_BAD_TOKEN },
        { SIP_HDR_SUPPORTED, SIP_E_BAD_TOKEN },
        { SIP_HDR_UNSUPPORTED, SIP_E_BAD_TOKEN },
        { SIP_HDR_ALLOW, SIP_E_BAD_TOKEN },
        { SIP_HDR_AUTHORIZATION, SIP_E_BAD_AUTH },
        { SIP_HDR_PROXY_AUTHORIZATION, SIP_E_BAD_AUTH },
        { SIP_HDR_WWW_AUTHENTICATE, SIP_E_BAD_AUTH },
        { SIP_HDR_PROXY_AUTHENTICATE, SIP_E_BAD_AUTH },
        { SIP_HDR_REASON, SIP_E_BAD_REASON },
        { SIP_HDR_WARNING, SIP_E_BAD_WARNING },
        { SIP_HDR_IDENTITY_INFO, SIP_E_BAD_IDENTITY_INFO },
    };
    int err = 0;
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]) && !err; i++) {
        err = check_all(m, (enum sip_hdr_id) checks[i].id, checks[i].err);
    }
    return err;
}
