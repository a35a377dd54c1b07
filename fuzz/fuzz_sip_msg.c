/*
 * Fuzzes the SIP message core: frame, parse (datagram and stream), every
 * value parser on every header, then build a response and a forwarded copy
 * and parse them again; what we build must parse and say the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip/sip_build.h"
#include "sip/sip_hdr.h"
#include "sip/sip_msg.h"
#include "sip/sip_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sip_msg m, r, c;
static char out[80000];

static void
check(bool ok)
{
    if (!ok) {
        abort();
    }
}

static void
uri_all(struct slice s)
{
    struct sip_uri u, u2;
    char buf[256];
    if (sip_uri_parse(&u, s) == 0) {
        check(sip_uri_parse(&u2, s) == 0 && sip_uri_equal(&u, &u2));
        struct slice n, v, rest = u.params;
        while (sip_param_next(&rest, &n, &v)) {
        }
        (void) sip_param_get(u.params, SLICE_LIT("transport"), &v);
        (void) sip_uri_unescape(buf, sizeof(buf), u.user);
    }
}

/* A proxy's CANCEL for what it forwarded (§9.1): one Via, ours. */
static void
cancel_of(const struct sip_msg *fwd)
{
    static char hop[65536]; /* out holds fwd */
    size_t len;

    if (sip_build_cancel(hop, sizeof(hop), &len, fwd) != 0) {
        return; /* no From or Call-ID: nothing to cancel with */
    }
    int rc = sip_msg_parse(&c, slice_make(hop, len));
    check(rc == 0 || rc == SIP_E_TOO_MANY_HDRS || rc == SIP_E_HDR_TOO_LONG);
    if (rc == 0) {
        check(c.request && c.method == SIP_METHOD_CANCEL && c.nvia == 1);
        check(slice_eq(c.branch, fwd->branch) && c.cseq == fwd->cseq);
        check(slice_eq(c.ruri, fwd->ruri));
    }
}

static void
values(const struct sip_msg *msg)
{
    char buf[256];
    for (size_t i = 0; i < msg->nhdr; i++) {
        const struct sip_hdr *h = &msg->hdr[i];
        struct slice v = h->value;
        union {
            struct sip_addr a;
            struct sip_via via;
            struct sip_cseq cs;
            struct sip_contact c;
            struct sip_auth au;
            struct sip_reason re;
            struct sip_warning w;
            struct sip_identity id;
            struct sip_identity_info ii;
        } u;
        uint32_t n;
        time_t t;
        struct slice tok, rest, item, pn, pv;
        switch (h->id) {
        case SIP_HDR_VIA:
            (void) sip_via_parse(&u.via, v);
            break;
        case SIP_HDR_CONTACT:
            if (sip_contact_parse(&u.c, v) == 0 && !u.c.star) {
                uri_all(u.c.addr.uri_s);
                (void) sip_display_unquote(buf, sizeof(buf), u.c.addr.display);
            }
            break;
        case SIP_HDR_FROM:
        case SIP_HDR_TO:
        case SIP_HDR_ROUTE:
        case SIP_HDR_RECORD_ROUTE:
        case SIP_HDR_P_ASSERTED_IDENTITY:
        case SIP_HDR_P_PREFERRED_IDENTITY:
        case SIP_HDR_REFER_TO:
        case SIP_HDR_REFERRED_BY:
        case SIP_HDR_REPLY_TO:
        case SIP_HDR_PATH:
        case SIP_HDR_SERVICE_ROUTE:
            if (sip_addr_parse(&u.a, v) == 0) {
                uri_all(u.a.uri_s);
                (void) sip_display_unquote(buf, sizeof(buf), u.a.display);
            }
            break;
        case SIP_HDR_CSEQ:
            (void) sip_cseq_parse(&u.cs, v);
            break;
        case SIP_HDR_EXPIRES:
        case SIP_HDR_MIN_EXPIRES:
            (void) sip_expires_parse(&n, v);
            break;
        case SIP_HDR_MAX_FORWARDS:
            (void) sip_max_forwards_parse(&n, v);
            break;
        case SIP_HDR_REQUIRE:
        case SIP_HDR_SUPPORTED:
        case SIP_HDR_UNSUPPORTED:
        case SIP_HDR_ALLOW:
        case SIP_HDR_PROXY_REQUIRE:
            (void) sip_token_parse(&tok, v);
            (void) sip_msg_has_token(msg, h->id, SLICE_LIT("100rel"));
            break;
        case SIP_HDR_DATE:
            if (sip_date_parse(&t, v) == 0) {
                char d[40];
                time_t t2;
                check(sip_date_format(d, sizeof(d), t) == 29);
                check(sip_date_parse(&t2, slice_make(d, 29)) == 0 && t2 == t);
            }
            break;
        case SIP_HDR_AUTHORIZATION:
        case SIP_HDR_PROXY_AUTHORIZATION:
        case SIP_HDR_WWW_AUTHENTICATE:
        case SIP_HDR_PROXY_AUTHENTICATE:
            if (sip_auth_parse(&u.au, v) == 0) {
                rest = u.au.params;
                while (sip_auth_param_next(&rest, &pn, &pv)) {
                }
            }
            break;
        case SIP_HDR_REASON:
            (void) sip_reason_parse(&u.re, v);
            break;
        case SIP_HDR_WARNING:
            (void) sip_warning_parse(&u.w, v);
            break;
        case SIP_HDR_IDENTITY:
            if (sip_identity_parse(&u.id, v) == 0 && u.id.info.len) {
                uri_all(u.id.info);
            }
            break;
        case SIP_HDR_IDENTITY_INFO:
            (void) sip_identity_info_parse(&u.ii, v);
            break;
        default:
            rest = v;
            while (sip_list_next(&rest, &item) == 1) {
            }
            break;
        }
    }
    if (msg->request) {
        uri_all(msg->ruri);
    }
}

