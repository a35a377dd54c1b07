#define LOG_MODULE "pipeline"
#include "app/pipeline_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_metrics.h"
#include "base/clock.h"
#include "base/log.h"
#include "sip/sip_codes.h"
#include "sip/sip_hdr.h"
#include "sip/sip_peek.h"

static struct log_limit bad_limit;

/* Methods every sipward answers itself. */
static const uint32_t builtin_methods = APP_METHOD(SIP_METHOD_ACK)
    | APP_METHOD(SIP_METHOD_CANCEL) | APP_METHOD(SIP_METHOD_OPTIONS);

static void
pipeline_headers(struct app_pipeline *p)
{
    size_t off = 0;

    p->allow_hdr[0] = '\0';
    for (int m = SIP_METHOD_INVITE; m <= SIP_METHOD_PUBLISH; m++) {
        if (p->allow & APP_METHOD(m)) {
            off += (size_t) snprintf(p->allow_hdr + off,
                sizeof(p->allow_hdr) - off, "%s%s", off ? ", " : "",
                sip_method_name((enum sip_method) m));
            if (off >= sizeof(p->allow_hdr)) {
                off = sizeof(p->allow_hdr) - 1;
            }
        }
    }
    off = 0;
    p->supported_hdr[0] = '\0';
    for (size_t i = 0; i < p->ntags; i++) {
        off += (size_t) snprintf(p->supported_hdr + off,
            sizeof(p->supported_hdr) - off, "%s%s", off ? ", " : "",
            p->tags[i]);
        if (off >= sizeof(p->supported_hdr)) {
            off = sizeof(p->supported_hdr) - 1;
        }
    }
}

int
app_pipeline_new(struct app_pipeline **pp)
{
    struct app_pipeline *p = calloc(1, sizeof(*p));

    if (!p) {
        return -ENOMEM;
    }
    p->allow = builtin_methods;
    pipeline_headers(p);
    *pp = p;
    return 0;
}

void
app_pipeline_free(struct app_pipeline *p)
{
    free(p);
}

int
app_pipeline_add(struct app_pipeline *p, const struct app_service *s)
{
    if (p->nsvc == MAX_SERVICES) {
        return -E2BIG;
    }
    p->svc[p->nsvc++] = s;
    p->allow |= s->methods;
    for (const char *const *t = s->option_tags; t && *t; t++) {
        bool dup = false;
        for (size_t i = 0; i < p->ntags; i++) {
            dup |= strcmp(p->tags[i], *t) == 0;
        }
        if (!dup && p->ntags < MAX_TAGS) {
            p->tags[p->ntags++] = *t;
        }
    }
    pipeline_headers(p);
    return 0;
}

/* ---- response routing (RFC 3261 §18.2.1, §18.2.2; RFC 3581) ---- */

/* The source address as text. */
static int
sa_ip(const struct transport_ep *ep, char *buf, size_t size)
{
    return transport_ip_str(&ep->addr.sa, buf, size);
}

/* The same through c: a client sends many requests, formatted once. Empty
 * when the address has no text form. */
static struct slice
src_ip(struct app_ip *c, const struct transport_ep *ep)
{
    sa_family_t fam = ep->addr.sa.sa_family;
    const void *a = fam == AF_INET6 ? (const void *) &ep->addr.in6.sin6_addr
                                    : (const void *) &ep->addr.in.sin_addr;
    size_t n = fam == AF_INET6 ? 16 : 4;

    if (c->len && c->family == fam && memcmp(c->addr, a, n) == 0) {
        return slice_make(c->s, c->len);
    }
    c->len = 0;
    if ((fam != AF_INET && fam != AF_INET6)
        || sa_ip(ep, c->s, sizeof(c->s)) != 0) {
        return SLICE_NULL;
    }
    c->len = strlen(c->s);
    c->family = fam;
    memcpy(c->addr, a, n);
    return slice_make(c->s, c->len);
}

static uint16_t
sa_port(const struct transport_ep *ep)
{
    return ntohs(ep->addr.sa.sa_family == AF_INET6 ? ep->addr.in6.sin6_port
                                                   : ep->addr.in.sin_port);
}

static void
sa_set_port(struct transport_ep *ep, uint16_t port)
{
    if (ep->addr.sa.sa_family == AF_INET6) {
        ep->addr.in6.sin6_port = htons(port);
    } else {
        ep->addr.in.sin_port = htons(port);
    }
}

