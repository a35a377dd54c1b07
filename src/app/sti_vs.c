/*
 * STI-VS (RFC 8224 §6.2, ATIS-1000074 §5.3) as a 302 interface: an INVITE
 * with Identity is verified and answered 302 with Contact <Request-URI>
 * and the asserted identity carrying verstat, P-Attestation-Indicator and
 * P-Origination-ID; or rejected with the RFC 8224 code and a Reason (policy
 * reject); or answered 302 with verstat=TN-Validation-Failed and the Reason
 * (policy mark).
 *
 * When a certificate is not cached yet the INVITE is deferred: its server
 * transaction absorbs retransmissions (and answered 100 Trying) while the
 * worker's loop fetches; other calls keep flowing. When every fetch it
 * waits for is done, the copy of the request is verified again.
 */
#define LOG_MODULE "sti-vs"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_metrics.h"
#include "app/sti_int.h"
#include "app/verify_log.h"
#include "base/log.h"

struct vs_worker;

/* An INVITE waiting for certificates. */
struct vs_pending {
    struct vs_pending *prev, *next;
    struct vs_worker *vw;
    struct app_deferred *d;
    size_t waiting;
    struct certfetch_waiter w[STIR_MAX_IDENTITY];
    size_t len;
    char msg[]; /* the request, copied */
};

struct vs_worker {
    struct sti *s;
    struct stir_vctx *v;
    struct certfetch *f;
    struct vs_pending *pending;
    struct sip_msg msg; /* a deferred request, parsed again */
    char reason[512];
    char reason2[512];
    char contact[1024];
    char pai[768];
};

/* What stir_verify asked for: certificates held, URLs not cached yet. */
struct vs_cred {
    struct sti *s;
    time_t now;
    struct stir_cert *held[STIR_MAX_IDENTITY];
    size_t nheld;
    struct slice missed[STIR_MAX_IDENTITY];
    size_t nmissed;
};

static struct log_limit vs_limit;

static const struct stir_cert *
cred_cb(void *arg, struct slice info, int *code, char *why, size_t why_size)
{
    struct vs_cred *cr = arg;
    struct stir_cert *c = NULL;

    switch (
        certcache_get(cr->s->cache, info, cr->now, &c, code, why, why_size)) {
    case CERTCACHE_OK:
        if (cr->nheld == STIR_MAX_IDENTITY) {
            stir_cert_deref(c);
            return NULL;
        }
        cr->held[cr->nheld++] = c;
        app_metrics_cert_fetch(APP_CERT_HIT, 0);
        return c;
    case CERTCACHE_FAIL:
        app_metrics_cert_fetch(APP_CERT_FAILURE, 0);
        return NULL;
    case CERTCACHE_MISS:
        break;
    }
    bool dup = false;
    for (size_t i = 0; i < cr->nmissed; i++) {
        dup |= slice_eq(cr->missed[i], info);
    }
    if (!dup && cr->nmissed < STIR_MAX_IDENTITY) {
        cr->missed[cr->nmissed++] = info;
    }
    *code = 436;
    snprintf(why, why_size, "certificate at " SLICE_FMT " not fetched",
        SLICE_ARG(info));
    return NULL;
}

static void
cred_release(struct vs_cred *cr)
{
    for (size_t i = 0; i < cr->nheld; i++) {
        stir_cert_deref(cr->held[i]);
    }
    cr->nheld = 0;
}

/* The failure class the metrics and the status page use. */
static enum app_verify_reason
reason_class(int code, const char *why, bool replay)
{
    if (replay) {
        return APP_VR_REPLAY;
    }
    switch (code) {
    case STIR_STALE:
        return APP_VR_STALE;
    case STIR_USE_IDENTITY:
        return APP_VR_MISSING;
    case STIR_BAD_INFO:
        return APP_VR_CERT_FETCH;
    case STIR_BAD_CRED:
        return strstr(why, "does not cover") ? APP_VR_TN_NOT_COVERED
                                             : APP_VR_UNTRUSTED;
    case STIR_INVALID:
        if (strstr(why, "signature does not validate")) {
            return APP_VR_BAD_SIGNATURE;
        }
        if (strstr(why, "claim") || strstr(why, "From") || strstr(why, "To")) {
            return APP_VR_CLAIMS;
        }
        return APP_VR_MALFORMED;
    default:
        return APP_VR_OTHER;
    }
}

