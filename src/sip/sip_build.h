/*
 * Building SIP messages into a caller's buffer: responses from a request
 * (RFC 3261 §8.2.6), requests for the client side, and the edits a proxy
 * makes when it forwards (§16.6). No allocation; every function writes an
 * exact Content-Length.
 */
#ifndef SW_SIP_SIP_BUILD_H
#define SW_SIP_SIP_BUILD_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"
#include "sip/sip_msg.h"

/* An output buffer; once it overflows, err is -ENOSPC and further writes are
 * ignored. */
struct sip_wbuf {
    char *p;
    size_t size;
    size_t len;
    int err;
};

void sip_wbuf_init(struct sip_wbuf *w, char *p, size_t size);
void sip_wbuf_put(struct sip_wbuf *w, struct slice s);
void sip_wbuf_puts(struct sip_wbuf *w, const char *s);
void sip_wbuf_putc(struct sip_wbuf *w, char c);
void sip_wbuf_putu(struct sip_wbuf *w, uint64_t v);
void sip_wbuf_printf(struct sip_wbuf *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/**
 * n bytes at the end of w to write into, or NULL (w->err set) when they do
 * not fit; add what was written to w->len.
 */
static inline char *
sip_wbuf_room(struct sip_wbuf *w, size_t n)
{
    if (w->err || n > w->size - w->len) {
        w->err = w->err ? w->err : -ENOSPC;
        return NULL;
    }
    return w->p + w->len;
}
/** "Name: value\r\n". */
void sip_wbuf_hdr(struct sip_wbuf *w, struct slice name, struct slice value);

/* A header to add: name and value, written "name: value\r\n". */
struct sip_field {
    struct slice name;
    struct slice value;
};

#define SIP_FIELD(n, v) ((struct sip_field){ SLICE_LIT(n), (v) })

struct sip_resp_opts {
    int code;
    struct slice reason; /* empty: sip_code_reason(code) */
    /* To tag for code > 100 when the request's To has none; empty: derived
     * from Call-ID, From tag and top Via branch (stable across
     * retransmissions). */
    struct slice to_tag;
    struct slice server; /* Server header value; empty: none */
    /* RFC 3261 §18.2.1 / RFC 3581: added to the top Via when set (the
     * transport knows the source address); rport fills a valueless
     * rport parameter. */
    struct slice received;
    int rport;                     /* 0: leave rport alone */
    const struct sip_via *top_via; /* req's top Via, parsed; NULL: parse */
    const struct sip_field *extra; /* Contact, Warning, Reason, ... */
    size_t nextra;
    struct slice content_type; /* with body */
    struct slice body;
};

/**
 * Builds a response to req into out (§8.2.6.2): every Via, From, To (with a
 * tag), Call-ID and CSeq copied, then Server, extra headers, Content-Length
 * and body. Returns 0 and *len, or -ENOSPC, or -EINVAL (req not a request).
 */
int sip_build_response(char *out, size_t size, size_t *len,
    const struct sip_msg *req, const struct sip_resp_opts *o);

/* What a response to a request copies from it (every Via, From, To with
 * its tag, Call-ID, CSeq), kept so that a deferred request can be answered
 * without parsing it again. tag_at/tag_len: the ";tag=..." added to To. */
struct sip_resp_head {
    struct slice text;
    size_t tag_at, tag_len;
};

/**
 * The head of a response to req into out, as sip_build_response writes it
 * (o gives received, rport, top_via and to_tag; not the code). 0, -ENOSPC,
 * or -EINVAL (req not a request, or no Via).
 */
int sip_build_response_head(char *out, size_t size, struct sip_resp_head *head,
    const struct sip_msg *req, const struct sip_resp_opts *o);

/**
 * A response from a head: status line, head (without the To tag for a
 * 100), then Server, extra headers, Content-Length and body of o.
 * 0 and *len, -ENOSPC or -EINVAL (bad code).
 */
int sip_build_response_from_head(char *out, size_t size, size_t *len,
    const struct sip_resp_head *head, const struct sip_resp_opts *o);

/** The tag sip_build_response derives when none is given (16 hex digits). */
void sip_build_tag(char dst[17], const struct sip_msg *req);

struct sip_req_opts {
    struct slice method; /* "INVITE" */
    struct slice ruri;
    struct slice via_transport; /* "UDP" */
    struct slice via_host;      /* sent-by host[:port] */
    struct slice branch;        /* must start with z9hG4bK */
    struct slice from;          /* name-addr, without tag */
    struct slice from_tag;
    struct slice to; /* name-addr, with tag if in-dialog */
    struct slice call_id;
    uint32_t cseq;
    uint32_t max_forwards; /* 0 means 70 */
    const struct sip_field *extra;
    size_t nextra;
    struct slice content_type;
    struct slice body;
};

/** Builds a request (§8.1.1). Returns 0 and *len or -ENOSPC/-EINVAL. */
int sip_build_request(
    char *out, size_t size, size_t *len, const struct sip_req_opts *o);

/* One header entry of the message forwarded with another value, or dropped
 * (value empty): a Route naming us, an identity with verstat added. */
struct sip_hdr_edit {
    const struct sip_hdr *hdr; /* an entry of the message's hdr[] */
    struct slice value;
};

/* The edits a proxy makes when forwarding (§16.6). */
struct sip_fwd_opts {
    struct slice ruri;     /* new Request-URI; empty: keep */
    struct slice push_via; /* Via value to insert on top; empty: none */
    bool pop_via;          /* remove the top Via (responses) */
    bool dec_max_forwards; /* decrement (add "Max-Forwards: 70" if absent) */
    struct slice record_route; /* Record-Route value to add on top */
    const int *remove;         /* header ids to remove entirely */
    size_t nremove;
    const struct slice *remove_names; /* unknown headers by name */
    size_t nremove_names;
    const struct sip_field *add; /* appended after the existing headers */
    size_t nadd;
    const struct sip_hdr_edit *edit; /* entries replaced or dropped */
    size_t nedit;
    /* Requests: the received/rport the server transport adds to the
     * sender's Via (§18.2.1, RFC 3581), so relayed responses carry them;
     * applied to the first Via of m (below a pushed one). */
    struct slice received;
    int rport;
    bool replace_body; /* use body/content_type below */
    struct slice content_type;
    struct slice body;
};

/**
 * Serializes m with the edits into out. Returns 0 and *len, -ENOSPC,
 * SIP_E_MAX_FORWARDS_RANGE when Max-Forwards is already 0 (the caller
 * answers 483), or -EINVAL when pop_via finds no Via.
 */
int sip_build_forward(char *out, size_t size, size_t *len,
    const struct sip_msg *m, const struct sip_fwd_opts *o);

/**
 * The CANCEL for a request a client sent (RFC 3261 §9.1): its Request-URI,
 * top Via only, From, To, Call-ID, CSeq number and Route headers.
 * Returns 0 and *len, -ENOSPC, or -EINVAL (req not a request).
 */
int sip_build_cancel(
    char *out, size_t size, size_t *len, const struct sip_msg *req);

/**
 * The ACK for a non-2xx final response to INVITE req (§17.1.1.3): as the
 * CANCEL, with the To of the response. 0 and *len, -ENOSPC or -EINVAL.
 */
int sip_build_ack(char *out, size_t size, size_t *len,
    const struct sip_msg *req, const struct sip_msg *resp);

#endif
