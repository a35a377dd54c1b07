/*
 * The transaction-stateful proxy core (RFC 3261 §16) behind
 * app_req_forward(): one context per forwarded request, linking the
 * upstream server transaction to the downstream client transaction, and
 * living exactly as long as the client transaction (txn_client_proxy()
 * tells us when it ends). See pipeline.h for what it does.
 */
#define LOG_MODULE "proxy"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_metrics.h"
#include "app/pipeline_int.h"
#include "base/log.h"
#include "sip/sip_hdr.h"
#include "sip/sip_uri.h"

struct app_forward {
    uint8_t held; /* APP_HELD_FORWARD */
    bool slab;
    bool invite;
    bool cancel_pending; /* CANCEL came before any provisional (§9.1) */
    bool cancelled;      /* CANCEL sent downstream */
    struct app_forward *prev, *next;
    struct app_worker *w;
    struct txn *stx, *ctx; /* upstream server, downstream client */
    uint32_t sgen;
    struct transport_ep up;   /* where responses go, for 2xx retransmissions */
    struct transport_ep down; /* where the request went */
    size_t len;
    char req[]; /* the request as forwarded */
};

static struct log_limit fwd_limit;

/* What became of the requests the proxy took: sent on, answered here
 * because they could not be (483, 5xx), or unanswered by the next hop. */
enum {
    FWD_SENT,
    FWD_REFUSED,
    FWD_TIMEOUT,
    FWD_COUNT
};

static bool
fwd_labels(size_t i, char *buf, size_t len)
{
    static const char *const r[FWD_COUNT] = { "forwarded", "refused",
        "timeout" };
    snprintf(buf, len, "result=\"%s\"", r[i]);
    return true;
}

static struct metric m_forwarded = {
    .name = "sipward_proxy_requests_total",
    .help = "requests the inline proxy took: forwarded, refused (answered "
            "here: 483, 5xx) or timeout (the next hop never answered: 408)",
    .type = METRIC_COUNTER,
    .nseries = FWD_COUNT,
    .labels = fwd_labels,
};
METRIC_REGISTER(m_forwarded)

static const char hex[] = "0123456789abcdef";

static void
put_hex(struct sip_wbuf *b, uint64_t v, int digits)
{
    while (digits-- > 0) {
        sip_wbuf_putc(b, hex[(v >> (4 * digits)) & 15]);
    }
}

/*
 * The host (IPv6 in brackets) and port our Via and Record-Route name for
 * listener l; -EADDRNOTAVAIL for a wildcard, which cannot be named.
 */
static int
listener_self(
    const struct transport_listener *l, char *host, size_t size, uint16_t *port)
{
    transport_addr_str((const struct sockaddr *) &l->addr, host, size);
    char *colon = strrchr(host, ':');

    if (!colon || strncmp(host, "0.0.0.0:", 8) == 0
        || strncmp(host, "[::]:", 5) == 0) {
        return -EADDRNOTAVAIL;
    }
    *colon = '\0';
    *port = (uint16_t) atoi(colon + 1);
    return 0;
}