/* The top Via's host without IPv6 brackets. */
static struct slice
via_host_bare(const struct sip_via *v)
{
    struct slice h = v->host;
    if (h.len >= 2 && h.p[0] == '[' && h.p[h.len - 1] == ']') {
        h.p++;
        h.len -= 2;
    }
    return h;
}

/*
 * Works out where responses go and what the top Via gains: received= when
 * the sent-by host is not the source address (§18.2.1) or when the client
 * asked for rport, and rport=<source port> (RFC 3581 §4). Over UDP the
 * response goes to the source address, at the rport or the sent-by port
 * (5060 when absent) (§18.2.2); over streams back on the same connection.
 */
static void
route_response(struct app_req *r, const struct sip_via *v, struct app_ip *ipc)
{
    uint16_t sport = sa_port(r->src);

    r->via = v;
    r->dest = *r->src;
    r->received = SLICE_NULL;
    r->rport = 0;
    if (r->src->proto == TRANSPORT_UDP) {
        uint16_t port = v->has_rport ? sport : v->has_port ? v->port : 5060;
        sa_set_port(&r->dest, port);
    } else {
        /* Streams answer on the request's connection (dest.conn); if it is
         * gone, on a new one to the source address at the sent-by port. */
        uint16_t def = r->src->proto == TRANSPORT_TLS ? 5061 : 5060;
        sa_set_port(&r->dest, v->has_port ? v->port : def);
    }
    struct slice ip = src_ip(ipc, r->src);
    if (!ip.len) {
        return;
    }
    if (v->has_rport) {
        r->rport = sport;
    }
    if (v->has_rport || !slice_caseeq(via_host_bare(v), ip)) {
        r->received = ip;
    }
}

/* ---- building and sending responses ---- */

#define SERVER_HDR "sipward/" SIPWARD_VERSION

/* Sends the response built in w->out: through tx when there is one. */
static int
send_built(struct app_worker *w, struct txn *tx,
    const struct transport_ep *dest, int code, size_t len)
{
    w->stats.responses++;
    app_metrics_response((unsigned) code);
    if (tx) {
        return txn_server_respond(w->txn, tx, code, slice_make(w->out, len));
    }
    return transport_send(w->tr, dest, slice_make(w->out, len));
}

static int
send_response(struct app_worker *w, struct app_req *r, const struct sip_msg *m,
    int code, struct slice reason, const struct sip_field *extra, size_t nextra,
    struct slice ctype, struct slice body)
{
    struct sip_resp_opts o;
    size_t len = 0;
    int rc;

    memset(&o, 0, sizeof(o));
    o.code = code;
    o.reason = reason; /* empty: the builder looks the phrase up */
    o.server = SLICE_LIT(SERVER_HDR);
    o.extra = extra;
    o.nextra = nextra;
    o.content_type = ctype;
    o.body = body;
    o.received = r->received;
    o.rport = r->rport;
    o.top_via = r->via;
    rc = sip_build_response(w->out, sizeof(w->out), &len, m, &o);
    if (rc) {
        log_warn_limited(
            &bad_limit, "cannot build %d response: %s", code, err_str(rc));
        return rc;
    }
    return send_built(w, r->tx, &r->dest, code, len);
}

int
app__send_response(struct app_worker *w, struct app_req *r,
    const struct sip_msg *m, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra)
{
    return send_response(
        w, r, m, code, reason, extra, nextra, SLICE_NULL, SLICE_NULL);
}

int
app_req_reply_body(struct app_req *r, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra, struct slice ctype,
    struct slice body)
{
    if (code >= 200) {
        r->answered = true;
    }
    return send_response(
        r->w, r, r->msg, code, reason, extra, nextra, ctype, body);
}

int
app_req_reply(struct app_req *r, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra)
{
    return app_req_reply_body(
        r, code, reason, extra, nextra, SLICE_NULL, SLICE_NULL);
}

/* ---- transactions ---- */