static void
report(const struct sip_msg *m, int code, const char *why, bool replay)
{
    if (code == STIR_PASS) {
        app_metrics_verification(APP_VERIFY_PASSED, APP_VR_NONE);
        return;
    }
    app_verify_failed(m->call_id, (unsigned) code,
        reason_class(code, why, replay), slice_cstr(why));
}

static int
reply(struct app_req *req, struct app_deferred *d, int code,
    struct slice reason, const struct sip_field *f, size_t n)
{
    if (d) {
        int rc = app_deferred_reply(d, code, reason, f, n);
        return rc == -ECANCELED ? 0 : rc;
    }
    return app_req_reply(req, code, reason, f, n);
}

/* The asserted identity: P-Asserted-Identity when present, else From. */
static const struct sip_hdr *
asserted(const struct sip_msg *m)
{
    const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_P_ASSERTED_IDENTITY);

    return h ? h : sip_msg_hdr(m, SIP_HDR_FROM);
}

/*
 * The asserted identity with verstat (ATIS-1000074 §5.3.1, a tel/sip URI
 * parameter from 3GPP TS 24.229) as "<uri;verstat=...>", with any display
 * name kept and a verstat the request already carried dropped. keep_params:
 * the header's own parameters (From's tag) follow, for a header forwarded
 * in place; the 302 carries the identity alone.
 */
static struct slice
pai_with_verstat(char *dst, size_t size, const struct sip_msg *m,
    const char *verstat, bool keep_params)
{
    const struct sip_hdr *h = asserted(m);
    struct slice v, display = SLICE_NULL, uri, params = SLICE_NULL;

    v = h ? h->value : SLICE_NULL;
    ptrdiff_t lt = slice_chr(v, '<');
    if (lt >= 0) {
        display = slice_trim(slice_make(v.p, (size_t) lt));
        uri = slice_sub(v, (size_t) lt + 1, v.len);
        ptrdiff_t gt = slice_chr(uri, '>');
        if (gt >= 0) {
            params = slice_sub(uri, (size_t) gt + 1, uri.len);
            uri.len = (size_t) gt;
        }
    } else {
        uri = v;
        ptrdiff_t semi = slice_chr(uri, ';');
        /* addr-spec in From: what follows ';' are header parameters,
         * except in a tel URI where they are the URI's. */
        if (semi >= 0 && !slice_caseprefix(uri, SLICE_LIT("tel:"))) {
            params = slice_sub(uri, (size_t) semi, uri.len);
            uri.len = (size_t) semi;
        }
    }
    struct sip_wbuf b;
    sip_wbuf_init(&b, dst, size);
    if (display.len) {
        sip_wbuf_put(&b, display);
        sip_wbuf_putc(&b, ' ');
    }
    sip_wbuf_putc(&b, '<');
    /* copy the URI, skipping a verstat parameter */
    size_t i = 0;
    while (i < uri.len) {
        if (uri.p[i] == ';'
            && slice_caseprefix(
                slice_sub(uri, i + 1, uri.len), SLICE_LIT("verstat="))) {
            i++;
            while (i < uri.len && uri.p[i] != ';') {
                i++;
            }
            continue;
        }
        sip_wbuf_putc(&b, uri.p[i++]);
    }
    sip_wbuf_puts(&b, ";verstat=");
    sip_wbuf_puts(&b, verstat);
    sip_wbuf_putc(&b, '>');
    if (keep_params) {
        sip_wbuf_put(&b, params);
    }
    return b.err ? SLICE_NULL : slice_make(dst, b.len);
}