static void
roundtrip(const struct sip_msg *req)
{
    const struct sip_field extra[] = {
        SIP_FIELD("Contact", SLICE_LIT("<sip:a@192.0.2.1>;q=0.5")),
        SIP_FIELD("Warning", SLICE_LIT("399 sipward \"fuzz\"")),
    };
    struct sip_resp_opts o = { .code = 302,
        .reason = SLICE_LIT("Moved Temporarily"),
        .server = SLICE_LIT("sipward"),
        .received = SLICE_LIT("192.0.2.9"),
        .rport = 5060,
        .extra = extra,
        .nextra = 2 };
    size_t len;
    int rc = sip_build_response(out, sizeof(out), &len, req, &o);
    if (rc == 0) {
        rc = sip_msg_parse(&r, slice_make(out, len));
        check(rc == 0 || rc == SIP_E_TOO_MANY_HDRS || rc == SIP_E_TOO_LARGE
            || rc == SIP_E_HDR_TOO_LONG);
        if (rc == 0) {
            check(!r.request && r.status == 302);
            check(slice_eq(r.call_id, req->call_id) && r.cseq == req->cseq);
            check(slice_eq(r.from_tag, req->from_tag));
            check(r.to_tag.len > 0);
            check(r.nvia == req->nvia);
            values(&r);
        }
    } else {
        check(rc == -ENOSPC);
    }
    const int rm[] = { SIP_HDR_ROUTE };
    struct sip_fwd_opts f = {
        .push_via = SLICE_LIT("SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKfuzz"),
        .dec_max_forwards = true,
        .record_route = SLICE_LIT("<sip:192.0.2.2;lr>"),
        .remove = rm,
        .nremove = 1,
        .received = SLICE_LIT("192.0.2.9"),
        .rport = 5070,
    };
    rc = sip_build_forward(out, sizeof(out), &len, req, &f);
    if (rc == 0) {
        rc = sip_msg_parse(&r, slice_make(out, len));
        check(rc == 0 || rc == SIP_E_TOO_MANY_HDRS || rc == SIP_E_TOO_LARGE
            || rc == SIP_E_TOO_MANY_VIAS || rc == SIP_E_HDR_TOO_LONG);
        if (rc == 0) {
            check(r.request && slice_eq(r.ruri, req->ruri));
            check(slice_eq(r.branch, SLICE_LIT("z9hG4bKfuzz")));
            check(r.nvia == req->nvia + 1);
            check(slice_eq(r.body, req->body));
            check(r.max_forwards
                == (req->max_forwards < 0 ? 70 : req->max_forwards - 1));
            cancel_of(&r);
        }
    } else {
        check(rc == -ENOSPC || rc == SIP_E_MAX_FORWARDS_RANGE);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice in = { (const char *) data, size };
    size_t n;

    int rc = sip_msg_parse(&m, in);
    if (rc == 0) {
        values(&m);
        if (m.request) {
            roundtrip(&m);
        }
    } else {
        check(rc < -4095 && sip_err_status(rc) >= 400);
    }
    rc = sip_msg_frame(in, &n);
    if (rc == 0 || rc == 1) {
        check(n > 0 && n <= size);
        if (rc == 0) {
            rc = sip_msg_parse_ex(
                &m, slice_make(in.p, n), &sip_limits_default, true);
            if (rc == 0) {
                values(&m);
            }
        }
    }
    return 0;
}