static void
match_via(const struct sip_via *v, struct slice via_value, struct txn_match *tm)
{
    memset(tm, 0, sizeof(*tm));
    tm->branch = v->branch;
    /* sent-by: host[:port] as written */
    tm->sent_by = v->host;
    if (v->has_port) {
        const char *e = v->host.p + v->host.len;
        const char *end = via_value.p + via_value.len;
        while (e < end && *e != ';' && *e != ' ' && *e != '\t') {
            e++;
        }
        tm->sent_by = slice_make(v->host.p, (size_t) (e - v->host.p));
    }
    tm->top_via = via_value;
}

static void
match_of(const struct sip_msg *m, const struct sip_via *v,
    struct slice via_value, struct txn_match *tm)
{
    match_via(v, via_value, tm);
    tm->method = m->method_name;
    tm->ruri = m->ruri;
    tm->call_id = m->call_id;
    tm->from_tag = m->from_tag;
    tm->to_tag = m->to_tag;
    tm->cseq = m->cseq;
    tm->cseq_method = m->cseq_method_name;
}

int
app_req_stateful(struct app_req *r)
{
    struct txn_match tm;
    const struct sip_hdr *h = sip_msg_hdr(r->msg, SIP_HDR_VIA);

    if (r->tx) {
        return 0;
    }
    if (r->tm) {
        /* The match the pipeline looked the request up with. */
        return txn_server_new(r->w->txn, r->tm, &r->dest, &r->tx);
    }
    /* Requests reach here parsed, so their top Via is checked and kept. */
    if (!h) {
        return -EINVAL;
    }
    match_of(r->msg, &r->msg->via, h->value, &tm);
    return txn_server_new(r->w->txn, &tm, &r->dest, &r->tx);
}

void *
app__hold_get(struct app_worker *w, size_t size, bool *slab)
{
    *slab = size <= HOLD_SLAB;
    if (*slab && w->hfree) {
        void *p = w->hfree;
        memcpy(&w->hfree, p, sizeof(void *));
        w->nhfree--;
        return p;
    }
    return malloc(*slab ? HOLD_SLAB : size);
}

void
app__hold_put(struct app_worker *w, void *p, bool slab)
{
    if (slab && w->nhfree < HOLD_KEEP) {
        memcpy(p, &w->hfree, sizeof(void *));
        w->hfree = p;
        w->nhfree++;
        return;
    }
    free(p);
}

struct app_deferred *
app_req_defer(struct app_req *r)
{
    struct app_worker *w = r->w;
    struct app_deferred *d;
    struct sip_resp_head head;
    struct sip_resp_opts o = {
        .received = r->received,
        .rport = r->rport,
        .top_via = r->via,
    };
    bool slab;

    if (app_req_stateful(r) != 0
        || sip_build_response_head(w->out, sizeof(w->out), &head, r->msg, &o)
            != 0) {
        return NULL;
    }
    d = app__hold_get(w, sizeof(*d) + head.text.len, &slab);
    if (!d) {
        return NULL;
    }
    d->held = APP_HELD_DEFERRED;
    d->slab = slab;
    d->w = w;
    d->tx = r->tx;
    d->gen = txn_gen(r->tx);
    d->t0_ns = ev_now_ns(w->loop);
    d->src = *r->src;
    d->head = head;
    d->head.text.p = d->buf;
    memcpy(d->buf, head.text.p, head.text.len);
    d->prev = NULL;
    d->next = w->deferred;
    if (d->next) {
        d->next->prev = d;
    }
    w->deferred = d;
    txn_set_user(r->tx, d);
    w->stats.deferred++;
    metric_gauge_add(&app_m_waiting, 0, 1);
    if (r->msg->method == SIP_METHOD_INVITE
        && txn_state(r->tx) == TXN_PROCEEDING && !txn_code(r->tx)) {
        /* §17.2.1: tell the client we have it, which stops its Timer A. */
        send_response(
            w, r, r->msg, 100, SLICE_NULL, NULL, 0, SLICE_NULL, SLICE_NULL);
    }
    r->answered = true;
    r->deferred = true;
    return d;
}

struct ev_loop *
app_deferred_loop(const struct app_deferred *d)
{
    return d->w->loop;
}

static void
deferred_free(struct app_deferred *d)
{
    struct app_worker *w = d->w;

    metric_gauge_add(&app_m_waiting, 0, -1);
    if (d->prev) {
        d->prev->next = d->next;
    } else {
        w->deferred = d->next;
    }
    if (d->next) {
        d->next->prev = d->prev;
    }
    if (txn_gen(d->tx) == d->gen && txn_user(d->tx) == d) {
        txn_set_user(d->tx, NULL);
    }
    app__hold_put(w, d, d->slab);
}

