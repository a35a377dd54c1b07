/* Building responses, requests and forwarded messages (RFC 3261 §8, §16). */
#include "sip/sip_build.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/hash.h"
#include "sip/sip_codes.h"
#include "sip/sip_hdr.h"
#include "sip/sip_int.h"

void
sip_wbuf_init(struct sip_wbuf *w, char *p, size_t size)
{
    w->p = p;
    w->size = size;
    w->len = 0;
    w->err = 0;
}

static inline void
wput(struct sip_wbuf *w, const char *s, size_t n)
{
    if (w->err) {
        return;
    }
    if (n > w->size - w->len) {
        w->err = -ENOSPC;
        return;
    }
    if (n) {
        memcpy(w->p + w->len, s, n);
    }
    w->len += n;
}

/* Room for n bytes written at once: one check instead of one per piece. */
static inline char *
wspace(struct sip_wbuf *w, size_t n)
{
    char *p = sip_wbuf_room(w, n);

    if (p) {
        w->len += n;
    }
    return p;
}

static inline char *
wcopy(char *p, const char *s, size_t n)
{
    if (n) {
        memcpy(p, s, n);
    }
    return p + n;
}

/* name (with its ": ") value CRLF, in one reservation. */
static inline void
whdr(struct sip_wbuf *w, const char *name, size_t nlen, struct slice v)
{
    char *p = wspace(w, nlen + v.len + 2);

    if (p) {
        p = wcopy(p, name, nlen);
        p = wcopy(p, v.p, v.len);
        memcpy(p, "\r\n", 2);
    }
}

#define WHDR(w, lit, v) whdr((w), lit ": ", sizeof(lit ": ") - 1, (v))

void
sip_wbuf_put(struct sip_wbuf *w, struct slice s)
{
    wput(w, s.p, s.len);
}

void
sip_wbuf_puts(struct sip_wbuf *w, const char *s)
{
    wput(w, s, strlen(s));
}

void
sip_wbuf_putc(struct sip_wbuf *w, char c)
{
    wput(w, &c, 1);
}

void
sip_wbuf_putu(struct sip_wbuf *w, uint64_t v)
{
    char b[24];
    size_t i = sizeof(b);
    do {
        b[--i] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    wput(w, b + i, sizeof(b) - i);
}

void
sip_wbuf_printf(struct sip_wbuf *w, const char *fmt, ...)
{
    if (w->err) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    size_t room = w->size - w->len;
    int n = vsnprintf(room ? w->p + w->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= room) {
        w->err = n < 0 ? -EINVAL : -ENOSPC;
        return;
    }
    w->len += (size_t) n;
}

void
sip_wbuf_hdr(struct sip_wbuf *w, struct slice name, struct slice value)
{
    char *p = wspace(w, name.len + value.len + 4);

    if (p) {
        p = wcopy(p, name.p, name.len);
        memcpy(p, ": ", 2);
        p = wcopy(p + 2, value.p, value.len);
        memcpy(p, "\r\n", 2);
    }
}

static void
put_name(struct sip_wbuf *w, enum sip_hdr_id id)
{
    sip_wbuf_puts(w, sip_hdr_name(id));
    wput(w, ": ", 2);
}

static void
put_fields(struct sip_wbuf *w, const struct sip_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sip_wbuf_hdr(w, f[i].name, f[i].value);
    }
}

static void
put_body(struct sip_wbuf *w, struct slice ctype, struct slice body)
{
    if (!body.len) {
        wput(w, "Content-Length: 0\r\n\r\n", 21);
        return;
    }
    if (ctype.len) {
        sip_wbuf_hdr(w, SLICE_LIT("Content-Type"), ctype);
    }
    sip_wbuf_puts(w, "Content-Length: ");
    sip_wbuf_putu(w, body.len);
    wput(w, "\r\n\r\n", 4);
    sip_wbuf_put(w, body);
}

/* Eight lower-case hex digits of x, most significant first, computed on
 * all nibbles at once (one byte each) rather than digit by digit. */