/* Contact: <Request-URI>, the target the SBC continues to. */
static struct slice
contact_of(struct vs_worker *vw, const struct sip_msg *m)
{
    struct sip_wbuf b;

    sip_wbuf_init(&b, vw->contact, sizeof(vw->contact));
    sip_wbuf_putc(&b, '<');
    sip_wbuf_put(&b, m->ruri);
    sip_wbuf_putc(&b, '>');
    return b.err ? SLICE_NULL : slice_make(vw->contact, b.len);
}

/* The deciding header's signature, for the replay cache. */
static struct slice
deciding_sig(const struct stir_call *call, const struct stir_verdict *v)
{
    struct stir_identity id;
    const char *why;

    if (v->header < 0 || (size_t) v->header >= call->nidentity
        || stir_identity_parse(&id, call->identity[v->header], &why) != 0) {
        return SLICE_NULL;
    }
    return id.b64_sig;
}

/*
 * Inline (stir.vs_mode = proxy): the request goes on to the next hop with
 * verstat on the asserted identity, in place, and the Reason of a failure
 * (ATIS-1000074 §5.3.1: the terminating side decides what to do).
 */
static int
forward_marked(struct vs_worker *vw, struct app_req *req,
    struct app_deferred *d, const struct sip_msg *m, const char *verstat,
    const char *reason)
{
    struct sip_hdr_edit e = { asserted(m), SLICE_NULL };
    struct sip_field f[1];
    struct app_fwd fw = { .edit = &e, .add = f };

    e.value = pai_with_verstat(vw->pai, sizeof(vw->pai), m, verstat, true);
    fw.nedit = e.hdr && e.value.len ? 1 : 0;
    if (reason) {
        f[fw.nadd++] = SIP_FIELD("Reason", slice_cstr(reason));
    }
    if (d) {
        app_deferred_forward(d, m, &fw);
    } else {
        app_req_forward(req, &fw);
    }
    return 0;
}

/* Answers a verified (or failed) request. */
static int
answer(struct vs_worker *vw, struct app_req *req, struct app_deferred *d,
    const struct sip_msg *m, const struct stir_call *call,
    struct stir_verdict *v, time_t now)
{
    struct sti *s = vw->s;
    struct sip_field f[5];
    size_t n = 0;
    int code = v->code;
    bool flagged = false;

    if (code == STIR_PASS && s->replay != STI_REPLAY_OFF) {
        struct slice sig = deciding_sig(call, v);
        if (sig.len && sti__replay_seen(s, sig, m->call_id, now)) {
            code = 403;
            snprintf(v->reason, sizeof(v->reason),
                "PASSporT replayed: the same signature was verified in "
                "another call within %u s",
                s->pol.freshness);
            log_info("replayed PASSporT in Call-ID " SLICE_FMT " (orig %s)",
                SLICE_ARG(m->call_id), v->pp.orig.v);
            if (s->replay == STI_REPLAY_REJECT) {
                sti__reason(vw->reason, sizeof(vw->reason), code, v->reason);
                f[n++] = SIP_FIELD("Reason", slice_cstr(vw->reason));
                report(m, code, v->reason, true);
                return reply(req, d, 403, SLICE_LIT("Replayed Identity"), f, n);
            }
            flagged = true;
        }
    }
    report(m, code, v->reason, code != v->code);
    /* A flagged replay continues, marked, whatever the failure policy. */
    if (code != STIR_PASS && s->fail_policy == STI_REJECT && !flagged) {
        sti__reason(vw->reason, sizeof(vw->reason), code, v->reason);
        f[n++] = SIP_FIELD("Reason", slice_cstr(vw->reason));
        return reply(req, d, code, slice_cstr(stir_code_phrase(code)), f, n);
    }
    const char *verstat =
        stir_verstat_code(code == STIR_PASS ? STIR_PASS : STIR_INVALID);
    if (s->vs_inline) {
        if (code != STIR_PASS) {
            sti__reason(vw->reason2, sizeof(vw->reason2), code, v->reason);
        }
        return forward_marked(
            vw, req, d, m, verstat, code == STIR_PASS ? NULL : vw->reason2);
    }
    struct slice pai =
        pai_with_verstat(vw->pai, sizeof(vw->pai), m, verstat, false);
    f[n++] = SIP_FIELD("Contact", contact_of(vw, m));
    if (pai.len) {
        f[n++] = SIP_FIELD("P-Asserted-Identity", pai);
    }
    if (code == STIR_PASS) {
        if (v->pp.attest[0]) {
            f[n++] =
                SIP_FIELD("P-Attestation-Indicator", slice_cstr(v->pp.attest));
        }
        if (v->pp.origid[0]) {
            f[n++] = SIP_FIELD("P-Origination-ID", slice_cstr(v->pp.origid));
        }
    } else {
        sti__reason(vw->reason2, sizeof(vw->reason2), code, v->reason);
        f[n++] = SIP_FIELD("Reason", slice_cstr(vw->reason2));
    }
    return reply(req, d, 302, SLICE_NULL, f, n);
}