static bool
deferred_live(const struct app_deferred *d)
{
    return txn_gen(d->tx) == d->gen
        && (txn_state(d->tx) == TXN_TRYING
            || txn_state(d->tx) == TXN_PROCEEDING);
}

/* A request context for a deferred request; m is its copy, parsed. */
static int
deferred_req(struct app_deferred *d, const struct sip_msg *m, struct app_req *r)
{
    struct app_worker *w = d->w;

    /* m parsed without error: its top Via is parsed too, and lives as
     * long as r (a local copy would dangle in r->via). */
    memset(r, 0, sizeof(*r));
    if (!sip_msg_hdr(m, SIP_HDR_VIA)) {
        return -EINVAL;
    }
    r->msg = m;
    r->src = &d->src;
    r->w = w;
    r->scratch = &w->scratch;
    r->tx = d->tx;
    route_response(r, &m->via, &w->dip);
    return 0;
}

/* Answers a deferred request from the head kept when it was deferred. */
static int
deferred_send(struct app_deferred *d, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra)
{
    struct app_worker *w = d->w;
    struct sip_resp_opts o = {
        .code = code,
        .reason = reason, /* empty: the builder looks the phrase up */
        .server = SLICE_LIT(SERVER_HDR),
        .extra = extra,
        .nextra = nextra,
    };
    size_t len = 0;
    int rc = sip_build_response_from_head(
        w->out, sizeof(w->out), &len, &d->head, &o);

    if (rc) {
        log_warn_limited(
            &bad_limit, "cannot build %d response: %s", code, err_str(rc));
        return rc;
    }
    return send_built(w, d->tx, &d->src, code, len);
}

int
app_deferred_reply(struct app_deferred *d, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra)
{
    int rc = -ECANCELED;

    if (deferred_live(d)) {
        rc = deferred_send(d, code, reason, extra, nextra);
        if (rc == 0 && code >= 200) {
            app_metrics_latency(clock_mono_ns() - d->t0_ns);
        }
    }
    if (code >= 200 || rc == -ECANCELED) {
        deferred_free(d);
    }
    return rc;
}

int
app_deferred_forward(
    struct app_deferred *d, const struct sip_msg *m, const struct app_fwd *f)
{
    struct app_req r;
    int rc = -ECANCELED;

    if (deferred_live(d)) {
        rc = deferred_req(d, m, &r);
        rc = rc ? rc : app_req_forward(&r, f);
        if (rc == 0) {
            app_metrics_latency(clock_mono_ns() - d->t0_ns);
        }
    }
    deferred_free(d);
    return rc;
}

/* ---- the walk ---- */

static const char *
option_tag_unsupported(const struct app_pipeline *p, struct slice tag)
{
    for (size_t i = 0; i < p->ntags; i++) {
        if (slice_caseeq(tag, slice_cstr(p->tags[i]))) {
            return NULL;
        }
    }
    return "";
}

/* RFC 3261 §8.2.2.3: the Require tags we do not support, comma-joined into
 * buf; 0 when all are supported. */
static size_t
unsupported_tags(const struct app_pipeline *p, const struct sip_msg *m,
    char *buf, size_t size)
{
    struct sip_wbuf b;

    sip_wbuf_init(&b, buf, size);
    for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REQUIRE); h;
         h = sip_msg_hdr_next(m, h)) {
        /* One value per entry: list headers are split by the parser. */
        struct slice tag = slice_trim(h->value);
        if (tag.len && option_tag_unsupported(p, tag)) {
            if (b.len) {
                sip_wbuf_puts(&b, ", ");
            }
            sip_wbuf_put(&b, tag);
        }
    }
    return b.err ? 0 : b.len;
}

/* The Request-URI names the server itself (no user part): sip:host[:port]. */
static bool
ruri_is_server(struct slice ruri)
{
    ptrdiff_t colon = slice_chr(ruri, ':');
    if (colon < 0) {
        return false;
    }
    struct slice rest = slice_sub(ruri, (size_t) colon + 1, ruri.len);
    ptrdiff_t semi = slice_chr(rest, ';');
    if (semi >= 0) {
        rest.len = (size_t) semi;
    }
    return slice_chr(rest, '@') < 0;
}

