/*
 * SIP messages (RFC 3261 §7): a zero-copy parser that fills a caller-owned
 * struct with slices into the received buffer, and a stream framer.
 *
 * One pass over the input indexes every header; the values a stateless
 * responder needs (CSeq, Max-Forwards, Content-Length, From and To tags, the
 * top Via) are checked during that pass, everything else is parsed on demand
 * with the value parsers in sip_hdr.h. Nothing is allocated and nothing is
 * written into the input.
 */
#ifndef SW_SIP_SIP_MSG_H
#define SW_SIP_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"
#include "sip/sip_hdr.h"

/* Upper bound of the hdr[] array; the runtime limit may be lower. */
#define SIP_MAX_HDRS 128

/* Known headers: a dense enum (append only, values are stable). */
enum sip_hdr_id {
    SIP_HDR_OTHER = 0, /* unknown: kept verbatim */
    SIP_HDR_ACCEPT,
    SIP_HDR_ACCEPT_CONTACT, /* a */
    SIP_HDR_ACCEPT_ENCODING,
    SIP_HDR_ACCEPT_LANGUAGE,
    SIP_HDR_ALERT_INFO,
    SIP_HDR_ALLOW,
    SIP_HDR_ALLOW_EVENTS, /* u */
    SIP_HDR_AUTHENTICATION_INFO,
    SIP_HDR_AUTHORIZATION,
    SIP_HDR_CALL_ID, /* i */
    SIP_HDR_CALL_INFO,
    SIP_HDR_CONTACT, /* m */
    SIP_HDR_CONTENT_DISPOSITION,
    SIP_HDR_CONTENT_ENCODING, /* e */
    SIP_HDR_CONTENT_LANGUAGE,
    SIP_HDR_CONTENT_LENGTH, /* l */
    SIP_HDR_CONTENT_TYPE,   /* c */
    SIP_HDR_CSEQ,
    SIP_HDR_DATE,
    SIP_HDR_ERROR_INFO,
    SIP_HDR_EVENT, /* o */
    SIP_HDR_EXPIRES,
    SIP_HDR_FROM, /* f */
    SIP_HDR_HISTORY_INFO,
    SIP_HDR_IDENTITY,      /* y */
    SIP_HDR_IDENTITY_INFO, /* n */
    SIP_HDR_IN_REPLY_TO,
    SIP_HDR_MAX_FORWARDS,
    SIP_HDR_MIME_VERSION,
    SIP_HDR_MIN_EXPIRES,
    SIP_HDR_MIN_SE,
    SIP_HDR_ORGANIZATION,
    SIP_HDR_P_ASSERTED_IDENTITY,
    SIP_HDR_P_PREFERRED_IDENTITY,
    SIP_HDR_PATH,
    SIP_HDR_PRIORITY,
    SIP_HDR_PRIVACY,
    SIP_HDR_PROXY_AUTHENTICATE,
    SIP_HDR_PROXY_AUTHORIZATION,
    SIP_HDR_PROXY_REQUIRE,
    SIP_HDR_RACK,
    SIP_HDR_REASON,
    SIP_HDR_RECORD_ROUTE,
    SIP_HDR_REFER_TO,       /* r */
    SIP_HDR_REFERRED_BY,    /* b */
    SIP_HDR_REJECT_CONTACT, /* j */
    SIP_HDR_REPLY_TO,
    SIP_HDR_REQUEST_DISPOSITION, /* d */
    SIP_HDR_REQUIRE,
    SIP_HDR_RETRY_AFTER,
    SIP_HDR_ROUTE,
    SIP_HDR_RSEQ,
    SIP_HDR_SERVER,
    SIP_HDR_SERVICE_ROUTE,
    SIP_HDR_SESSION_EXPIRES, /* x */
    SIP_HDR_SUBJECT,         /* s */
    SIP_HDR_SUBSCRIPTION_STATE,
    SIP_HDR_SUPPORTED, /* k */
    SIP_HDR_TIMESTAMP,
    SIP_HDR_TO, /* t */
    SIP_HDR_UNSUPPORTED,
    SIP_HDR_USER_AGENT,
    SIP_HDR_VIA, /* v */
    SIP_HDR_WARNING,
    SIP_HDR_WWW_AUTHENTICATE,
    SIP_HDR_COUNT
};

enum sip_method {
    SIP_METHOD_OTHER = 0, /* extension method: see method name */
    SIP_METHOD_INVITE,
    SIP_METHOD_ACK,
    SIP_METHOD_BYE,
    SIP_METHOD_CANCEL,
    SIP_METHOD_REGISTER,
    SIP_METHOD_OPTIONS,
    SIP_METHOD_INFO,
    SIP_METHOD_PRACK,
    SIP_METHOD_UPDATE,
    SIP_METHOD_SUBSCRIBE,
    SIP_METHOD_NOTIFY,
    SIP_METHOD_REFER,
    SIP_METHOD_MESSAGE,
    SIP_METHOD_PUBLISH,
};