int
app_pipeline_set_proxy(struct app_pipeline *p, const char *next_hop,
    bool record_route, const struct transport_listener *ls, size_t nls,
    char *err, size_t errlen)
{
    struct app_proxy *px = &p->proxy;
    struct transport_listener hop;
    size_t n = 0;
    char self[sizeof(px->host)]; /* "[IPv6]:port" fits */

    memset(px, 0, sizeof(*px));
    if (transport_listeners_parse(next_hop, &hop, 1, &n, err, errlen) != 0
        || n != 1) {
        if (n != 1) {
            snprintf(err, errlen, "next hop '%s': expected one udp|tcp:IP:PORT",
                next_hop);
        }
        return -EINVAL;
    }
    if (hop.proto == TRANSPORT_TLS) {
        snprintf(err, errlen, "next hop '%s': outbound TLS is not supported",
            next_hop);
        return -ENOTSUP;
    }
    for (size_t i = 0; i < nls; i++) {
        if (ls[i].proto != hop.proto
            || ls[i].addr.ss_family != hop.addr.ss_family) {
            continue;
        }
        transport_ep_set_addr(
            &px->next_hop, (const struct sockaddr *) &hop.addr, hop.addrlen);
        px->next_hop.proto = hop.proto;
        px->next_hop.listener = (uint16_t) i;
        if (listener_self(&ls[i], self, sizeof(self), &px->port) != 0) {
            snprintf(err, errlen,
                "next hop '%s': listener %s is a wildcard; our Via needs a "
                "specific address",
                next_hop, ls[i].text);
            return -EINVAL;
        }
        bool tcp = hop.proto == TRANSPORT_TCP;
        snprintf(px->host, sizeof(px->host), "%s", self);
        if (record_route) {
            snprintf(px->rr, sizeof(px->rr), "<sip:%s:%u;%slr>", self, px->port,
                tcp ? "transport=tcp;" : "");
        }
        snprintf(px->next_hop_text, sizeof(px->next_hop_text), "%s", next_hop);
        px->on = true;
        return 0;
    }
    snprintf(err, errlen,
        "next hop '%s': no %s listener of that address family in sip.listen",
        next_hop, transport_proto_name(hop.proto));
    return -EINVAL;
}

/*
 * Sets the socket dst leaves from and writes our Via for it (before
 * ;branch): the listener of its transport and family, and for UDP this
 * worker's own socket beside it, so that the responses come back here.
 * *port: the port the Via names.
 */
static int
hop_for(struct app_worker *w, struct transport_ep *dst, char *via, size_t size,
    uint16_t *port)
{
    char self[96];

    for (size_t i = 0; i < transport_listener_count(w->tr); i++) {
        const struct transport_listener *l = transport_listener_get(w->tr, i);
        if (l->proto != dst->proto
            || l->addr.ss_family != dst->addr.sa.sa_family) {
            continue;
        }
        if (listener_self(l, self, sizeof(self), port) != 0) {
            continue; /* a wildcard cannot be named in a Via */
        }
        dst->listener = (uint16_t) i;
        if (dst->proto == TRANSPORT_UDP) {
            int rc = transport_udp_private(w->tr, i, &dst->listener, port);
            if (rc) {
                return rc;
            }
        }
        snprintf(via, size, "SIP/2.0/%s %s:%u",
            dst->proto == TRANSPORT_UDP ? "UDP" : "TCP", self, *port);
        return 0;
    }
    return -EAFNOSUPPORT;
}

int
app__proxy_worker_init(struct app_worker *w)
{
    const struct app_proxy *px = &w->p->proxy;
    uint16_t port = 0;

    w->hop = px->next_hop;
    int rc = hop_for(w, &w->hop, w->via, sizeof(w->via), &port);
    if (rc) {
        log_error("next hop %s: cannot open a socket towards it: %s",
            px->next_hop_text, strerror(-rc));
        return rc;
    }
    /* Our Via names that port: a request coming back through it looped. */
    if (w->nself < sizeof(w->self) / sizeof(w->self[0]) && port != px->port) {
        const char *h = px->host;
        size_t n = strlen(h);
        if (h[0] == '[') {
            h++;
            n -= 2;
        }
        snprintf(w->self[w->nself].host, sizeof(w->self[w->nself].host), "%.*s",
            (int) n, h);
        w->self[w->nself++].port = port;
    }
    return 0;
}

/* A request the next hop sent us (its address and port). */
static bool
from_next_hop(const struct app_worker *w, const struct transport_ep *src)
{
    const struct transport_ep *h = &w->p->proxy.next_hop;

    if (src->addr.sa.sa_family != h->addr.sa.sa_family) {
        return false;
    }
    if (h->addr.sa.sa_family == AF_INET6) {
        return src->addr.in6.sin6_port == h->addr.in6.sin6_port
            && memcmp(&src->addr.in6.sin6_addr, &h->addr.in6.sin6_addr, 16)
            == 0;
    }
    return src->addr.in.sin_port == h->addr.in.sin_port
        && src->addr.in.sin_addr.s_addr == h->addr.in.sin_addr.s_addr;
}

/*
 * §16.5, §16.12: where a request from the callee's side goes: the next
 * Route (below ours, dropped), else the Request-URI (the caller's
 * Contact). Numeric hosts only: sipward resolves no names.
 */
