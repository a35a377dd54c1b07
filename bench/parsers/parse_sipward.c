/*
 * parse_sipward.c - sipward's own parser (src/sip) as a column.
 *
 * Zero-copy and allocation-free: the parsed message lives in one static
 * struct sip_msg reused for every parse, every field is a slice into the
 * driver's read-only buffer. sip_msg_parse() indexes every header and
 * checks the core ones (From/To tags, CSeq, Call-ID, top Via branch); the
 * column then asks the lazy value parsers for the URIs and every Contact,
 * as an application would.
 */
#include "sipbench.h"

#include "sip/sip_hdr.h"
#include "sip/sip_msg.h"
#include "sip/sip_uri.h"

static struct sip_msg msg;

const char *
sb_parser_name(void)
{
    return "sipward";
}
const char *
sb_parser_version(void)
{
    return "sipward src/sip (this tree)";
}
int
sb_parser_init(void)
{
    return 0;
}

static sb_str
v(struct slice s)
{
    return sb_view(s.p, s.len);
}

int
sb_parse_one(const char *buf, size_t len, struct sb_fields *out)
{
    if (sip_msg_parse(&msg, slice_make(buf, len)) != 0)
        return -1;
    out->is_request = msg.request;
    if (msg.request) {
        out->method = v(msg.method_name);
        out->ruri_user = v(msg.uri.user); /* parsed by sip_msg_parse */
        out->ruri_host = v(msg.uri.host);
    } else {
        out->status = msg.status;
    }
    /* From and To are parsed by sip_msg_parse (it needs their tags). */
    out->from_user = v(msg.from.uri.user);
    out->from_host = v(msg.from.uri.host);
    out->to_user = v(msg.to.uri.user);
    out->to_host = v(msg.to.uri.host);
    out->from_tag = v(msg.from_tag);
    out->to_tag = v(msg.to_tag);
    out->via_branch = v(msg.branch);
    out->cseq_num = msg.cseq;
    out->cseq_method = v(msg.cseq_method_name);
    out->call_id = v(msg.call_id);
    for (const struct sip_hdr *h = sip_msg_hdr(&msg, SIP_HDR_CONTACT); h;
         h = sip_msg_hdr_next(&msg, h)) {
        struct sip_contact c;
        if (sip_contact_parse(&c, h->value) != 0)
            return -1;
        if (out->n_contacts < SB_MAX_CONTACTS) {
            out->contact_user[out->n_contacts] = v(c.addr.uri.user);
            out->contact_host[out->n_contacts] = v(c.addr.uri.host);
        }
        out->n_contacts++;
    }
    const struct sip_hdr *id = sip_msg_hdr(&msg, SIP_HDR_IDENTITY);
    if (id)
        out->identity = v(id->value);
    out->body_len = msg.body.len;
    return 0;
}

void
sb_release(struct sb_fields *out)
{
    (void) out;
}
void
sb_parser_fini(void)
{
}