/*
 * Protocol defects. err_str() gives the text, which is the reason phrase of
 * the 400 (or 505/513/414) answer; sip_err_status() the status code.
 * Append only: the values are stable.
 */
enum sip_err {
    SIP_E_TOO_LARGE = SIP_E_FIRST - 1,
    SIP_E_BAD_REQUEST_LINE = SIP_E_FIRST - 2,
    SIP_E_BAD_STATUS_LINE = SIP_E_FIRST - 3,
    SIP_E_BAD_METHOD = SIP_E_FIRST - 4,
    SIP_E_VERSION = SIP_E_FIRST - 5,
    SIP_E_BAD_RURI = SIP_E_FIRST - 6,
    SIP_E_RURI_TOO_LONG = SIP_E_FIRST - 7,
    SIP_E_BAD_HDR = SIP_E_FIRST - 8,
    SIP_E_HDR_TOO_LONG = SIP_E_FIRST - 9,
    SIP_E_TOO_MANY_HDRS = SIP_E_FIRST - 10,
    SIP_E_TOO_MANY_VIAS = SIP_E_FIRST - 11,
    SIP_E_NO_END = SIP_E_FIRST - 12,
    SIP_E_NO_VIA = SIP_E_FIRST - 13,
    SIP_E_NO_FROM = SIP_E_FIRST - 14,
    SIP_E_NO_TO = SIP_E_FIRST - 15,
    SIP_E_NO_CALL_ID = SIP_E_FIRST - 16,
    SIP_E_NO_CSEQ = SIP_E_FIRST - 17,
    SIP_E_DUP_FROM = SIP_E_FIRST - 18,
    SIP_E_DUP_TO = SIP_E_FIRST - 19,
    SIP_E_DUP_CALL_ID = SIP_E_FIRST - 20,
    SIP_E_DUP_CSEQ = SIP_E_FIRST - 21,
    SIP_E_DUP_MAX_FORWARDS = SIP_E_FIRST - 22,
    SIP_E_DUP_CONTENT_LENGTH = SIP_E_FIRST - 23,
    SIP_E_BAD_VIA = SIP_E_FIRST - 24,
    SIP_E_BAD_FROM = SIP_E_FIRST - 25,
    SIP_E_BAD_TO = SIP_E_FIRST - 26,
    SIP_E_BAD_CALL_ID = SIP_E_FIRST - 27,
    SIP_E_BAD_CSEQ = SIP_E_FIRST - 28,
    SIP_E_CSEQ_RANGE = SIP_E_FIRST - 29,
    SIP_E_CSEQ_METHOD = SIP_E_FIRST - 30,
    SIP_E_BAD_MAX_FORWARDS = SIP_E_FIRST - 31,
    SIP_E_MAX_FORWARDS_RANGE = SIP_E_FIRST - 32,
    SIP_E_BAD_CONTENT_LENGTH = SIP_E_FIRST - 33,
    SIP_E_BODY_TRUNCATED = SIP_E_FIRST - 34,
    SIP_E_UNBALANCED_QUOTES = SIP_E_FIRST - 35,
    SIP_E_UNBALANCED_ANGLE = SIP_E_FIRST - 36,
    SIP_E_BAD_URI = SIP_E_FIRST - 37,
    SIP_E_URI_TOO_LONG = SIP_E_FIRST - 38,
    SIP_E_BAD_CONTACT = SIP_E_FIRST - 39,
    SIP_E_BAD_EXPIRES = SIP_E_FIRST - 40,
    SIP_E_BAD_DATE = SIP_E_FIRST - 41,
    SIP_E_BAD_AUTH = SIP_E_FIRST - 42,
    SIP_E_BAD_REASON = SIP_E_FIRST - 43,
    SIP_E_BAD_WARNING = SIP_E_FIRST - 44,
    SIP_E_BAD_IDENTITY = SIP_E_FIRST - 45,
    SIP_E_BAD_TOKEN = SIP_E_FIRST - 46,
    SIP_E_BAD_PARAM = SIP_E_FIRST - 47,
    SIP_E_BAD_ESCAPE = SIP_E_FIRST - 48,
    SIP_E_BAD_NAME_ADDR = SIP_E_FIRST - 49,
    SIP_E_EMPTY_VALUE = SIP_E_FIRST - 50,
    SIP_E_NUL_BYTE = SIP_E_FIRST - 51,
    SIP_E_BAD_IDENTITY_INFO = SIP_E_FIRST - 52,
    SIP_E_LAST = SIP_E_FIRST - 53 /* one past the last */
};

/** Configurable limits; hitting one is a 400 (513 for size). */
struct sip_limits {
    uint32_t max_msg;     /* whole message, bytes */
    uint32_t max_hdr_len; /* one header field, bytes */
    uint32_t max_uri;     /* Request-URI, bytes */
    uint16_t max_hdrs;    /* header values after splitting, <= SIP_MAX_HDRS */
    uint16_t max_via;     /* Via values */
};

