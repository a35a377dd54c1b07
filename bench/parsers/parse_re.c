/*
 * parse_re.c - column for baresip's libre (re/re_sip.h, sip_msg_decode).
 *
 * What libre does per message (src/sip/msg.c, v1.1.0):
 *  - one byte-by-byte pass over the header block; values are `struct pl`
 *    views (pointer + length) into the caller's mbuf: zero-copy;
 *  - allocations: the sip_msg, its 32-bucket header hash table, and one
 *    struct sip_hdr per header value (comma-separated values of list headers
 *    such as Contact, Via, Route, Allow, Supported each get their own);
 *  - eagerly decoded: request line + Request-URI, the top Via, From, To
 *    (incl. tag), CSeq, Content-Type; Call-ID, Max-Forwards, Expires,
 *    Content-Length are cached as views;
 *  - lazily available only: Contact (raw value per entry; the column decodes
 *    every entry with sip_addr_decode, which is what a libre user does) and
 *    Identity (a hash lookup);
 *  - msg->tag = rand_u64(): two RAND_bytes() calls into OpenSSL's DRBG per
 *    message (Debian builds libre with OpenSSL).  Not parsing work, but part
 *    of every sip_msg_decode call; RESULTS.md quantifies it.
 *
 * Zero-copy input: sip_msg_decode takes a reference on the mbuf it parses
 * (mem_ref), so the mbuf must come from mem_alloc.  The column allocates one
 * mbuf header once, and per message points it at the driver's read-only
 * buffer; libre never writes through it while decoding.  The decoded message
 * drops its reference in sb_release, so the single header can be reused.
 */
#include <re.h>

#include "sipbench.h"

#ifndef RE_COLUMN_NAME
#define RE_COLUMN_NAME "re"
#define RE_COLUMN_NOTE ""
#endif

static struct mbuf *wrap; /* mem_zalloc'ed, no destructor: buf not owned */

const char *
sb_parser_name(void)
{
    return RE_COLUMN_NAME;
}

const char *
sb_parser_version(void)
{
    static char v[160];
    snprintf(
        v, sizeof(v), "libre %s%s", sys_libre_version_get(), RE_COLUMN_NOTE);
    return v;
}

int
sb_parser_init(void)
{
    if (libre_init())
        return -1;
    wrap = mem_zalloc(sizeof(*wrap), NULL);
    return wrap ? 0 : -1;
}

static inline sb_str
pl2s(const struct pl *pl)
{
    return sb_view(pl->p, pl->l);
}

static bool
contact_h(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    struct sb_fields *out = arg;
    struct sip_addr addr;
    (void) msg;

    if (sip_addr_decode(&addr, &hdr->val))
        return false; /* skip an undecodable entry, keep going */
    if (out->n_contacts < SB_MAX_CONTACTS) {
        out->contact_user[out->n_contacts] = pl2s(&addr.uri.user);
        out->contact_host[out->n_contacts] = pl2s(&addr.uri.host);
    }
    out->n_contacts++;
    return false; /* false = continue with the next Contact */
}

int
sb_parse_one(const char *buf, size_t len, struct sb_fields *out)
{
    struct sip_msg *msg = NULL;
    const struct sip_hdr *hdr;
    int err;

    wrap->buf = (uint8_t *) buf;
    wrap->size = wrap->end = len;
    wrap->pos = 0;

    err = sip_msg_decode(&msg, wrap);
    if (err)
        return err;
    out->priv = msg;

    out->is_request = msg->req;
    if (msg->req) {
        out->method = pl2s(&msg->met);
        out->ruri_user = pl2s(&msg->uri.user);
        out->ruri_host = pl2s(&msg->uri.host);
    } else {
        out->status = msg->scode;
    }
    out->from_user = pl2s(&msg->from.uri.user);
    out->from_host = pl2s(&msg->from.uri.host);
    out->from_tag = pl2s(&msg->from.tag);
    out->to_user = pl2s(&msg->to.uri.user);
    out->to_host = pl2s(&msg->to.uri.host);
    out->to_tag = pl2s(&msg->to.tag);
    out->via_branch = pl2s(&msg->via.branch);
    out->cseq_num = msg->cseq.num;
    out->cseq_method = pl2s(&msg->cseq.met);
    out->call_id = pl2s(&msg->callid);

    sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_h, out);

    hdr = sip_msg_hdr(msg, SIP_HDR_IDENTITY);
    if (hdr)
        out->identity = pl2s(&hdr->val);

    /* sip_msg_decode leaves mb->pos at the first body byte */
    out->body_len = mbuf_get_left(msg->mb);
    return 0;
}

void
sb_release(struct sb_fields *out)
{
    mem_deref(out->priv);
    out->priv = NULL;
}

void
sb_parser_fini(void)
{
    wrap->buf = NULL;
    mem_deref(wrap);
    libre_close();
}