static int
upstream_target(const struct sip_msg *m, const struct sip_hdr *ours,
    struct transport_ep *dst)
{
    const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ROUTE);
    struct sip_addr a;
    const struct sip_uri *u = &m->uri;
    char host[64];
    struct slice tp;

    if (h && h == ours) {
        h = sip_msg_hdr_next(m, h);
    }
    if (h) {
        if (sip_addr_parse(&a, h->value) != 0) {
            return -EINVAL;
        }
        u = &a.uri;
    }
    if ((u->host_type != SIP_HOST_IPV4 && u->host_type != SIP_HOST_IPV6)
        || u->scheme != SIP_URI_SIP) {
        return -EHOSTUNREACH;
    }
    struct slice hs = u->host;
    if (u->host_type == SIP_HOST_IPV6 && hs.len >= 2) {
        hs = slice_sub(hs, 1, hs.len - 1);
    }
    if (slice_copy(host, sizeof(host), hs) != 0) {
        return -EINVAL;
    }
    memset(dst, 0, sizeof(*dst));
    uint16_t port = htons(u->has_port ? u->port : 5060);
    if (u->host_type == SIP_HOST_IPV4) {
        dst->addr.in.sin_family = AF_INET;
        dst->addr.in.sin_port = port;
        dst->addrlen = sizeof(dst->addr.in);
        if (inet_pton(AF_INET, host, &dst->addr.in.sin_addr) != 1) {
            return -EINVAL;
        }
    } else {
        dst->addr.in6.sin6_family = AF_INET6;
        dst->addr.in6.sin6_port = port;
        dst->addrlen = sizeof(dst->addr.in6);
        if (inet_pton(AF_INET6, host, &dst->addr.in6.sin6_addr) != 1) {
            return -EINVAL;
        }
    }
    dst->proto = sip_param_get(u->params, SLICE_LIT("transport"), &tp)
            && slice_caseeq(tp, SLICE_LIT("tcp"))
        ? TRANSPORT_TCP
        : TRANSPORT_UDP;
    return 0;
}

/* ---- contexts ---- */

static struct app_forward *
forward_new(struct app_worker *w, size_t len)
{
    bool slab;
    struct app_forward *f = app__hold_get(w, sizeof(*f) + len, &slab);

    if (!f) {
        return NULL;
    }
    memset(f, 0, sizeof(*f));
    f->held = APP_HELD_FORWARD;
    f->slab = slab;
    f->w = w;
    f->len = len;
    f->next = w->forwards;
    if (f->next) {
        f->next->prev = f;
    }
    w->forwards = f;
    return f;
}

static bool
server_live(const struct app_forward *f)
{
    return f->stx && txn_gen(f->stx) == f->sgen
        && txn_state(f->stx) != TXN_TERMINATED;
}

static void
forward_free(struct app_forward *f)
{
    struct app_worker *w = f->w;

    if (f->prev) {
        f->prev->next = f->next;
    } else {
        w->forwards = f->next;
    }
    if (f->next) {
        f->next->prev = f->prev;
    }
    if (server_live(f) && txn_user(f->stx) == f) {
        txn_set_user(f->stx, NULL);
    }
    app__hold_put(w, f, f->slab);
}

void
app__proxy_free_all(struct app_worker *w)
{
    while (w->forwards) {
        struct app_forward *f = w->forwards;
        if (f->ctx) {
            txn_client_abandon(w->txn, f->ctx);
        }
        forward_free(f);
    }
}

/* The forwarded request, parsed again (for CANCEL, ACK, local answers). */
static const struct sip_msg *
forwarded(struct app_forward *f)
{
    struct sip_msg *m = &f->w->fmsg;

    return sip_msg_parse(m, slice_make(f->req, f->len)) == 0 ? m : NULL;
}

/* ---- responses upstream ---- */

/* Sends a relayed (or our own) response upstream: through the server
 * transaction while it waits for one; a 2xx after that (retransmitted, or
 * from another branch downstream) straight to where responses go. */