static void
pending_free(struct vs_pending *p)
{
    struct vs_worker *vw = p->vw;

    if (p->prev) {
        p->prev->next = p->next;
    } else {
        vw->pending = p->next;
    }
    if (p->next) {
        p->next->prev = p->prev;
    }
    free(p);
}

/* Every certificate the request waited for is in the cache: verify the
 * copy again and answer. */
static void
pending_complete(struct vs_pending *p)
{
    struct vs_worker *vw = p->vw;
    struct stir_call call;
    struct stir_verdict v;
    time_t now = time(NULL);
    struct vs_cred cr = { .s = vw->s, .now = now };

    if (sip_msg_parse(&vw->msg, slice_make(p->msg, p->len)) != 0
        || stir_call_from_msg(&call, &vw->msg) != 0) {
        app_deferred_reply(p->d, 500, SLICE_NULL, NULL, 0);
        goto out;
    }
    stir_verify(vw->v, &call, cred_cb, &cr, &vw->s->pol, now, &v);
    answer(vw, NULL, p->d, &vw->msg, &call, &v, now);
    cred_release(&cr);
out:
    pending_free(p);
}

static void
pending_cb(void *arg)
{
    struct vs_pending *p = arg;

    if (--p->waiting == 0) {
        pending_complete(p);
    }
}

static int
defer(struct vs_worker *vw, struct app_req *req, struct vs_cred *cr)
{
    struct app_deferred *d = app_req_defer(req);
    struct vs_pending *p;

    if (!d) {
        return -EBUSY;
    }
    p = malloc(sizeof(*p) + req->msg->buf.len);
    if (!p) {
        app_deferred_reply(d, 500, SLICE_NULL, NULL, 0);
        return APP_DEFER;
    }
    memset(p, 0, sizeof(*p));
    p->vw = vw;
    p->d = d;
    p->len = req->msg->buf.len;
    memcpy(p->msg, req->msg->buf.p, p->len);
    p->next = vw->pending;
    if (p->next) {
        p->next->prev = p;
    }
    vw->pending = p;
    /* Counted up front so a waiter cannot complete p while we add more. */
    p->waiting = 1;
    for (size_t i = 0; i < cr->nmissed; i++) {
        int rc = certfetch_want(vw->f, cr->missed[i], &p->w[i], pending_cb, p);
        if (rc == 0) {
            p->waiting++;
        } else if (rc < 0) {
            log_warn_limited(&vs_limit, "cannot fetch " SLICE_FMT ": %s",
                SLICE_ARG(cr->missed[i]), err_str(rc));
        }
    }
    pending_cb(p);
    return APP_DEFER;
}