extern const struct sip_limits sip_limits_default;

/* One header value. List headers (Via, Contact, Route, ...) are split at
 * commas outside quotes and angle brackets: one entry per value. */
struct sip_hdr {
    uint8_t id;    /* enum sip_hdr_id */
    uint8_t flags; /* SIP_HDR_F_* */
    int16_t next;  /* next entry with the same known id, or -1 */
    struct slice name;
    struct slice value; /* trimmed; may contain folded line breaks */
};

enum {
    SIP_HDR_F_SPLIT = 1, /* one of several values on the same line */
    SIP_HDR_F_LINE = 2,  /* first value of its header line */
};

struct sip_msg {
    struct slice buf; /* the message as framed (without discarded octets) */
    bool request;
    /* Request-Line */
    uint8_t method; /* enum sip_method */
    struct slice method_name;
    struct slice ruri;
    struct sip_uri uri; /* the Request-URI, parsed (zeroed for responses) */
    /* Status-Line */
    uint16_t status;
    struct slice reason;

    struct slice version; /* "SIP/2.0" as written */
    uint16_t nhdr;
    uint16_t nvia;
    int16_t first[SIP_HDR_COUNT]; /* first entry per id, -1 if absent */
    int16_t last[SIP_HDR_COUNT];  /* last entry per id, -1 if absent */

    /* Checked while parsing. */
    uint32_t cseq;
    uint8_t cseq_method; /* enum sip_method */
    struct slice cseq_method_name;
    int max_forwards;       /* -1 when absent */
    int64_t content_length; /* -1 when absent */
    struct slice call_id;
    struct slice from_tag;
    struct slice to_tag;
    struct slice branch;  /* top Via */
    struct sip_via via;   /* the top Via, parsed (valid when the parse
                           * returned 0) */
    struct sip_addr from; /* From and To, parsed */
    struct sip_addr to;

    struct slice body;
    struct sip_hdr hdr[SIP_MAX_HDRS];
};

/**
 * Parses one complete datagram or framed stream message with the default
 * limits. Returns 0, or a SIP_E_* / -errno code; on error the struct holds
 * whatever was parsed so far (m->request tells whether to answer).
 */
int sip_msg_parse(struct sip_msg *m, struct slice in);

/**
 * Same with explicit limits. With stream set, a body shorter than
 * Content-Length is -EAGAIN rather than SIP_E_BODY_TRUNCATED.
 */
int sip_msg_parse_ex(struct sip_msg *m, struct slice in,
    const struct sip_limits *lim, bool stream);

/**
 * Runs the value parsers over every Via, Contact, Route, Record-Route,
 * P-Asserted-Identity, Path, Expires, Date, token list, credentials,
 * Reason, Warning and Identity-Info value of a parsed message: 0, or the
 * first defect (SIP_E_BAD_VIA, SIP_E_BAD_CONTACT, SIP_E_BAD_DATE, ...) for
 * a precise 400. Identity is left to the STIR layer (a bad one is a 438).
 */
int sip_msg_validate(const struct sip_msg *m);

/**
 * Stream framing (RFC 3261 §18.3): 0 and *msg_len when buf starts with a
 * complete message, -EAGAIN when more bytes are needed, or
 * SIP_E_BAD_CONTENT_LENGTH, SIP_E_DUP_CONTENT_LENGTH (conflicting values),
 * SIP_E_TOO_LARGE. When buf starts with CR/LF octets (RFC 5626 §3.5.1
 * keep-alive) it returns 1 and *msg_len is the length of that run: consume
 * it, and answer "\r\n" when it was a double CRLF ping.
 */
int sip_msg_frame(struct slice buf, size_t *msg_len);
int sip_msg_frame_ex(struct slice buf, size_t *msg_len, uint32_t max_msg);

/** Status code to answer a parse error with (400, 414, 505 or 513). */
int sip_err_status(int err);

/** Registers the SIP_E_* names with err_register(); idempotent. The
 * parser calls it, so callers normally need not. */
void sip_err_init(void);

/** Header id of a (long or compact) header name, SIP_HDR_OTHER if unknown. */
enum sip_hdr_id sip_hdr_lookup(struct slice name);
/** Canonical long name of an id ("Call-ID"); "" for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdr_id id);

/** Method id of a method token (case-sensitive, RFC 3261 §7.1). */
enum sip_method sip_method_lookup(struct slice name);
const char *sip_method_name(enum sip_method m);

/** First value of a known header, or NULL. */
static inline const struct sip_hdr *
sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
    return m->first[id] >= 0 ? &m->hdr[m->first[id]] : NULL;
}

/** Next value with the same id, or NULL. */
static inline const struct sip_hdr *
sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
    return h->next >= 0 ? &m->hdr[h->next] : NULL;
}

/** First header (known or not) with this name, case-insensitive. */
const struct sip_hdr *sip_msg_hdr_find(
    const struct sip_msg *m, struct slice name);

#endif