static void
upstream(struct app_forward *f, int code, struct slice resp)
{
    struct app_worker *w = f->w;
    int rc = -EINVAL;

    if (server_live(f)
        && (txn_state(f->stx) == TXN_TRYING
            || txn_state(f->stx) == TXN_PROCEEDING)) {
        rc = txn_server_respond(w->txn, f->stx, code, resp);
    } else if (f->invite && code >= 200 && code < 300) {
        rc = transport_send(w->tr, &f->up, resp);
    } else {
        return; /* the server transaction is done with finals */
    }
    if (rc == 0) {
        w->stats.responses++;
        app_metrics_response((unsigned) code);
    }
}

/* Our own final answer to a forwarded request (408, 503): built from the
 * forwarded copy without our Via, whose next one carries received/rport
 * already. */
static void
answer_local(struct app_forward *f, int code)
{
    struct app_worker *w = f->w;
    struct sip_msg *m = &w->fmsg;
    struct sip_resp_opts o;
    size_t len;

    if (!server_live(f) || !forwarded(f)) {
        return;
    }
    int16_t ours = m->first[SIP_HDR_VIA];
    if (ours < 0 || m->hdr[ours].next < 0) {
        return;
    }
    m->first[SIP_HDR_VIA] = m->hdr[ours].next; /* our scratch parse */
    memset(&o, 0, sizeof(o));
    o.code = code;
    o.server = SLICE_LIT("sipward/" SIPWARD_VERSION);
    if (sip_build_response(w->out, sizeof(w->out), &len, m, &o) == 0) {
        upstream(f, code, slice_make(w->out, len));
    }
}

/* ---- CANCEL and ACK downstream ---- */

static void
send_cancel(struct app_forward *f)
{
    struct app_worker *w = f->w;
    const struct sip_msg *m = forwarded(f);
    struct txn_match tm;
    struct txn *tx;
    size_t len;

    if (f->cancelled || !m
        || sip_build_cancel(w->fwd, sizeof(w->fwd), &len, m) != 0) {
        return;
    }
    f->cancelled = true;
    memset(&tm, 0, sizeof(tm));
    tm.method = SLICE_LIT("CANCEL");
    tm.branch = m->branch;
    /* Its 200 means nothing to us: the INVITE's 487 is what we relay. */
    if (txn_client_new(
            w->txn, &tm, &f->down, slice_make(w->fwd, len), NULL, NULL, &tx)
        != 0) {
        log_warn_limited(
            &fwd_limit, "cannot relay CANCEL to %s", w->p->proxy.next_hop_text);
    }
}

void
app__proxy_cancel(struct app_worker *w, struct app_forward *f)
{
    (void) w;
    if (!f->ctx || !f->invite) {
        return;
    }
    if (txn_state(f->ctx) == TXN_CALLING) {
        f->cancel_pending = true; /* §9.1: not before a provisional */
    } else if (txn_state(f->ctx) == TXN_PROCEEDING) {
        send_cancel(f);
    }
}

static void
send_ack(struct app_forward *f, struct txn *tx, const struct sip_msg *resp)
{
    struct app_worker *w = f->w;
    const struct sip_msg *m = forwarded(f);
    size_t len;

    if (m && sip_build_ack(w->fwd, sizeof(w->fwd), &len, m, resp) == 0) {
        txn_client_ack(w->txn, tx, slice_make(w->fwd, len));
    }
}

/* ---- the client transaction's results ---- */