static void
hex8(char *dst, uint32_t x)
{
    uint64_t v = x;

    v = ((v & 0xffff0000u) << 16) | (v & 0xffffu);
    v = ((v & 0x0000ff000000ff00ULL) << 8) | (v & 0x000000ff000000ffULL);
    v = ((v & 0x00f000f000f000f0ULL) << 4) | (v & 0x000f000f000f000fULL);
    /* 0x01 in each byte whose nibble is 10..15, which get 'a' - '0' - 10
     * more than '0'. */
    uint64_t letters =
        ((v + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
    v += 0x3030303030303030ULL + letters * ('a' - '0' - 10);
    /* The most significant nibble sits in the top byte: it goes first. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(dst, &v, 8);
}

void
sip_build_tag(char dst[17], const struct sip_msg *req)
{
    uint64_t h = HASH_SEED;

    h = hash_slice(h, req->call_id);
    h = hash_slice(h, req->from_tag);
    h = hash_final(hash_slice(h, req->branch));
    hex8(dst, (uint32_t) (h >> 32));
    hex8(dst + 8, (uint32_t) h);
    dst[16] = '\0';
}

/* Top Via of a response: fills a valueless rport and adds received
 * (RFC 3581 §4, RFC 3261 §18.2.1). */
static void
put_top_via(struct sip_wbuf *w, struct slice value, struct slice received,
    int rport, const struct sip_via *parsed)
{
    struct sip_via v;
    if (!received.len && !rport) {
        sip_wbuf_put(w, value);
        return;
    }
    if (parsed) {
        v = *parsed;
    } else if (sip_via_parse(&v, value) != 0) {
        sip_wbuf_put(w, value);
        return;
    }
    const char *p = value.p, *end = value.p + value.len;
    if (rport > 0 && v.has_rport && v.rport < 0) {
        struct slice rest = v.params, n, val;
        while (sip_param_next(&rest, &n, &val)) {
            if (SIP_LIT_EQ(n, "rport")) {
                const char *ne = n.p + n.len;
                wput(w, p, (size_t) (ne - p));
                wput(w, "=", 1);
                sip_wbuf_putu(w, (uint64_t) rport);
                p = ne;
                break;
            }
        }
    }
    wput(w, p, (size_t) (end - p));
    if (received.len && !v.received.len) {
        wput(w, ";received=", 10);
        sip_wbuf_put(w, received);
    }
}

/* Copies a header of the request when it has one. */
static inline void
copy_hdr(struct sip_wbuf *w, const struct sip_msg *req, enum sip_hdr_id id,
    const char *name, size_t nlen)
{
    const struct sip_hdr *h = sip_msg_hdr(req, id);

    if (h) {
        whdr(w, name, nlen, h->value);
    }
}

#define COPY_HDR(w, req, id, lit)                                              \
    copy_hdr((w), (req), (id), lit ": ", sizeof(lit ": ") - 1)

/* "SIP/2.0 302 Moved Temporarily\r\n"; code is 100..699. */
static void
put_status_line(struct sip_wbuf *w, int code, struct slice reason)
{
    char *p = wspace(w, 12 + reason.len + 2);

    if (p) {
        memcpy(p, "SIP/2.0 ", 8);
        p[8] = (char) ('0' + code / 100);
        p[9] = (char) ('0' + code / 10 % 10);
        p[10] = (char) ('0' + code % 10);
        p[11] = ' ';
        p = wcopy(p + 12, reason.p, reason.len);
        memcpy(p, "\r\n", 2);
    }
}

/* The To header, with our tag on every response but 100 unless the
 * request had one; *tag_at and *tag_len: where that ";tag=..." went. */
static void
put_to(struct sip_wbuf *w, const struct sip_msg *req,
    const struct sip_resp_opts *o, size_t *tag_at, size_t *tag_len)
{
    struct slice to = sip_msg_hdr(req, SIP_HDR_TO)->value;
    bool tag = o->code > 100 && req->to_tag.len == 0;
    size_t tlen = !tag ? 0 : o->to_tag.len ? o->to_tag.len : 16;
    char *p = wspace(w, 4 + to.len + (tag ? 5 + tlen : 0) + 2);

    if (!p) {
        return;
    }
    memcpy(p, "To: ", 4);
    p = wcopy(p + 4, to.p, to.len);
    if (tag) {
        *tag_at = (size_t) (p - w->p);
        *tag_len = 5 + tlen;
        memcpy(p, ";tag=", 5);
        if (o->to_tag.len) {
            memcpy(p + 5, o->to_tag.p, tlen);
        } else {
            char t[17];
            sip_build_tag(t, req);
            memcpy(p + 5, t, 16);
        }
        p += 5 + tlen;
    }
    memcpy(p, "\r\n", 2);
}

/* §8.2.6.2: every Via, same order; From, To (with our tag), Call-ID and
 * CSeq copied. *tag_at and *tag_len: where the tag added to To went (left
 * alone when none was). */
static void
put_head(struct sip_wbuf *w, const struct sip_msg *req,
    const struct sip_resp_opts *o, size_t *tag_at, size_t *tag_len)
{
    const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_VIA);

    wput(w, "Via: ", 5);
    put_top_via(w, h->value, o->received, o->rport, o->top_via);
    wput(w, "\r\n", 2);
    for (h = sip_msg_hdr_next(req, h); h; h = sip_msg_hdr_next(req, h)) {
        WHDR(w, "Via", h->value);
    }
    COPY_HDR(w, req, SIP_HDR_FROM, "From");
    if (req->first[SIP_HDR_TO] >= 0) {
        put_to(w, req, o, tag_at, tag_len);
    }
    COPY_HDR(w, req, SIP_HDR_CALL_ID, "Call-ID");
    COPY_HDR(w, req, SIP_HDR_CSEQ, "CSeq");
}

/* Server, the extra fields, Content-Length and body; 0 and *len or the
 * buffer's error. */
static int
put_tail(struct sip_wbuf *w, size_t *len, const struct sip_resp_opts *o)
{
    if (o->server.len) {
        WHDR(w, "Server", o->server);
    }
    put_fields(w, o->extra, o->nextra);
    put_body(w, o->content_type, o->body);
    if (!w->err) {
        *len = w->len;
    }
    return w->err;
}

static struct slice
reason_of(const struct sip_resp_opts *o)
{
    return o->reason.len ? o->reason : sip_code_reason_slice(o->code);
}

int
sip_build_response(char *out, size_t size, size_t *len,
    const struct sip_msg *req, const struct sip_resp_opts *o)
{
    struct sip_wbuf w;
    size_t tag_at, tag_len;

    /* Only the Via is needed to route a response (§18.2.2): a request
     * that lacks From, To, Call-ID or CSeq still earns its 400 naming the
     * missing header, with whatever of them it had copied. */
    if (!req->request || o->code < 100 || o->code > 699
        || req->first[SIP_HDR_VIA] < 0) {
        return -EINVAL;
    }
    sip_wbuf_init(&w, out, size);
    put_status_line(&w, o->code, reason_of(o));
    put_head(&w, req, o, &tag_at, &tag_len);
    return put_tail(&w, len, o);
}

int
sip_build_response_head(char *out, size_t size, struct sip_resp_head *head,
    const struct sip_msg *req, const struct sip_resp_opts *o)
{
    struct sip_wbuf w;
    struct sip_resp_opts tagged = *o;

    if (!req->request || req->first[SIP_HDR_VIA] < 0) {
        return -EINVAL;
    }
    tagged.code = 200; /* with the To tag; a 100 leaves it out */
    sip_wbuf_init(&w, out, size);
    head->tag_at = head->tag_len = 0;
    put_head(&w, req, &tagged, &head->tag_at, &head->tag_len);
    head->text = slice_make(out, w.len);
    return w.err;
}

int
sip_build_response_from_head(char *out, size_t size, size_t *len,
    const struct sip_resp_head *head, const struct sip_resp_opts *o)
{
    struct sip_wbuf w;
    struct slice t = head->text;

    if (o->code < 100 || o->code > 699) {
        return -EINVAL;
    }
    sip_wbuf_init(&w, out, size);
    put_status_line(&w, o->code, reason_of(o));
    if (o->code == 100 && head->tag_len) {
        wput(&w, t.p, head->tag_at);
        wput(&w, t.p + head->tag_at + head->tag_len,
            t.len - head->tag_at - head->tag_len);
    } else {
        wput(&w, t.p, t.len);
    }
    return put_tail(&w, len, o);
}

int
sip_build_request(
    char *out, size_t size, size_t *len, const struct sip_req_opts *o)
{
    struct sip_wbuf w;
    int err = -EINVAL;

    if (!sip__is_token(o->method) || !o->ruri.len || !o->via_host.len
        || !o->call_id.len || !o->from.len || !o->to.len) {
        goto out;
    }
    sip_wbuf_init(&w, out, size);
    sip_wbuf_put(&w, o->method);
    sip_wbuf_putc(&w, ' ');
    sip_wbuf_put(&w, o->ruri);
    sip_wbuf_puts(&w, " SIP/2.0\r\nVia: SIP/2.0/");
    sip_wbuf_put(
        &w, o->via_transport.len ? o->via_transport : SLICE_LIT("UDP"));
    sip_wbuf_putc(&w, ' ');
    sip_wbuf_put(&w, o->via_host);
    if (o->branch.len) {
        sip_wbuf_puts(&w, ";branch=");
        sip_wbuf_put(&w, o->branch);
    }
    /* RFC 3581: ask for rport so answers find us behind NAT. */
    sip_wbuf_puts(&w, ";rport\r\nMax-Forwards: ");
    sip_wbuf_putu(&w, o->max_forwards ? o->max_forwards : 70);
    sip_wbuf_puts(&w, "\r\nFrom: ");
    sip_wbuf_put(&w, o->from);
    if (o->from_tag.len) {
        sip_wbuf_puts(&w, ";tag=");
        sip_wbuf_put(&w, o->from_tag);
    }
    sip_wbuf_puts(&w, "\r\nTo: ");
    sip_wbuf_put(&w, o->to);
    sip_wbuf_puts(&w, "\r\nCall-ID: ");
    sip_wbuf_put(&w, o->call_id);
    sip_wbuf_puts(&w, "\r\nCSeq: ");
    sip_wbuf_putu(&w, o->cseq);
    sip_wbuf_putc(&w, ' ');
    sip_wbuf_put(&w, o->method);
    wput(&w, "\r\n", 2);
    put_fields(&w, o->extra, o->nextra);
    put_body(&w, o->content_type, o->body);
    err = w.err;
    if (!err) {
        *len = w.len;
    }
out:
    return err;
}

static bool
removed(const struct sip_fwd_opts *o, const struct sip_hdr *h)
{
    if (h->id != SIP_HDR_OTHER) {
        for (size_t i = 0; i < o->nremove; i++) {
            if (o->remove[i] == h->id) {
                return true;
            }
        }
        return false;
    }
    for (size_t i = 0; i < o->nremove_names; i++) {
        if (slice_caseeq(o->remove_names[i], h->name)) {
            return true;
        }
    }
    return false;
}

static const struct sip_hdr_edit *
edit_of(const struct sip_fwd_opts *o, const struct sip_hdr *h)
{
    for (size_t i = 0; i < o->nedit; i++) {
        if (o->edit[i].hdr == h) {
            return &o->edit[i];
        }
    }
    return NULL;
}

int
sip_build_forward(char *out, size_t size, size_t *len, const struct sip_msg *m,
    const struct sip_fwd_opts *o)
{
    struct sip_wbuf w;
    int err = -EINVAL;
    int16_t top_via = m->first[SIP_HDR_VIA];

    if (o->pop_via && top_via < 0) {
        goto out;
    }
    if (m->request && o->dec_max_forwards && m->max_forwards == 0) {
        err = SIP_E_MAX_FORWARDS_RANGE; /* §16.3 step 3: answer 483 */
        goto out;
    }
    sip_wbuf_init(&w, out, size);
    if (m->request) {
        sip_wbuf_put(&w, m->method_name);
        sip_wbuf_putc(&w, ' ');
        sip_wbuf_put(&w, o->ruri.len ? o->ruri : m->ruri);
        sip_wbuf_puts(&w, " SIP/2.0\r\n");
    } else {
        sip_wbuf_puts(&w, "SIP/2.0 ");
        sip_wbuf_putu(&w, m->status);
        sip_wbuf_putc(&w, ' ');
        sip_wbuf_put(&w, m->reason);
        wput(&w, "\r\n", 2);
    }
    if (o->push_via.len) {
        sip_wbuf_hdr(&w, SLICE_LIT("Via"), o->push_via);
    }
    if (o->record_route.len) {
        sip_wbuf_hdr(&w, SLICE_LIT("Record-Route"), o->record_route);
    }
    for (int16_t i = 0; i < (int16_t) m->nhdr; i++) {
        const struct sip_hdr *h = &m->hdr[i];
        const struct sip_hdr_edit *e = edit_of(o, h);
        if (e) {
            if (e->value.len) {
                sip_wbuf_hdr(&w, h->name, e->value);
            }
            continue;
        }
        if (m->request && i == top_via && (o->received.len || o->rport)) {
            put_name(&w, SIP_HDR_VIA);
            put_top_via(&w, h->value, o->received, o->rport, NULL);
            wput(&w, "\r\n", 2);
            continue;
        }
        if (h->id == SIP_HDR_CONTENT_LENGTH || removed(o, h)
            || (o->pop_via && i == top_via)
            || (o->replace_body && h->id == SIP_HDR_CONTENT_TYPE)) {
            continue;
        }
        if (h->id == SIP_HDR_MAX_FORWARDS && o->dec_max_forwards
            && m->request) {
            sip_wbuf_puts(&w, "Max-Forwards: ");
            sip_wbuf_putu(&w, (uint64_t) (m->max_forwards - 1));
            wput(&w, "\r\n", 2);
            continue;
        }
        sip_wbuf_hdr(&w, h->name, h->value);
    }
    if (m->request && o->dec_max_forwards && m->max_forwards < 0) {
        sip_wbuf_puts(&w, "Max-Forwards: 70\r\n");
    }
    put_fields(&w, o->add, o->nadd);
    if (o->replace_body) {
        put_body(&w, o->content_type, o->body);
    } else {
        put_body(&w, SLICE_NULL, m->body);
    }
    err = w.err;
    if (!err) {
        *len = w.len;
    }
out:
    return err;
}

/* §9.1 and §17.1.1.3: what a CANCEL and a non-2xx ACK share. */
static int
build_hop(char *out, size_t size, size_t *len, const struct sip_msg *req,
    const char *method, struct slice to)
{
    struct sip_wbuf w;
    const struct sip_hdr *via = sip_msg_hdr(req, SIP_HDR_VIA);
    const struct sip_hdr *from = sip_msg_hdr(req, SIP_HDR_FROM);

    if (!req->request || !via || !from || !to.len || !req->call_id.len) {
        return -EINVAL;
    }
    sip_wbuf_init(&w, out, size);
    sip_wbuf_puts(&w, method);
    sip_wbuf_putc(&w, ' ');
    sip_wbuf_put(&w, req->ruri);
    sip_wbuf_puts(&w, " SIP/2.0\r\n");
    sip_wbuf_hdr(&w, SLICE_LIT("Via"), via->value);
    sip_wbuf_puts(&w, "Max-Forwards: 70\r\n");
    sip_wbuf_hdr(&w, SLICE_LIT("From"), from->value);
    sip_wbuf_hdr(&w, SLICE_LIT("To"), to);
    sip_wbuf_hdr(&w, SLICE_LIT("Call-ID"), req->call_id);
    sip_wbuf_puts(&w, "CSeq: ");
    sip_wbuf_putu(&w, req->cseq);
    sip_wbuf_putc(&w, ' ');
    sip_wbuf_puts(&w, method);
    wput(&w, "\r\n", 2);
    for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_ROUTE); h;
         h = sip_msg_hdr_next(req, h)) {
        sip_wbuf_hdr(&w, SLICE_LIT("Route"), h->value);
    }
    put_body(&w, SLICE_NULL, SLICE_NULL);
    if (w.err) {
        return w.err;
    }
    *len = w.len;
    return 0;
}

int
sip_build_cancel(char *out, size_t size, size_t *len, const struct sip_msg *req)
{
    const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);

    return build_hop(
        out, size, len, req, "CANCEL", to ? to->value : SLICE_NULL);
}

int
sip_build_ack(char *out, size_t size, size_t *len, const struct sip_msg *req,
    const struct sip_msg *resp)
{
    const struct sip_hdr *to = sip_msg_hdr(resp, SIP_HDR_TO);

    return build_hop(out, size, len, req, "ACK", to ? to->value : SLICE_NULL);
}