static int
vs_handle(void *arg, struct app_req *req)
{
    struct sti *s = arg;
    struct vs_worker *vw = req->wstate;
    const struct sip_msg *m = req->msg;
    struct stir_call call;
    struct stir_verdict v;
    struct sip_field f[3];
    int rc;

    if (m->method != SIP_METHOD_INVITE || !sti__src_match(&s->vsrc, req->src)) {
        return APP_PASS;
    }
    /* The usual INVITE passes unsigned: nothing to gather for it. */
    if (s->no_identity == STI_PASS && !s->vs_inline
        && !sip_msg_hdr(m, SIP_HDR_IDENTITY)) {
        return APP_PASS;
    }
    if (stir_call_from_msg(&call, m) != 0) {
        return APP_PASS;
    }
    if (call.nidentity == 0) {
        if (s->no_identity == STI_PASS) {
            if (s->vs_inline) {
                /* inline, nothing bypasses the proxy: forwarded as is */
                app_req_forward(req, NULL);
                return APP_DONE;
            }
            return APP_PASS;
        }
        if (s->no_identity == STI_REJECT) {
            report(m, 428, "no Identity header and policy requires one", false);
            sti__reason(vw->reason, sizeof(vw->reason), 428,
                "no Identity header and policy requires one");
            f[0] = SIP_FIELD("Reason", slice_cstr(vw->reason));
            app_req_reply(req, 428, SLICE_NULL, f, 1);
            return APP_DONE;
        }
        app_metrics_verification(APP_VERIFY_NO_IDENTITY, APP_VR_NONE);
        if (s->vs_inline) {
            forward_marked(vw, req, NULL, m, "No-TN-Validation", NULL);
            return APP_DONE;
        }
        f[0] = SIP_FIELD("Contact", contact_of(vw, m));
        f[1] = SIP_FIELD("P-Asserted-Identity",
            pai_with_verstat(
                vw->pai, sizeof(vw->pai), m, "No-TN-Validation", false));
        app_req_reply(req, 302, SLICE_NULL, f, f[1].value.len ? 2 : 1);
        return APP_DONE;
    }
    time_t now = time(NULL);
    struct vs_cred cr = { .s = s, .now = now };
    stir_verify(vw->v, &call, cred_cb, &cr, &s->pol, now, &v);
    if (v.code != STIR_PASS && cr.nmissed > 0) {
        cred_release(&cr);
        rc = defer(vw, req, &cr);
        if (rc == APP_DEFER) {
            return rc;
        }
        /* no room to wait: answer with what we know (436) */
    }
    rc = answer(vw, req, NULL, m, &call, &v, now);
    cred_release(&cr);
    return rc < 0 ? rc : APP_DONE;
}

static int
vs_worker_start(void *arg, struct app_worker *w, void **wstate)
{
    struct sti *s = arg;
    struct vs_worker *vw = calloc(1, sizeof(*vw));
    int rc;

    if (!vw) {
        return -ENOMEM;
    }
    vw->s = s;
    rc = stir_vctx_new(&vw->v);
    rc = rc ? rc : certfetch_new(&vw->f, s->cache, app_worker_loop(w));
    if (rc) {
        stir_vctx_free(vw->v);
        free(vw);
        return rc;
    }
    *wstate = vw;
    return 0;
}

static void
vs_worker_stop(void *arg, struct app_worker *w, void *wstate)
{
    struct vs_worker *vw = wstate;

    (void) arg;
    (void) w;
    /* The pipeline frees the deferred requests themselves. */
    certfetch_free(vw->f);
    while (vw->pending) {
        pending_free(vw->pending);
    }
    stir_vctx_free(vw->v);
    free(vw);
}

const struct app_service *
sti_vs_service(struct sti *s)
{
    s->vs = (struct app_service){
        .name = "sti-vs",
        .methods = APP_METHOD(SIP_METHOD_INVITE),
        .handle = vs_handle,
        .arg = s,
        .worker_start = vs_worker_start,
        .worker_stop = vs_worker_stop,
    };
    return &s->vs;
}