static void
client_cb(void *arg, struct txn *tx, int code, struct slice msg)
{
    struct app_forward *f = arg;
    struct app_worker *w = f->w;
    size_t len;

    if (code == 0) {
        f->ctx = NULL; /* the client transaction ended */
        forward_free(f);
        return;
    }
    if (!msg.len) {
        /* Timer B/F/C: nobody answered (§16.7 item 6 / §16.8). */
        log_warn_limited(&fwd_limit, "next hop %s: no answer (%d)",
            w->p->proxy.next_hop_text, code);
        metric_inc(&m_forwarded, FWD_TIMEOUT);
        if (f->invite && txn_state(tx) == TXN_PROCEEDING) {
            send_cancel(f);
        }
        answer_local(f, code);
        return;
    }
    /* The response being handled is in w->msg, parsed (the pipeline hands
     * responses to the transactions right after parsing them). */
    const struct sip_msg *resp = &w->msg;
    if (resp->buf.p != msg.p || resp->request) {
        return;
    }
    if (code < 200 && f->cancel_pending) {
        f->cancel_pending = false;
        send_cancel(f);
    }
    if (code > 100) { /* 100 Trying is hop by hop (§16.7 item 5) */
        struct sip_fwd_opts o = { .pop_via = true };
        if (sip_build_forward(w->fwd, sizeof(w->fwd), &len, resp, &o) == 0) {
            upstream(f, code, slice_make(w->fwd, len));
        }
    }
    if (f->invite && code >= 300) {
        send_ack(f, tx, resp);
    }
}

/* ---- forwarding ---- */

static struct slice
new_branch(struct app_worker *w, char *dst, size_t size)
{
    struct sip_wbuf b;

    sip_wbuf_init(&b, dst, size);
    sip_wbuf_puts(&b, "z9hG4bKsw");
    put_hex(&b, w->branch_salt, 8);
    put_hex(&b, (uint64_t) w->id, 2);
    put_hex(&b, ++w->branch_seq, 12);
    return slice_make(dst, b.len);
}

/* §16.4: a top Route naming us is ours to remove. */
static const struct sip_hdr *
route_to_us(const struct app_worker *w, const struct sip_msg *m)
{
    const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ROUTE);
    struct sip_addr a;

    if (!h || sip_addr_parse(&a, h->value) != 0) {
        return NULL;
    }
    return app__is_self(w, a.uri.host, a.uri.has_port ? a.uri.port : 0) ? h
                                                                        : NULL;
}

/*
 * Where r goes and the Via we put on it: the next hop; but what the next
 * hop sends us inside a dialog (the callee's BYE, its ACK to a re-INVITE)
 * goes towards the caller, not back where it came from.
 */
static int
target(struct app_worker *w, const struct app_req *r,
    const struct sip_hdr *route, struct transport_ep *dst, const char **via,
    char *buf, size_t size)
{
    uint16_t port;

    *dst = w->hop;
    *via = w->via;
    if (!r->msg->to_tag.len || !from_next_hop(w, r->src)) {
        return 0;
    }
    int rc = upstream_target(r->msg, route, dst);
    rc = rc ? rc : hop_for(w, dst, buf, size, &port);
    *via = buf;
    return rc;
}

/* The request as it goes on, into w->fwd; route: the top Route naming
 * us, or NULL. */
static int
build_forward(struct app_req *r, const struct app_fwd *fw,
    const struct sip_hdr *route, const char *our_via, struct slice branch,
    size_t *len)
{
    struct app_worker *w = r->w;
    const struct app_proxy *px = &w->p->proxy;
    const struct sip_msg *m = r->msg;
    struct sip_hdr_edit ed[APP_FWD_MAX_EDIT + 1];
    size_t ned = 0;
    char via[256];
    struct sip_wbuf b;

    for (size_t i = 0; fw && i < fw->nedit && i < APP_FWD_MAX_EDIT; i++) {
        ed[ned++] = fw->edit[i];
    }
    if (route) {
        ed[ned++] = (struct sip_hdr_edit){ route, SLICE_NULL };
    }
    sip_wbuf_init(&b, via, sizeof(via));
    sip_wbuf_puts(&b, our_via);
    sip_wbuf_puts(&b, ";branch=");
    sip_wbuf_put(&b, branch);
    sip_wbuf_puts(&b, ";rport");
    struct sip_fwd_opts o = {
        .push_via = slice_make(via, b.len),
        .dec_max_forwards = true,
        .record_route =
            px->rr[0] && !m->to_tag.len ? slice_cstr(px->rr) : SLICE_NULL,
        .edit = ed,
        .nedit = ned,
        .add = fw ? fw->add : NULL,
        .nadd = fw ? fw->nadd : 0,
        .received = r->received,
        .rport = r->rport,
    };
    return b.err ? b.err
                 : sip_build_forward(w->fwd, sizeof(w->fwd), len, m, &o);
}

