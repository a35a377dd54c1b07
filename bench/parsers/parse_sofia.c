/*
 * parse_sofia.c - column for sofia-sip (msg_make + sip_default_mclass()).
 *
 * What sofia-sip does per message (msg/msg_parser.c, msg_parser_util.c):
 *  - msg_make(): msg_create() (the msg_t and its su_home memory home),
 *    su_home_preload(len + 1024) (one block the header structures are then
 *    carved from), copy of the input into the message's own receive buffer,
 *    then msg_extract();
 *  - msg_extract() parses in place in that private copy: it looks the header
 *    name up in the message class's hash, NUL-terminates tokens inside the
 *    buffer and runs the header class's parser right away - all headers
 *    known to the class are parsed eagerly into structures (URLs split into
 *    user/host/params, Via params, CSeq number, Contact lists...); unknown
 *    headers (Identity, P-Asserted-Identity with the default class) become
 *    msg_unknown_t name/value pairs;
 *  - strings are char * into the private copy (NUL-terminated in place), so
 *    there are few copies but many small su_home allocations;
 *  - msg_destroy() releases the home (and with it everything) at once.
 *
 * In a sofia-sip stack the transport receives straight into the msg_t's
 * buffer (msg_buf_alloc/msg_recv_iovec), so the copy msg_make() does here
 * stands in for the recv(); it is a memcpy of < 1.5 KB, tens of ns.
 *
 * Column cost on top of the library: strlen() of each reported string, and
 * a linear scan of the unknown-header list for "Identity".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/sofia_features.h>

#include "sipbench.h"

#ifndef LIB_VERSION
#define LIB_VERSION "?"
#endif

static msg_mclass_t const *mclass;

const char *
sb_parser_name(void)
{
    return "sofia";
}

const char *
sb_parser_version(void)
{
    return "sofia-sip " SOFIA_SIP_VERSION " (Debian " LIB_VERSION ")";
}

int
sb_parser_init(void)
{
    mclass = sip_default_mclass();
    return mclass ? 0 : -1;
}

static inline void
url_parts(const url_t *u, sb_str *user, sb_str *host)
{
    *user = sb_cstr(u->url_user);
    *host = sb_cstr(u->url_host);
}

int
sb_parse_one(const char *buf, size_t len, struct sb_fields *out)
{
    msg_t *msg;
    sip_t *sip;
    sip_contact_t *m;
    msg_unknown_t *un;

    msg = msg_make(mclass, 0, buf, (ssize_t) len);
    if (!msg)
        return -1;
    out->priv = msg;
    sip = sip_object(msg);
    if (!sip || (sip->sip_flags & MSG_FLG_ERROR))
        return -1;

    if (sip->sip_request) {
        out->is_request = 1;
        out->method = sb_cstr(sip->sip_request->rq_method_name);
        url_parts(sip->sip_request->rq_url, &out->ruri_user, &out->ruri_host);
    } else if (sip->sip_status) {
        out->status = sip->sip_status->st_status;
    }
    if (sip->sip_from) {
        url_parts(sip->sip_from->a_url, &out->from_user, &out->from_host);
        out->from_tag = sb_cstr(sip->sip_from->a_tag);
    }
    if (sip->sip_to) {
        url_parts(sip->sip_to->a_url, &out->to_user, &out->to_host);
        out->to_tag = sb_cstr(sip->sip_to->a_tag);
    }
    if (sip->sip_via)
        out->via_branch = sb_cstr(sip->sip_via->v_branch);
    if (sip->sip_cseq) {
        out->cseq_num = sip->sip_cseq->cs_seq;
        out->cseq_method = sb_cstr(sip->sip_cseq->cs_method_name);
    }
    if (sip->sip_call_id)
        out->call_id = sb_cstr(sip->sip_call_id->i_id);

    for (m = sip->sip_contact; m; m = m->m_next) {
        if (out->n_contacts < SB_MAX_CONTACTS)
            url_parts(m->m_url, &out->contact_user[out->n_contacts],
                &out->contact_host[out->n_contacts]);
        out->n_contacts++;
    }

    for (un = sip->sip_unknown; un; un = un->un_next) {
        if (un->un_name && !strcasecmp(un->un_name, "Identity")) {
            out->identity = sb_cstr(un->un_value);
            break;
        }
    }

    if (sip->sip_payload)
        out->body_len = sip->sip_payload->pl_len;
    return 0;
}

void
sb_release(struct sb_fields *out)
{
    msg_destroy(out->priv);
    out->priv = NULL;
}

void
sb_parser_fini(void)
{
}
