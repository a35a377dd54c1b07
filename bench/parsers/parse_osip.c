/*
 * parse_osip.c - column for GNU oSIP (libosipparser2, osip_message_parse).
 *
 * What oSIP does per message (osip_message_parse.c and the header parsers):
 *  - copies the whole input (osip_malloc(len + 2)) and rewrites line folds
 *    in the copy, then walks it header by header;
 *  - per header line: malloc'ed copies of the name and of the value, split
 *    at top-level commas for list headers, each piece again copied and
 *    parsed by the header's own parser (Via, From, To, Contact, Route,
 *    Record-Route, CSeq, Call-ID, Content-Type, Authorization, ...) into
 *    structures whose every string (scheme, user, host, port, each
 *    parameter name and value) is its own malloc'ed NUL-terminated copy;
 *    unknown headers (Identity, P-Asserted-Identity, Date...) become a
 *    malloc'ed name/value pair;
 *  - the body is copied once more into an osip_body_t;
 *  - everything is eager; nothing is parsed on access.
 *  - osip_message_free() walks all of it and frees every piece.
 *
 * Column cost on top of the library: strlen() of each string it reports
 * (oSIP strings are NUL-terminated, the contract wants lengths), strtoul()
 * of the CSeq number (oSIP keeps it as a string), and re-joining the Call-ID
 * (oSIP splits it at '@' into number and host) into a static scratch
 * buffer.  All three are a few dozen ns against the multi-microsecond parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "sipbench.h"

#ifndef LIB_VERSION
#define LIB_VERSION "?"
#endif

static char callid_buf[1024];

const char *
sb_parser_name(void)
{
    return "osip";
}

const char *
sb_parser_version(void)
{
    return "libosip2 " LIB_VERSION;
}

int
sb_parser_init(void)
{
    return parser_init();
}

static inline void
uri_parts(const osip_uri_t *u, sb_str *user, sb_str *host)
{
    if (!u)
        return;
    *user = sb_cstr(u->username);
    *host = sb_cstr(u->host);
}

int
sb_parse_one(const char *buf, size_t len, struct sb_fields *out)
{
    osip_message_t *sip = NULL;
    osip_generic_param_t *param = NULL;
    osip_via_t *via = NULL;
    osip_header_t *hdr = NULL;
    osip_body_t *body = NULL;
    osip_list_iterator_t it;
    osip_contact_t *ct;

    if (osip_message_init(&sip))
        return -1;
    out->priv = sip;
    if (osip_message_parse(sip, buf, len))
        return -1;

    out->is_request = MSG_IS_REQUEST(sip);
    if (out->is_request) {
        out->method = sb_cstr(sip->sip_method);
        uri_parts(sip->req_uri, &out->ruri_user, &out->ruri_host);
    } else {
        out->status = sip->status_code;
    }

    if (sip->from) {
        uri_parts(sip->from->url, &out->from_user, &out->from_host);
        if (!osip_from_get_tag(sip->from, &param) && param)
            out->from_tag = sb_cstr(param->gvalue);
    }
    if (sip->to) {
        uri_parts(sip->to->url, &out->to_user, &out->to_host);
        param = NULL;
        if (!osip_to_get_tag(sip->to, &param) && param)
            out->to_tag = sb_cstr(param->gvalue);
    }
    if (osip_message_get_via(sip, 0, &via) >= 0 && via) {
        param = NULL;
        if (!osip_via_param_get_byname(via, "branch", &param) && param)
            out->via_branch = sb_cstr(param->gvalue);
    }
    if (sip->cseq) {
        out->cseq_num = (uint32_t) strtoul(sip->cseq->number, NULL, 10);
        out->cseq_method = sb_cstr(sip->cseq->method);
    }
    if (sip->call_id && sip->call_id->number) {
        const char *n = sip->call_id->number, *h = sip->call_id->host;
        size_t nl = strlen(n), hl = h ? strlen(h) : 0;
        if (!h) {
            out->call_id = sb_view(n, nl);
        } else if (nl + 1 + hl <= sizeof(callid_buf)) {
            memcpy(callid_buf, n, nl);
            callid_buf[nl] = '@';
            memcpy(callid_buf + nl + 1, h, hl);
            out->call_id = sb_view(callid_buf, nl + 1 + hl);
        }
    }

    for (ct = osip_list_get_first(&sip->contacts, &it); ct;
         ct = osip_list_get_next(&it)) {
        if (out->n_contacts < SB_MAX_CONTACTS)
            uri_parts(ct->url, &out->contact_user[out->n_contacts],
                &out->contact_host[out->n_contacts]);
        out->n_contacts++;
    }

    if (osip_message_header_get_byname(sip, "identity", 0, &hdr) >= 0 && hdr)
        out->identity = sb_cstr(hdr->hvalue);

    if (osip_message_get_body(sip, 0, &body) >= 0 && body)
        out->body_len = body->length;
    return 0;
}

void
sb_release(struct sb_fields *out)
{
    osip_message_free(out->priv);
    out->priv = NULL;
}

void
sb_parser_fini(void)
{
    /* oSIP has no parser teardown in its public API */
}
