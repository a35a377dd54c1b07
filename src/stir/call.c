/* Fills struct stir_call from a message parsed by the sip layer. */
#include <string.h>

#include "sip/sip_msg.h"
#include "stir/stir_int.h"

static struct slice
first(const struct sip_msg *m, enum sip_hdr_id id)
{
    const struct sip_hdr *h = sip_msg_hdr(m, id);

    return h ? h->value : SLICE_NULL;
}

int
stir_call_from_msg(struct stir_call *c, const struct sip_msg *m)
{
    memset(c, 0, sizeof(*c));
    c->from = first(m, SIP_HDR_FROM);
    c->to = first(m, SIP_HDR_TO);
    c->pai = first(m, SIP_HDR_P_ASSERTED_IDENTITY);
    c->date = first(m, SIP_HDR_DATE);
    c->identity_info = first(m, SIP_HDR_IDENTITY_INFO);
    c->call_id = first(m, SIP_HDR_CALL_ID);
    c->cseq = first(m, SIP_HDR_CSEQ);
    c->contact = first(m, SIP_HDR_CONTACT);
    c->body = m->body;
    for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_IDENTITY);
         h && c->nidentity < STIR_MAX_IDENTITY; h = sip_msg_hdr_next(m, h)) {
        c->identity[c->nidentity++] = h->value;
    }
    if (!c->from.len || !c->to.len) {
        return STIR_E_MESSAGE;
    }
    return 0;
}