static void
handle_cancel(
    struct app_worker *w, struct app_req *r, const struct txn_match *tm)
{
    struct txn *inv = txn_server_find_invite(w->txn, tm);

    if (!inv) {
        app_req_reply(r, 481, SLICE_NULL, NULL, 0);
        return;
    }
    /* §9.2: 200 to the CANCEL; then 487 to the INVITE if it is pending,
     * or (§16.10) the CANCEL relayed to where the INVITE was forwarded. */
    app_req_reply(r, 200, SLICE_NULL, NULL, 0);
    uint8_t *held = txn_user(inv);
    if (held && *held == APP_HELD_DEFERRED) {
        struct app_deferred *d = txn_user(inv);
        if (deferred_live(d)) {
            deferred_send(d, 487, SLICE_NULL, NULL, 0);
        }
    } else if (held && *held == APP_HELD_FORWARD) {
        app__proxy_cancel(w, txn_user(inv));
    }
}

bool
app__is_self(const struct app_worker *w, struct slice host, int port)
{
    if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']') {
        host.p++;
        host.len -= 2;
    }
    port = port ? port : 5060;
    for (size_t i = 0; i < w->nself; i++) {
        if (port == w->self[i].port
            && slice_caseeq(host, slice_cstr(w->self[i].host))) {
            return true;
        }
    }
    return false;
}

/*
 * A request that already passed through us: one of the Vias below the top
 * one names one of our listeners (RFC 3261 §16.3 item 4, for the server
 * we are). Only relayed requests carry several Vias, so direct clients pay
 * nothing for this.
 */
static bool
looped(const struct app_worker *w, const struct sip_msg *m)
{
    const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);

    for (h = h ? sip_msg_hdr_next(m, h) : NULL; h; h = sip_msg_hdr_next(m, h)) {
        struct sip_via v;
        if (sip_via_parse(&v, h->value) != 0) {
            continue;
        }
        if (app__is_self(w, v.host, v.has_port ? v.port : 5060)) {
            return true;
        }
    }
    return false;
}

void
app_worker_input(
    struct app_worker *w, struct slice in, const struct transport_ep *src)
{
    app_worker_input_ex(w, in, src, 0);
}

/*
 * An ACK to one of our non-2xx final responses only ends its INVITE
 * transaction (§17.2.1), and §17.2.3 matches it by the top Via's branch
 * and sent-by alone: when one waits, the Via is all that is read, as the
 * full parse would cost more than everything else done with the ACK.
 * False leaves the message to the full path: no transaction, a branch
 * without the magic cookie (RFC 2543 matching needs the rest), or an
 * unusual shape.
 */
static bool
ack_absorbed(
    struct app_worker *w, struct slice in, const struct transport_ep *src)
{
    struct slice value;
    struct sip_via v;
    struct txn_match tm;

    if (txn_table_count(w->txn) == 0 || !sip_peek_top_via(in, &value)
        || sip_via_parse(&v, value) != 0 || !txn_branch_rfc3261(v.branch)) {
        return false;
    }
    match_via(&v, value, &tm);
    tm.method = SLICE_LIT("ACK");
    /* As the full path: a transaction found takes the ACK, absorbed or
     * not (one for a 2xx is not ours, and is dropped there too). */
    if (!txn_server_retransmission(w->txn, &tm, true)) {
        return false;
    }
    app_metrics_request(SIP_METHOD_ACK, src->proto);
    return true;
}

