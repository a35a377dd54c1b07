/* Header value parsers (RFC 3261 §20, §25.1 and extensions). */
#include "sip/sip_hdr.h"

#include <errno.h>
#include <string.h>

#include "sip/sip_int.h"
#include "sip/sip_msg.h"

/*
 * Next generic-param "; name [= value]" (§25.1: SEMI, EQUAL allow LWS).
 * Returns 1 with name/value (value keeps quotes), 0 at the end, or an
 * error: bad when the syntax is wrong, SIP_E_UNBALANCED_QUOTES.
 */
static int
gparam_next(const char **pp, const char *end, struct slice *name,
    struct slice *value, int bad)
{
    const char *p = sip__skip_ws(*pp, end);
    if (p >= end) {
        *pp = end;
        return 0;
    }
    if (*p != ';') {
        return bad;
    }
    p = sip__skip_ws(p + 1, end);
    const char *n = p;
    p = sip__skip(p, end, C_TOKEN);
    if (p == n) {
        return bad;
    }
    *name = (struct slice){ n, (size_t) (p - n) };
    *value = (struct slice){ p, 0 };
    const char *q = sip__skip_ws(p, end);
    if (q < end && *q == '=') {
        q = sip__skip_ws(q + 1, end);
        const char *v = q;
        if (q < end && *q == '"') {
            q = sip__quoted_end(q, end);
            if (!q) {
                return SIP_E_UNBALANCED_QUOTES;
            }
        } else {
            /* gen-value = token / host / quoted-string: IPv6 references
             * add ':' '[' ']'. */
            while (q < end
                && (sip__is(*q, C_TOKEN) || *q == ':' || *q == '['
                    || *q == ']')) {
                q++;
            }
            if (q == v) {
                return bad;
            }
        }
        *value = (struct slice){ v, (size_t) (q - v) };
        p = q;
    }
    *pp = p;
    return 1;
}

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
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_NAME_ADDR;

    memset(a, 0, sizeof(*a));
    p = sip__skip_ws(p, end);
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
    } else {
        /* display-name = *(token LWS): stop at '<' for name-addr. */
        while (p < end && (sip__is(*p, C_TOKEN) || sip__is(*p, C_WS))) {
            p++;
        }
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
        const char *gt = memchr(p, '>', (size_t) (end - p));
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
    const char *ps = sip__skip_ws(p, end);
    a->params = (struct slice){ ps, (size_t) (end - ps) };
    struct slice n, v;
    int rc;
    while ((rc = gparam_next(&p, end, &n, &v, SIP_E_BAD_PARAM)) == 1) {
        if (n.len == 3 && slice_caseeq(n, SLICE_LIT("tag"))) {
            if (!sip__is_token(v)) {
                rc = SIP_E_BAD_PARAM;
                break;
            }
            a->tag = v;
        }
    }
    err = rc;
out:
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
    const char *p = value.p, *end = value.p + value.len;
    int err = SIP_E_BAD_VIA;

    memset(v, 0, sizeof(*v));
    v->rport = -1;
    v->ttl = -1;
    /* sent-protocol = name SLASH version SLASH transport (SLASH allows
     * LWS, §25.1) */
    p = sip__skip_ws(p, end);
    const char *s = p;
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
    p = sip__skip_ws(p + 1, end);
    const char *t = p;
    p = sip__skip(p, end, C_TOKEN);
    if (p == t) {
        goto out;
    }
    v->transport = (struct slice){ t, (size_t) (p - t) };
    const char *h = sip__skip_ws(p, end);
    if (h == p) {
        goto out; /* LWS required before sent-by */
    }
    p = sip__host_port(h, end, &v->host, &v->host_type, &v->has_port, &v->port);
    if (!p) {
        goto out;
    }
    if (!v->has_port) {
        /* COLON = SWS ":" SWS */
        const char *q = sip__skip_ws(p, end);
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
    const char *ps = sip__skip_ws(p, end);
    v->params = (struct slice){ ps, (size_t) (end - ps) };
    struct slice n, val;
    int rc;
    while ((rc = gparam_next(&p, end, &n, &val, SIP_E_BAD_VIA)) == 1) {
        uint64_t num;
        if (slice_caseeq(n, SLICE_LIT("branch"))) {
            if (!sip__is_token(val)) {
                goto out;
            }
            v->branch = val;
        } else if (slice_caseeq(n, SLICE_LIT("received"))) {
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
        } else if (slice_caseeq(n, SLICE_LIT("rport"))) {
            v->has_rport = true;
            if (val.len) {
                if (digits_u64(val, 65535, &num) || num > 65535) {
                    goto out;
                }
                v->rport = (int32_t) num;
            }
        } else if (slice_caseeq(n, SLICE_LIT("maddr"))) {
            struct slice host;
            uint8_t ht;
            bool hp;
            uint16_t port;
            const char *e =
                sip__host_port(val.p, val.p + val.len, &host, &ht, &hp, &port);
            if (!e || e != val.p + val.len || hp) {
                goto out;
            }
            v->maddr = val;
        } else if (slice_caseeq(n, SLICE_LIT("ttl"))) {
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
    int err = SIP_E_BAD_CONTACT;
    struct slice v = slice_trim(value);

    memset(c, 0, sizeof(*c));
    c->q = -1;
    c->expires = -1;
    c->reg_id = -1;
    if (v.len == 1 && v.p[0] == '*') {
        c->star = true;
        err = 0;
        goto out;
    }
    if (sip_addr_parse(&c->addr, v) != 0) {
        goto out;
    }
    const char *p = c->addr.params.p, *end = p + c->addr.params.len;
    struct slice n, val;
    int rc;
    while ((rc = gparam_next(&p, end, &n, &val, SIP_E_BAD_CONTACT)) == 1) {
        uint64_t num;
        if (slice_caseeq(n, SLICE_LIT("q"))) {
            if (qvalue(val, &c->q) != 0) {
                goto out;
            }
        } else if (slice_caseeq(n, SLICE_LIT("expires"))) {
            if (digits_u64(val, 0xffffffffu, &num) != 0) {
                goto out;
            }
            c->expires = num > 0xffffffffu ? 0xffffffff : (int64_t) num;
        } else if (slice_caseeq(n, SLICE_LIT("+sip.instance"))) {
            struct slice in = unquote(val);
            if (in.len == val.len || in.len < 2 || in.p[0] != '<'
                || in.p[in.len - 1] != '>') {
                goto out;
            }
            c->instance = (struct slice){ in.p + 1, in.len - 2 };
        } else if (slice_caseeq(n, SLICE_LIT("reg-id"))) {
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
