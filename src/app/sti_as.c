/*
 * STI-AS (RFC 8224 §6.1, RFC 8588, ATIS-1000074 §5.2) as a 302 interface:
 * an INVITE without Identity from a configured originating source is
 * signed and answered 302 with Contact <Request-URI>, the Identity header
 * for the SBC to copy, and the Date the PASSporT's iat was taken from
 * (when the request had none).
 *
 * PASSporT: orig from P-Asserted-Identity (else From), dest from To, both
 * canonical TNs; attest from an Attestation or P-Attestation-Indicator
 * header, else stir.attest; origid from P-Origination-ID, else a new UUID;
 * iat from the request's Date (refused when more than the freshness window
 * away from now, §6.1), else now.
 */
#define LOG_MODULE "sti-as"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_metrics.h"
#include "app/sti_int.h"
#include "base/log.h"

struct as_worker {
    struct stir_signer *signer; /* NULL: no x5u known, cannot sign */
    char identity[2048];
    char contact[1024];
    char reason[512];
    char date[64];
    char origid[80];
};

static int
refuse(struct as_worker *aw, struct app_req *req, int code, const char *phrase,
    const char *text)
{
    struct sip_field f = SIP_FIELD("Reason", SLICE_NULL);

    app_metrics_signing(false);
    sti__reason(aw->reason, sizeof(aw->reason), code, text);
    f.value = slice_cstr(aw->reason);
    app_req_reply(req, code, slice_cstr(phrase), &f, 1);
    return APP_DONE;
}

/* A one-letter attestation header value, or 0. */
static char
attest_hdr(const struct sip_msg *m, const char *name)
{
    const struct sip_hdr *h = sip_msg_hdr_find(m, slice_cstr(name));
    if (!h) {
        return 0;
    }
    struct slice v = slice_trim(h->value);
    return v.len == 1 && strchr("ABC", v.p[0]) ? v.p[0] : -1;
}

static int
as_handle(void *arg, struct app_req *req)
{
    struct sti *s = arg;
    struct as_worker *aw = req->wstate;
    const struct sip_msg *m = req->msg;
    struct stir_call call;
    struct sip_field f[3];
    size_t n = 0;

    if (m->method != SIP_METHOD_INVITE || !sti__src_match(&s->asrc, req->src)
        || m->first[SIP_HDR_IDENTITY] >= 0
        || stir_call_from_msg(&call, m) != 0) {
        return APP_PASS;
    }
    if (!aw->signer) {
        return refuse(aw, req, 503, NULL,
            "STI-AS has no x5u: set stir.x5u or http.listen");
    }
    char attest = attest_hdr(m, "Attestation");
    if (!attest) {
        attest = attest_hdr(m, "P-Attestation-Indicator");
    }
    if (attest < 0) {
        return refuse(aw, req, 400, "Bad Attestation",
            "Attestation / P-Attestation-Indicator must be A, B or C");
    }
    const struct sip_hdr *oh =
        sip_msg_hdr_find(m, SLICE_LIT("P-Origination-ID"));
    const char *origid = NULL;
    if (oh) {
        if (slice_copy(aw->origid, sizeof(aw->origid), slice_trim(oh->value))
            != 0) {
            return refuse(aw, req, 400, "Bad Origination ID",
                "P-Origination-ID is longer than 79 characters");
        }
        origid = aw->origid;
    }
    time_t now = time(NULL), iat = now;
    bool add_date = call.date.len == 0;
    if (!add_date) {
        time_t d;
        if (sti__parse_date(call.date, &d) != 0) {
            return refuse(
                aw, req, 400, "Bad Date", "Date is not an RFC 1123 date");
        }
        if (d - now > (time_t) s->pol.freshness
            || now - d > (time_t) s->pol.freshness) {
            char t[160];
            snprintf(t, sizeof(t),
                "Date is %lld s away from now, more than the %u s window; "
                "not signing (RFC 8224 §6.1)",
                (long long) (d > now ? d - now : now - d), s->pol.freshness);
            return refuse(aw, req, 403, "Stale Date", t);
        }
        iat = d;
    } else {
        sti__fmt_date(now, aw->date, sizeof(aw->date));
    }
    struct stir_sign_opts o = {
        .attest = attest ? attest : s->attest,
        .origid = origid,
        .iat = iat,
        .orig_from_pai = true,
    };
    int len =
        stir_sign(aw->signer, &call, &o, aw->identity, sizeof(aw->identity));
    if (len == STIR_E_NOT_TN) {
        return refuse(aw, req, 403, "Not A Telephone Number",
            "P-Asserted-Identity/From and To must be telephone numbers to "
            "sign a SHAKEN PASSporT (RFC 8588)");
    }
    if (len < 0) {
        return refuse(aw, req, 500, NULL, err_str(len));
    }
    app_metrics_signing(true);
    if (s->as_inline) {
        /* Inline: the signed request goes on (RFC 8224 §6.1, §4). */
        f[n++] = SIP_FIELD("Identity", slice_make(aw->identity, (size_t) len));
        if (add_date) {
            f[n++] = SIP_FIELD("Date", slice_cstr(aw->date));
        }
        struct app_fwd fw = { .add = f, .nadd = n };
        app_req_forward(req, &fw);
        return APP_DONE;
    }
    struct sip_wbuf b;
    sip_wbuf_init(&b, aw->contact, sizeof(aw->contact));
    sip_wbuf_putc(&b, '<');
    sip_wbuf_put(&b, m->ruri);
    sip_wbuf_putc(&b, '>');
    f[n++] = SIP_FIELD("Contact", slice_make(aw->contact, b.len));
    f[n++] = SIP_FIELD("Identity", slice_make(aw->identity, (size_t) len));
    if (add_date) {
        f[n++] = SIP_FIELD("Date", slice_cstr(aw->date));
    }
    app_req_reply(req, 302, SLICE_NULL, f, n);
    return APP_DONE;
}

static int
as_worker_start(void *arg, struct app_worker *w, void **wstate)
{
    struct sti *s = arg;
    struct as_worker *aw = calloc(1, sizeof(*aw));

    (void) w;
    if (!aw) {
        return -ENOMEM;
    }
    if (s->x5u[0]) {
        int rc = stir_signer_new(
            &aw->signer, s->key_pem, s->key_len, slice_cstr(s->x5u));
        if (rc) {
            log_error("stir.key: cannot load the signing key: %s", err_str(rc));
            free(aw);
            return rc;
        }
    }
    *wstate = aw;
    return 0;
}

static void
as_worker_stop(void *arg, struct app_worker *w, void *wstate)
{
    struct as_worker *aw = wstate;

    (void) arg;
    (void) w;
    stir_signer_free(aw->signer);
    free(aw);
}

const struct app_service *
sti_as_service(struct sti *s)
{
    s->as = (struct app_service){
        .name = "sti-as",
        .methods = APP_METHOD(SIP_METHOD_INVITE),
        .handle = as_handle,
        .arg = s,
        .worker_start = as_worker_start,
        .worker_stop = as_worker_stop,
    };
    return &s->as;
}