void
app_worker_input_ex(struct app_worker *w, struct slice in,
    const struct transport_ep *src, int frame_err)
{
    const struct app_pipeline *p = w->p;
    struct sip_msg *m = &w->msg;
    struct app_req r;
    struct txn_match tm;
    const struct sip_hdr *vh;
    int rc;

    if (!frame_err && in.len > 4 && memcmp(in.p, "ACK ", 4) == 0
        && in.len <= sip_limits_default.max_msg && ack_absorbed(w, in, src)) {
        return;
    }
    memset(&r, 0, sizeof(r));
    r.msg = m;
    r.src = src;
    r.w = w;
    r.scratch = &w->scratch;
    if (frame_err && in.len > sip_limits_default.max_msg) {
        in.len = sip_limits_default.max_msg;
    }
    rc = sip_msg_parse(m, in);
    if (frame_err) {
        rc = frame_err; /* the headers read so far still route it */
    }
    /* A parse that succeeded has checked the top Via and kept it. */
    vh = sip_msg_hdr(m, SIP_HDR_VIA);
    if (rc != 0) {
        w->stats.bad++;
        if (!m->request || m->method == SIP_METHOD_ACK) {
            return; /* malformed responses and ACKs are never answered */
        }
        char peer[64];
        transport_ep_str(src, peer, sizeof(peer));
        log_warn_limited(
            &bad_limit, "%s: malformed request: %s", peer, err_str(rc));
        /* Answer if enough was parsed to address a response. */
        struct sip_via v;
        if (vh && sip_via_parse(&v, vh->value) == 0) {
            route_response(&r, &v, &w->ip);
            send_response(w, &r, m, sip_err_status(rc), slice_cstr(err_str(rc)),
                NULL, 0, SLICE_NULL, SLICE_NULL);
        }
        goto out;
    }
    match_of(m, &m->via, vh->value, &tm);
    r.tm = &tm;
    if (!m->request) {
        txn_client_recv(w->txn, &tm, m->status, m->buf);
        goto out;
    }
    app_metrics_request(m->method, src->proto);

    /* Step 3: retransmissions and ACKs. */
    if (txn_server_retransmission(w->txn, &tm, m->method == SIP_METHOD_ACK)) {
        if (m->method != SIP_METHOD_ACK) {
            w->stats.retrans++;
        }
        goto out;
    }
    /* Only now: what a transaction absorbs is never answered from here. */
    route_response(&r, &m->via, &w->ip);
    if (m->method == SIP_METHOD_ACK) {
        if (p->proxy.on) {
            app__proxy_ack(w, &r);
        }
        goto out;
    }
    w->stats.requests++;
    if (m->nvia > 1 && looped(w, m)) {
        app_req_reply(&r, 482, SLICE_NULL, NULL, 0);
        goto out;
    }
    if (m->method == SIP_METHOD_CANCEL) {
        handle_cancel(w, &r, &tm);
        goto out;
    }
    if (m->method == SIP_METHOD_INVITE) {
        if (txn_server_merged(w->txn, &tm)) {
            app_req_reply(&r, 482, SLICE_LIT("Loop Detected"), NULL, 0);
            goto out;
        }
        rc = txn_server_new(w->txn, &tm, &r.dest, &r.tx);
        if (rc) {
            struct sip_field ra = SIP_FIELD("Retry-After", SLICE_LIT("5"));
            app_req_reply(&r, 503, SLICE_NULL, &ra, 1);
            goto out;
        }
    } else if (txn_server_merged(w->txn, &tm)) {
        app_req_reply(&r, 482, SLICE_LIT("Loop Detected"), NULL, 0);
        goto out;
    }

    /* Step 5: what every SIP server must do. */
    struct sip_field allow = SIP_FIELD("Allow", slice_cstr(p->allow_hdr));
    if (m->max_forwards == 0) {
        app_req_reply(&r, 483, SLICE_NULL, NULL, 0);
        goto out;
    }
    /* An inline proxy relays what belongs to a dialog it helped set up,
     * whatever the method (§16.1); the services see initial requests. */
    if (p->proxy.on && m->to_tag.len && m->method != SIP_METHOD_REGISTER) {
        app_req_forward(&r, NULL);
        goto out;
    }
    if (m->method == SIP_METHOD_OTHER) {
        app_req_reply(&r, 501, SLICE_NULL, &allow, 1);
        goto out;
    }
    if (!(p->allow & APP_METHOD(m->method))) {
        app_req_reply(&r, 405, SLICE_NULL, &allow, 1);
        goto out;
    }
    char unsup[512];
    size_t nun = unsupported_tags(p, m, unsup, sizeof(unsup));
    if (nun) {
        struct sip_field f = SIP_FIELD("Unsupported", slice_make(unsup, nun));
        app_req_reply(&r, 420, SLICE_NULL, &f, 1);
        goto out;
    }
    if (m->method == SIP_METHOD_OPTIONS && ruri_is_server(m->ruri)) {
        struct sip_field f[] = {
            allow,
            SIP_FIELD("Accept", SLICE_LIT("application/sdp")),
            SIP_FIELD("Supported", slice_cstr(p->supported_hdr)),
        };
        app_req_reply(&r, 200, SLICE_NULL, f, 3);
        goto out;
    }

    /* Step 6: the services. */
    for (size_t i = 0; i < p->nsvc; i++) {
        const struct app_service *s = p->svc[i];
        r.wstate = w->wstate[i];
        rc = s->handle(s->arg, &r);
        if (rc == APP_PASS && !r.answered) {
            continue;
        }
        if (rc < 0 && !r.answered) {
            log_warn_limited(&bad_limit, "%s: %s", s->name, err_str(rc));
            app_req_reply(&r, 500, SLICE_NULL, NULL, 0);
        }
        goto out;
    }
    app_req_reply(&r, 404, SLICE_NULL, NULL, 0);
out:
    /* Timed in app_worker_flush(): one clock read for the whole batch. */
    w->answered += r.answered && !r.deferred;
    arena_reset(&w->scratch);
}