int
app_req_forward(struct app_req *r, const struct app_fwd *fw)
{
    struct app_worker *w = r->w;
    const struct sip_msg *m = r->msg;
    struct app_forward *f = NULL;
    struct txn_match tm;
    struct transport_ep dst;
    char branch[48], via[128];
    const char *our_via;
    size_t len;
    int rc, code = 500;

    r->answered = true;
    if (!w->p->proxy.on) {
        rc = -ENOTSUP;
        goto fail;
    }
    rc = app_req_stateful(r);
    if (rc) {
        code = 503;
        goto fail;
    }
    const struct sip_hdr *route = route_to_us(w, m);
    rc = target(w, r, route, &dst, &our_via, via, sizeof(via));
    if (rc) {
        code = rc == -EHOSTUNREACH ? 502 : 503;
        goto fail;
    }
    struct slice br = new_branch(w, branch, sizeof(branch));
    rc = build_forward(r, fw, route, our_via, br, &len);
    if (rc) {
        code = rc == SIP_E_MAX_FORWARDS_RANGE ? 483 : rc == -ENOSPC ? 513 : 500;
        goto fail;
    }
    f = forward_new(w, len);
    if (!f) {
        rc = -ENOMEM;
        goto fail;
    }
    memcpy(f->req, w->fwd, len);
    f->invite = m->method == SIP_METHOD_INVITE;
    f->stx = r->tx;
    f->sgen = txn_gen(r->tx);
    f->up = r->dest;
    f->down = dst;
    if (f->invite && txn_code(r->tx) == 0) {
        /* §16.2: we answer 100 ourselves; the next hop's is hop by hop. */
        app__send_response(w, r, m, 100, SLICE_NULL, NULL, 0);
    }
    memset(&tm, 0, sizeof(tm));
    tm.method = m->method_name;
    tm.branch = br;
    rc = txn_client_new(w->txn, &tm, &f->down, slice_make(f->req, f->len),
        client_cb, f, &f->ctx);
    if (rc) {
        f->ctx = NULL;
        code = 503; /* §16.7 item 6 / §8.1.3.1: cannot reach it */
        goto fail;
    }
    txn_client_proxy(f->ctx);
    txn_set_user(r->tx, f);
    metric_inc(&m_forwarded, FWD_SENT);
    return 0;
fail:
    log_warn_limited(&fwd_limit, "cannot forward " SLICE_FMT " to %s: %s",
        SLICE_ARG(m->method_name), w->p->proxy.next_hop_text, err_str(rc));
    if (f) {
        forward_free(f);
    }
    metric_inc(&m_forwarded, FWD_REFUSED);
    app__send_response(w, r, m, code, SLICE_NULL, NULL, 0);
    return rc;
}

/*
 * §16.11: the ACK for a 2xx is its own transaction; forward it without
 * state. Its branch is derived from the incoming one, so a retransmitted
 * ACK leaves with the same branch.
 */
void
app__proxy_ack(struct app_worker *w, struct app_req *r)
{
    const struct sip_msg *m = r->msg;
    uint64_t h = 0xcbf29ce484222325ULL;
    const struct sip_hdr *route = route_to_us(w, m);
    struct transport_ep dst;
    char branch[48], via[128];
    const char *our_via;
    struct sip_wbuf b;
    size_t len;

    for (size_t i = 0; i < m->branch.len; i++) {
        h = (h ^ (unsigned char) m->branch.p[i]) * 0x100000001b3ULL;
    }
    for (size_t i = 0; i < m->call_id.len; i++) {
        h = (h ^ (unsigned char) m->call_id.p[i]) * 0x100000001b3ULL;
    }
    sip_wbuf_init(&b, branch, sizeof(branch));
    sip_wbuf_puts(&b, "z9hG4bKswa");
    put_hex(&b, h, 16);
    if (m->max_forwards == 0
        || target(w, r, route, &dst, &our_via, via, sizeof(via)) != 0
        || build_forward(
               r, NULL, route, our_via, slice_make(branch, b.len), &len)
            != 0) {
        return;
    }
    transport_send(w->tr, &dst, slice_make(w->fwd, len));
}