void
app_worker_flush(struct app_worker *w, uint64_t now_ns)
{
    if (w->answered) {
        app_metrics_latency_n(now_ns - ev_now_ns(w->loop), w->answered);
        w->answered = 0;
    }
}

/* ---- worker state ---- */

int
app_worker_new(struct app_worker **wp, const struct app_pipeline *p,
    struct ev_loop *loop, struct transport *tr, struct txn_table *txn, int id)
{
    struct app_worker *w = calloc(1, sizeof(*w));
    int rc;

    if (!w) {
        return -ENOMEM;
    }
    w->p = p;
    w->loop = loop;
    w->tr = tr;
    w->txn = txn;
    w->id = id;
    w->branch_salt = (uint32_t) (clock_mono_ns() ^ (uint64_t) (uintptr_t) w);
    rc = arena_init(&w->scratch, 64 * 1024);
    if (rc) {
        free(w);
        return rc;
    }
    for (size_t i = 0; tr && i < transport_listener_count(tr); i++) {
        const struct transport_listener *l = transport_listener_get(tr, i);
        struct transport_ep ep;
        memset(&ep, 0, sizeof(ep));
        transport_ep_set_addr(
            &ep, (const struct sockaddr *) &l->addr, l->addrlen);
        uint16_t port = sa_port(&ep);
        /* Wildcard addresses cannot be compared; port 0 is not known. */
        if (port == 0
            || sa_ip(
                   &ep, w->self[w->nself].host, sizeof(w->self[w->nself].host))
                != 0) {
            continue;
        }
        if (strcmp(w->self[w->nself].host, "0.0.0.0") == 0
            || strcmp(w->self[w->nself].host, "::") == 0) {
            continue;
        }
        w->self[w->nself++].port = port;
    }
    if (p->proxy.on && tr && (rc = app__proxy_worker_init(w)) != 0) {
        app_worker_free(w);
        return rc;
    }
    for (size_t i = 0; i < p->nsvc; i++) {
        if (p->svc[i]->worker_start) {
            rc = p->svc[i]->worker_start(p->svc[i]->arg, w, &w->wstate[i]);
            if (rc) {
                app_worker_free(w);
                return rc;
            }
        }
        w->started[i] = true;
    }
    *wp = w;
    return 0;
}

void
app_worker_free(struct app_worker *w)
{
    if (!w) {
        return;
    }
    for (size_t i = w->p->nsvc; i-- > 0;) {
        if (w->started[i] && w->p->svc[i]->worker_stop) {
            w->p->svc[i]->worker_stop(w->p->svc[i]->arg, w, w->wstate[i]);
        }
    }
    while (w->deferred) {
        deferred_free(w->deferred);
    }
    app__proxy_free_all(w);
    while (w->hfree) {
        void *b = w->hfree;
        memcpy(&w->hfree, b, sizeof(void *));
        free(b);
    }
    arena_free(&w->scratch);
    free(w);
}

struct ev_loop *
app_worker_loop(const struct app_worker *w)
{
    return w->loop;
}

int
app_worker_id(const struct app_worker *w)
{
    return w->id;
}

const struct app_worker_stats *
app_worker_stats_get(const struct app_worker *w)
{
    return &w->stats;
}
