/*
 * The message parser: one pass over the buffer, headers indexed as they
 * are met, slices only (RFC 3261 §7).
 */
#include "sip/sip_msg.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "sip/sip_hdr.h"
#include "sip/sip_hdr_hash.h"
#include "sip/sip_int.h"
#include "sip/sip_scan.h"
#include "sip/sip_uri.h"

const struct sip_limits sip_limits_default = {
    .max_msg = 65535,
    .max_hdr_len = 8192,
    .max_uri = 2048,
    .max_hdrs = SIP_MAX_HDRS,
    .max_via = 64,
};

/* Long names; sip_hdr_hash.py reads this table. */
static const char *const hdr_names[SIP_HDR_COUNT] = {
    [SIP_HDR_OTHER] = "",
    [SIP_HDR_ACCEPT] = "Accept",
    [SIP_HDR_ACCEPT_CONTACT] = "Accept-Contact",
    [SIP_HDR_ACCEPT_ENCODING] = "Accept-Encoding",
    [SIP_HDR_ACCEPT_LANGUAGE] = "Accept-Language",
    [SIP_HDR_ALERT_INFO] = "Alert-Info",
    [SIP_HDR_ALLOW] = "Allow",
    [SIP_HDR_ALLOW_EVENTS] = "Allow-Events",
    [SIP_HDR_AUTHENTICATION_INFO] = "Authentication-Info",
    [SIP_HDR_AUTHORIZATION] = "Authorization",
    [SIP_HDR_CALL_ID] = "Call-ID",
    [SIP_HDR_CALL_INFO] = "Call-Info",
    [SIP_HDR_CONTACT] = "Contact",
    [SIP_HDR_CONTENT_DISPOSITION] = "Content-Disposition",
    [SIP_HDR_CONTENT_ENCODING] = "Content-Encoding",
    [SIP_HDR_CONTENT_LANGUAGE] = "Content-Language",
    [SIP_HDR_CONTENT_LENGTH] = "Content-Length",
    [SIP_HDR_CONTENT_TYPE] = "Content-Type",
    [SIP_HDR_CSEQ] = "CSeq",
    [SIP_HDR_DATE] = "Date",
    [SIP_HDR_ERROR_INFO] = "Error-Info",
    [SIP_HDR_EVENT] = "Event",
    [SIP_HDR_EXPIRES] = "Expires",
    [SIP_HDR_FROM] = "From",
    [SIP_HDR_HISTORY_INFO] = "History-Info",
    [SIP_HDR_IDENTITY] = "Identity",
    [SIP_HDR_IDENTITY_INFO] = "Identity-Info",
    [SIP_HDR_IN_REPLY_TO] = "In-Reply-To",
    [SIP_HDR_MAX_FORWARDS] = "Max-Forwards",
    [SIP_HDR_MIME_VERSION] = "MIME-Version",
    [SIP_HDR_MIN_EXPIRES] = "Min-Expires",
    [SIP_HDR_MIN_SE] = "Min-SE",
    [SIP_HDR_ORGANIZATION] = "Organization",
    [SIP_HDR_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
    [SIP_HDR_P_PREFERRED_IDENTITY] = "P-Preferred-Identity",
    [SIP_HDR_PATH] = "Path",
    [SIP_HDR_PRIORITY] = "Priority",
    [SIP_HDR_PRIVACY] = "Privacy",
    [SIP_HDR_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
    [SIP_HDR_PROXY_AUTHORIZATION] = "Proxy-Authorization",
    [SIP_HDR_PROXY_REQUIRE] = "Proxy-Require",
    [SIP_HDR_RACK] = "RAck",
    [SIP_HDR_REASON] = "Reason",
    [SIP_HDR_RECORD_ROUTE] = "Record-Route",
    [SIP_HDR_REFER_TO] = "Refer-To",
    [SIP_HDR_REFERRED_BY] = "Referred-By",
    [SIP_HDR_REJECT_CONTACT] = "Reject-Contact",
    [SIP_HDR_REPLY_TO] = "Reply-To",
    [SIP_HDR_REQUEST_DISPOSITION] = "Request-Disposition",
    [SIP_HDR_REQUIRE] = "Require",
    [SIP_HDR_RETRY_AFTER] = "Retry-After",
    [SIP_HDR_ROUTE] = "Route",
    [SIP_HDR_RSEQ] = "RSeq",
    [SIP_HDR_SERVER] = "Server",
    [SIP_HDR_SERVICE_ROUTE] = "Service-Route",
    [SIP_HDR_SESSION_EXPIRES] = "Session-Expires",
    [SIP_HDR_SUBJECT] = "Subject",
    [SIP_HDR_SUBSCRIPTION_STATE] = "Subscription-State",
    [SIP_HDR_SUPPORTED] = "Supported",
    [SIP_HDR_TIMESTAMP] = "Timestamp",
    [SIP_HDR_TO] = "To",
    [SIP_HDR_UNSUPPORTED] = "Unsupported",
    [SIP_HDR_USER_AGENT] = "User-Agent",
    [SIP_HDR_VIA] = "Via",
    [SIP_HDR_WARNING] = "Warning",
    [SIP_HDR_WWW_AUTHENTICATE] = "WWW-Authenticate",
};

/* Headers whose values are comma-separated lists (RFC 3261 §7.3.1): split
 * into one entry per value. Authorization and friends, Date and the
 * free-text headers are not. */
static const uint8_t hdr_list[SIP_HDR_COUNT] = {
    [SIP_HDR_ACCEPT] = 1,
    [SIP_HDR_ACCEPT_CONTACT] = 1,
    [SIP_HDR_ACCEPT_ENCODING] = 1,
    [SIP_HDR_ACCEPT_LANGUAGE] = 1,
    [SIP_HDR_ALERT_INFO] = 1,
    [SIP_HDR_ALLOW] = 1,
    [SIP_HDR_ALLOW_EVENTS] = 1,
    [SIP_HDR_CALL_INFO] = 1,
    [SIP_HDR_CONTACT] = 1,
    [SIP_HDR_CONTENT_ENCODING] = 1,
    [SIP_HDR_CONTENT_LANGUAGE] = 1,
    [SIP_HDR_ERROR_INFO] = 1,
    [SIP_HDR_HISTORY_INFO] = 1,
    [SIP_HDR_IN_REPLY_TO] = 1,
    [SIP_HDR_P_ASSERTED_IDENTITY] = 1,
    [SIP_HDR_P_PREFERRED_IDENTITY] = 1,
    [SIP_HDR_PATH] = 1,
    [SIP_HDR_PROXY_REQUIRE] = 1,
    [SIP_HDR_REASON] = 1,
    [SIP_HDR_RECORD_ROUTE] = 1,
    [SIP_HDR_REJECT_CONTACT] = 1,
    [SIP_HDR_REQUEST_DISPOSITION] = 1,
    [SIP_HDR_REQUIRE] = 1,
    [SIP_HDR_ROUTE] = 1,
    [SIP_HDR_SERVICE_ROUTE] = 1,
    [SIP_HDR_SUPPORTED] = 1,
    [SIP_HDR_UNSUPPORTED] = 1,
    [SIP_HDR_VIA] = 1,
    [SIP_HDR_WARNING] = 1,
};

/* Compact forms (RFC 3261 §7.3.3, RFC 3841, 3515, 3892, 4028, 4474, 8224). */
static const uint8_t compact[26] = {
    ['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT,
    ['b' - 'a'] = SIP_HDR_REFERRED_BY,
    ['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
    ['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION,
    ['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
    ['f' - 'a'] = SIP_HDR_FROM,
    ['i' - 'a'] = SIP_HDR_CALL_ID,
    ['j' - 'a'] = SIP_HDR_REJECT_CONTACT,
    ['k' - 'a'] = SIP_HDR_SUPPORTED,
    ['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
    ['m' - 'a'] = SIP_HDR_CONTACT,
    ['n' - 'a'] = SIP_HDR_IDENTITY_INFO,
    ['o' - 'a'] = SIP_HDR_EVENT,
    ['r' - 'a'] = SIP_HDR_REFER_TO,
    ['s' - 'a'] = SIP_HDR_SUBJECT,
    ['t' - 'a'] = SIP_HDR_TO,
    ['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
    ['v' - 'a'] = SIP_HDR_VIA,
    ['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
    ['y' - 'a'] = SIP_HDR_IDENTITY,
};

static const char *const err_names[] = {
    "Message Too Large",
    "Malformed Request-Line",
    "Malformed Status-Line",
    "Malformed Method",
    "SIP Version Not Supported",
    "Malformed Request-URI",
    "Request-URI Too Long",
    "Malformed Header Line",
    "Header Too Long",
    "Too Many Headers",
    "Too Many Via Headers",
    "Missing End of Headers",
    "Missing Via",
    "Missing From",
    "Missing To",
    "Missing Call-ID",
    "Missing CSeq",
    "Duplicate From",
    "Duplicate To",
    "Duplicate Call-ID",
    "Duplicate CSeq",
    "Duplicate Max-Forwards",
    "Duplicate Content-Length",
    "Malformed Via",
    "Malformed From",
    "Malformed To",
    "Malformed Call-ID",
    "Malformed CSeq",
    "CSeq Number Out of Range",
    "CSeq method does not match request",
    "Malformed Max-Forwards",
    "Max-Forwards Out of Range",
    "Malformed Content-Length",
    "Body Shorter Than Content-Length",
    "Unbalanced Quotes",
    "Unbalanced Angle Brackets",
    "Malformed URI",
    "URI Too Long",
    "Malformed Contact",
    "Malformed Expires",
    "Malformed Date",
    "Malformed Authorization",
    "Malformed Reason",
    "Malformed Warning",
    "Malformed Identity",
    "Malformed Token",
    "Malformed Parameter",
    "Malformed Escape",
    "Malformed Address",
    "Empty Header Value",
    "NUL Byte in Header",
    "Malformed Identity-Info",
};

_Static_assert(sizeof(err_names) / sizeof(err_names[0])
        == (size_t) (SIP_E_FIRST - 1 - SIP_E_LAST),
    "one name per SIP_E_* code");

static atomic_bool err_done;

void
sip_err_init(void)
{
    if (!atomic_load_explicit(&err_done, memory_order_acquire)) {
        err_register(
            SIP_E_FIRST, err_names, sizeof(err_names) / sizeof(err_names[0]));
        atomic_store_explicit(&err_done, true, memory_order_release);
    }
}

int
sip_err_status(int err)
{
    switch (err) {
    case 0:
        return 0;
    case SIP_E_VERSION:
        return 505;
    case SIP_E_TOO_LARGE:
        return 513;
    case SIP_E_RURI_TOO_LONG:
        return 414;
    default:
        return 400;
    }
}

const char *
sip_hdr_name(enum sip_hdr_id id)
{
    return (unsigned) id < SIP_HDR_COUNT ? hdr_names[id] : "";
}

/* Name is a token of exactly strlen(lit) bytes; compares case-insensitively
 * by or-ing 0x20 in. lit holds letters, '-' and '/': the only other bytes
 * that fold onto those are controls (CR onto '-', 0x0F onto '/'), which
 * callers rule out (header-name scans stop at CR; '/' and the '-' of
 * Content-Length are checked exactly). */
static inline uint64_t
load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v | 0x2020202020202020ULL;
}

static inline uint16_t
load2(const char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v | 0x2020u;
}

static inline uint32_t
load4(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v | 0x20202020u;
}

static inline __attribute__((always_inline)) bool
name_is(const char *p, const char *lit, size_t len)
{
    /* Word compares, never reading outside either string: the first and
     * last words overlap when len is not a multiple. */
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8) {
            if (load8(p + i) != load8(lit + i)) {
                return false;
            }
        }
        return load8(p + len - 8) == load8(lit + len - 8);
    }
    if (len >= 4) {
        return load4(p) == load4(lit)
            && load4(p + len - 4) == load4(lit + len - 4);
    }
    if (len >= 2) {
        return load2(p) == load2(lit)
            && load2(p + len - 2) == load2(lit + len - 2);
    }
    return len == 0 || (p[0] | 0x20) == (lit[0] | 0x20);
}

/* The key sip_hdr_hash.py hashes: first, middle and last byte with 0x20
 * or-ed in (which folds the case of letters) and the length. */
static inline uint32_t
hdr_key(const char *p, size_t len)
{
    return ((uint32_t) (unsigned char) p[0]
               | (uint32_t) (unsigned char) p[len - 1] << 8
               | (uint32_t) (unsigned char) p[len / 2] << 16 | 0x202020u)
        | (uint32_t) len << 24;
}

static inline __attribute__((always_inline)) enum sip_hdr_id
hdr_lookup(const char *p, size_t len)
{
    if (len == 1) {
        char c = sip__lower(p[0]);
        return (c >= 'a' && c <= 'z') ? compact[c - 'a'] : SIP_HDR_OTHER;
    }
    /* A perfect hash of the long names (sip_hdr_hash.h): one candidate
     * with its length (empty slots have none), compared word by word. */
    unsigned slot = hdr_slot[(hdr_key(p, len) * SIP_HDR_HASH_MUL) >> 24];
    if ((slot >> 8) == len && name_is(p, hdr_names[slot & 0xff], len)) {
        return (enum sip_hdr_id)(slot & 0xff);
    }
    return SIP_HDR_OTHER;
}

enum sip_hdr_id
sip_hdr_lookup(struct slice name)
{
    return name.len ? hdr_lookup(name.p, name.len) : SIP_HDR_OTHER;
}

static const struct {
    const char *name;
    uint8_t len;
} methods[] = {
    [SIP_METHOD_OTHER] = { "", 0 },
    [SIP_METHOD_INVITE] = { "INVITE", 6 },
    [SIP_METHOD_ACK] = { "ACK", 3 },
    [SIP_METHOD_BYE] = { "BYE", 3 },
    [SIP_METHOD_CANCEL] = { "CANCEL", 6 },
    [SIP_METHOD_REGISTER] = { "REGISTER", 8 },
    [SIP_METHOD_OPTIONS] = { "OPTIONS", 7 },
    [SIP_METHOD_INFO] = { "INFO", 4 },
    [SIP_METHOD_PRACK] = { "PRACK", 5 },
    [SIP_METHOD_UPDATE] = { "UPDATE", 6 },
    [SIP_METHOD_SUBSCRIBE] = { "SUBSCRIBE", 9 },
    [SIP_METHOD_NOTIFY] = { "NOTIFY", 6 },
    [SIP_METHOD_REFER] = { "REFER", 5 },
    [SIP_METHOD_MESSAGE] = { "MESSAGE", 7 },
    [SIP_METHOD_PUBLISH] = { "PUBLISH", 7 },
};

#define METHOD_IS(m)                                                           \
    (memcmp(name.p, methods[m].name, methods[m].len) == 0 ? (m)                \
                                                          : SIP_METHOD_OTHER)

enum sip_method
sip_method_lookup(struct slice name)
{
    /* Methods are case-sensitive (§7.1): length and first letter pick the
     * one candidate, compared with a constant-length memcmp. */
    switch (name.len) {
    case 3:
        return name.p[0] == 'A' ? METHOD_IS(SIP_METHOD_ACK)
                                : METHOD_IS(SIP_METHOD_BYE);
    case 4:
        return METHOD_IS(SIP_METHOD_INFO);
    case 5:
        return name.p[0] == 'P' ? METHOD_IS(SIP_METHOD_PRACK)
                                : METHOD_IS(SIP_METHOD_REFER);
    case 6:
        switch (name.p[0]) {
        case 'I':
            return METHOD_IS(SIP_METHOD_INVITE);
        case 'C':
            return METHOD_IS(SIP_METHOD_CANCEL);
        case 'U':
            return METHOD_IS(SIP_METHOD_UPDATE);
        case 'N':
            return METHOD_IS(SIP_METHOD_NOTIFY);
        }
        return SIP_METHOD_OTHER;
    case 7:
        switch (name.p[0]) {
        case 'O':
            return METHOD_IS(SIP_METHOD_OPTIONS);
        case 'M':
            return METHOD_IS(SIP_METHOD_MESSAGE);
        case 'P':
            return METHOD_IS(SIP_METHOD_PUBLISH);
        }
        return SIP_METHOD_OTHER;
    case 8:
        return METHOD_IS(SIP_METHOD_REGISTER);
    case 9:
        return METHOD_IS(SIP_METHOD_SUBSCRIBE);
    }
    return SIP_METHOD_OTHER;
}

#undef METHOD_IS

const char *
sip_method_name(enum sip_method m)
{
    return (unsigned) m < sizeof(methods) / sizeof(methods[0]) ? methods[m].name
                                                               : "";
}

const struct sip_hdr *
sip_msg_hdr_find(const struct sip_msg *m, struct slice name)
{
    enum sip_hdr_id id = sip_hdr_lookup(name);
    if (id != SIP_HDR_OTHER) {
        return sip_msg_hdr(m, id);
    }
    for (size_t i = 0; i < m->nhdr; i++) {
        if (m->hdr[i].id == SIP_HDR_OTHER
            && slice_caseeq(m->hdr[i].name, name)) {
            return &m->hdr[i];
        }
    }
    return NULL;
}

bool
sip__is_token(struct slice s)
{
    return s.len > 0 && sip__skip(s.p, s.p + s.len, C_TOKEN) == s.p + s.len;
}

/* check_version() past its usual case: "SIP/" 1*DIGIT "." 1*DIGIT. */
static int
check_other_version(struct slice v, int bad)
{
    if (v.len >= 7 && name_is(v.p, "SIP/", 4) && v.p[3] == '/') {
        const char *p = v.p + 4, *end = v.p + v.len;
        const char *d = p;
        p = sip__skip(p, end, C_DIGIT);
        if (p == d || p == end || *p != '.') {
            return bad;
        }
        const char *d2 = ++p;
        p = sip__skip(p, end, C_DIGIT);
        if (p == d2 || p != end) {
            return bad;
        }
        if (v.len == 7 && v.p[4] == '2' && v.p[6] == '0') {
            return 0;
        }
        return SIP_E_VERSION;
    }
    return bad;
}

/* "SIP/2.0" (case-insensitive literal, §25.1): 0, SIP_E_VERSION for another
 * well-formed version, or bad. */
static inline int
check_version(struct slice v, int bad)
{
    if (v.len == 7 && name_is(v.p, "SIP/", 4) && v.p[3] == '/' && v.p[4] == '2'
        && v.p[5] == '.' && v.p[6] == '0') {
        return 0; /* the usual "SIP/2.0", without a call */
    }
    return check_other_version(v, bad);
}

static int
parse_request_line(struct sip_msg *m, const char *lo, const char *p,
    const char *eol, const struct sip_limits *lim)
{
    const char *sp1 = sip__scan_char(lo, p, eol, ' ');
    if (!sp1 || sp1 == p) {
        return SIP_E_BAD_REQUEST_LINE;
    }
    m->method_name = (struct slice){ p, (size_t) (sp1 - p) };
    /* A known method is a token; only others need the scan. */
    m->method = (uint8_t) sip_method_lookup(m->method_name);
    if (m->method == SIP_METHOD_OTHER && !sip__is_token(m->method_name)) {
        return SIP_E_BAD_METHOD;
    }
    const char *u = sp1 + 1;
    const char *sp2 = sip__scan_char(lo, u, eol, ' ');
    if (!sp2) {
        return SIP_E_BAD_REQUEST_LINE;
    }
    m->ruri = (struct slice){ u, (size_t) (sp2 - u) };
    m->version = (struct slice){ sp2 + 1, (size_t) (eol - sp2 - 1) };
    /* A space inside the Request-URI or a doubled separator leaves a
     * version that does not parse (§7.1: exactly one SP each). */
    int err = check_version(m->version, SIP_E_BAD_REQUEST_LINE);
    if (err == SIP_E_BAD_REQUEST_LINE && m->ruri.len > 0) {
        /* Distinguish "SIP/2.0" after an unescaped space in the URI. */
        const char *last = eol;
        while (last > sp2 && last[-1] != ' ') {
            last--;
        }
        if (check_version((struct slice){ last, (size_t) (eol - last) },
                SIP_E_BAD_REQUEST_LINE)
            != SIP_E_BAD_REQUEST_LINE) {
            return SIP_E_BAD_RURI;
        }
    }
    if (err) {
        return err;
    }
    if (m->ruri.len > lim->max_uri) {
        return SIP_E_RURI_TOO_LONG;
    }
    struct sip_uri *uri = &m->uri;
    /* §19.1.5: a Request-URI never carries escaped headers (RFC 4475
     * 3.1.2.11). */
    if (m->ruri.len == 0 || sip_uri_parse(uri, m->ruri) != 0
        || uri->headers.len > 0 || m->ruri.p[m->ruri.len - 1] == '?') {
        return SIP_E_BAD_RURI;
    }
    return 0;
}

static int
parse_status_line(struct sip_msg *m, const char *p, const char *eol)
{
    const char *sp = memchr(p, ' ', (size_t) (eol - p));
    if (!sp) {
        return SIP_E_BAD_STATUS_LINE;
    }
    m->version = (struct slice){ p, (size_t) (sp - p) };
    int err = check_version(m->version, SIP_E_BAD_STATUS_LINE);
    if (err) {
        return err;
    }
    p = sp + 1;
    if (eol - p < 3 || !sip__is(p[0], C_DIGIT) || !sip__is(p[1], C_DIGIT)
        || !sip__is(p[2], C_DIGIT) || p[0] < '1' || p[0] > '6'
        || (eol - p > 3 && p[3] != ' ')) {
        return SIP_E_BAD_STATUS_LINE;
    }
    m->status =
        (uint16_t) ((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    p += 3;
    if (p < eol) {
        p++;
    }
    m->reason = (struct slice){ p, (size_t) (eol - p) };
    return 0;
}

static inline int
add_hdr(struct sip_msg *m, unsigned max_hdrs, uint8_t id, struct slice name,
    struct slice value, uint8_t flags)
{
    size_t n = m->nhdr;
    if (n >= max_hdrs) {
        return SIP_E_TOO_MANY_HDRS;
    }
    struct sip_hdr *h = m->hdr + n;
    m->nhdr = (uint16_t) (n + 1);
    h->id = id;
    h->flags = flags;
    h->next = -1;
    h->name = name;
    h->value = value;
    if (id != SIP_HDR_OTHER) {
        int16_t *last = &m->last[id];
        if (*last >= 0) {
            m->hdr[*last].next = (int16_t) n;
        } else {
            m->first[id] = (int16_t) n;
        }
        *last = (int16_t) n;
    }
    return 0;
}

static inline struct slice
trim_ws(const char *p, const char *end)
{
    while (p < end && sip__is(*p, C_WS)) {
        p++;
    }
    while (end > p && sip__is(end[-1], C_WS)) {
        end--;
    }
    return (struct slice){ p, (size_t) (end - p) };
}

/* Splits a list header value holding a comma at commas outside quotes,
 * <> and comments. */
static __attribute__((noinline)) int
add_list(struct sip_msg *m, unsigned max_hdrs, uint8_t id, struct slice name,
    struct slice v)
{
    const char *p = v.p, *end = v.p + v.len;
    const char *s = p;
    uint8_t flags = SIP_HDR_F_LINE | SIP_HDR_F_SPLIT;
    int err;
    while (p < end) {
        p = sip__skip(p, end, C_LISTPLAIN);
        if (p == end) {
            break;
        }
        char c = *p;
        if (c == '"') {
            p = sip__quoted_end(p, end);
            if (!p) {
                return SIP_E_UNBALANCED_QUOTES;
            }
            continue;
        }
        if (c == '<') {
            const char *q = memchr(p, '>', (size_t) (end - p));
            if (!q) {
                return SIP_E_UNBALANCED_ANGLE;
            }
            p = q + 1;
            continue;
        }
        if (c == ',') {
            struct slice item = trim_ws(s, p);
            if (item.len) {
                err = add_hdr(m, max_hdrs, id, name, item, flags);
                if (err) {
                    return err;
                }
                flags = SIP_HDR_F_SPLIT;
            }
            s = p + 1;
        }
        p++;
    }
    struct slice item = trim_ws(s, end);
    if (item.len) {
        return add_hdr(m, max_hdrs, id, name, item, flags);
    }
    return 0;
}

static int
parse_u32(struct slice v, uint32_t max, uint32_t *out, int bad, int range)
{
    if (v.len == 0) {
        return bad;
    }
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (!sip__is(v.p[i], C_DIGIT)) {
            return bad;
        }
        n = n * 10 + (uint64_t) (v.p[i] - '0');
        if (n > max) {
            return range;
        }
    }
    *out = (uint32_t) n;
    return 0;
}

/*
 * The usual CSeq of a request with a known method: "digits SP METHOD",
 * the method as written on the Request-Line and the number below 2^31.
 * Fills m and returns true; false leaves the value to sip_cseq_parse(),
 * which gives the same answer for these and the precise defect otherwise.
 */
static bool
cseq_usual(struct sip_msg *m, struct slice v)
{
    size_t ml = m->method_name.len;
    if (!m->request || m->method == SIP_METHOD_OTHER || v.len < ml + 2
        || v.len > ml + 11) {
        return false;
    }
    const char *sp = v.p + v.len - ml - 1;
    if (*sp != ' ' || memcmp(sp + 1, m->method_name.p, ml) != 0) {
        return false;
    }
    uint64_t n = 0;
    for (const char *d = v.p; d < sp; d++) {
        unsigned c = (unsigned) (unsigned char) *d - '0';
        if (c > 9) {
            return false;
        }
        n = n * 10 + c;
    }
    if (n > 0x7fffffffu) {
        return false;
    }
    m->cseq = (uint32_t) n;
    m->cseq_method = m->method;
    m->cseq_method_name = (struct slice){ sp + 1, ml };
    return true;
}

/* Singleton headers checked while parsing. */
static int
check_core(struct sip_msg *m, const struct sip_limits *lim)
{
    int err = 0;
    const struct sip_hdr *h;

    /* §8.1.1: these are mandatory in requests and responses alike. */
    if (m->first[SIP_HDR_CALL_ID] < 0) {
        return SIP_E_NO_CALL_ID;
    }
    if (m->first[SIP_HDR_FROM] < 0) {
        return SIP_E_NO_FROM;
    }
    if (m->first[SIP_HDR_TO] < 0) {
        return SIP_E_NO_TO;
    }
    if (m->first[SIP_HDR_CSEQ] < 0) {
        return SIP_E_NO_CSEQ;
    }
    if (m->first[SIP_HDR_VIA] < 0) {
        return SIP_E_NO_VIA;
    }
    /* A singleton seen once has first == last (both -1 when absent). */
    static const struct {
        uint8_t id;
        int err;
    } single[] = {
        { SIP_HDR_CALL_ID, SIP_E_DUP_CALL_ID },
        { SIP_HDR_FROM, SIP_E_DUP_FROM },
        { SIP_HDR_TO, SIP_E_DUP_TO },
        { SIP_HDR_CSEQ, SIP_E_DUP_CSEQ },
        { SIP_HDR_MAX_FORWARDS, SIP_E_DUP_MAX_FORWARDS },
        { SIP_HDR_CONTENT_LENGTH, SIP_E_DUP_CONTENT_LENGTH },
    };
#pragma GCC unroll 6
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
        if (m->first[single[i].id] != m->last[single[i].id]) {
            return single[i].err;
        }
    }

    h = &m->hdr[m->first[SIP_HDR_CALL_ID]];
    {
        /* callid = word ["@" word] */
        const char *p = h->value.p, *end = p + h->value.len;
        const char *q = sip__skip(p, end, C_WORD);
        if (q == p) {
            return SIP_E_BAD_CALL_ID;
        }
        if (q < end && *q == '@') {
            const char *r = sip__skip(q + 1, end, C_WORD);
            if (r == q + 1) {
                return SIP_E_BAD_CALL_ID;
            }
            q = r;
        }
        if (q != end) {
            return SIP_E_BAD_CALL_ID;
        }
        m->call_id = h->value;
    }

    if (!cseq_usual(m, m->hdr[m->first[SIP_HDR_CSEQ]].value)) {
        struct sip_cseq cs;
        err = sip_cseq_parse(&cs, m->hdr[m->first[SIP_HDR_CSEQ]].value);
        if (err) {
            return err;
        }
        m->cseq = cs.num;
        m->cseq_method = cs.method;
        m->cseq_method_name = cs.method_name;
        /* Known methods compare by id (the lookup is exact); a known one
         * never equals an unknown one. */
        if (m->request
            && (cs.method != m->method
                || (cs.method == SIP_METHOD_OTHER
                    && !slice_eq(cs.method_name, m->method_name)))) {
            return SIP_E_CSEQ_METHOD;
        }
    }

    if (m->first[SIP_HDR_MAX_FORWARDS] >= 0) {
        struct slice v = m->hdr[m->first[SIP_HDR_MAX_FORWARDS]].value;
        /* The usual one to three digits; anything else (and the range
         * error) from the value parser. */
        unsigned mf = 0;
        bool usual = v.len >= 1 && v.len <= 3;
        for (size_t i = 0; usual && i < v.len; i++) {
            unsigned d = (unsigned) (unsigned char) v.p[i] - '0';
            usual = d <= 9;
            mf = mf * 10 + d;
        }
        if (!usual || mf > 255) {
            err = sip_max_forwards_parse(&mf, v);
            if (err) {
                return err;
            }
        }
        m->max_forwards = (int) mf;
    }

    if (sip_addr_parse(&m->from, m->hdr[m->first[SIP_HDR_FROM]].value) != 0) {
        return SIP_E_BAD_FROM;
    }
    m->from_tag = m->from.tag;
    if (sip_addr_parse(&m->to, m->hdr[m->first[SIP_HDR_TO]].value) != 0) {
        return SIP_E_BAD_TO;
    }
    m->to_tag = m->to.tag;
    if (m->from.uri_s.len > lim->max_uri || m->to.uri_s.len > lim->max_uri) {
        return SIP_E_URI_TOO_LONG;
    }

    if (sip_via_parse(&m->via, m->hdr[m->first[SIP_HDR_VIA]].value) != 0) {
        return SIP_E_BAD_VIA;
    }
    m->branch = m->via.branch;
    return 0;
}

/* The header lines from *pp to the blank line, each indexed as it is met;
 * *pp ends past the blank line. A malformed line is skipped, its defect
 * kept in *deferred (the first one wins): a Via after it still addresses
 * the 400. */
static __attribute__((noinline)) int
index_headers(struct sip_msg *m, const struct sip_limits *lim, const char *lo,
    const char **pp, const char *end, int *deferred)
{
    const char *p = *pp;
    unsigned max_hdrs = lim->max_hdrs;
    size_t max_len = lim->max_hdr_len;
    int err = 0;

    for (;;) {
        if (p >= end) {
            err = SIP_E_NO_END;
            goto out;
        }
        if (*p == '\n') {
            p++;
            break;
        }
        if (*p == '\r' && p + 1 < end && p[1] == '\n') {
            p += 2;
            break;
        }
        /* Vector scans find the colon, then the end of the line and, for
         * list headers, whether the value holds a comma. A known name
         * matched exactly is a valid token, only unknown ones are scanned
         * byte by byte. */
        const char *colon = sip__scan_colon(lo, p, end);
        if (!colon) {
            err = SIP_E_NO_END;
            goto out;
        }
        if (*colon != ':') {
            /* No colon before the line's end, or a CR inside the name. */
            *deferred = *deferred ? *deferred : SIP_E_BAD_HDR;
            if (*colon == '\r') {
                colon = sip__scan_eol(lo, colon, end);
                if (!colon) {
                    err = SIP_E_NO_END;
                    goto out;
                }
            }
            p = colon + 1;
            continue;
        }
        const char *ne = colon;
        if (ne > p && (unsigned char) ne[-1] <= ' ') {
            while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t')) {
                ne--;
            }
        }
        size_t nlen = (size_t) (ne - p);
        uint8_t id =
            nlen ? (uint8_t) hdr_lookup(p, nlen) : (uint8_t) SIP_HDR_OTHER;
        bool list = hdr_list[id], comma = false;
        const char *nl = list ? sip__scan_eol_comma(lo, colon + 1, end, &comma)
                              : sip__scan_eol(lo, colon + 1, end);
        if (!nl) {
            err = SIP_E_NO_END;
            goto out;
        }
        int line_err = id == SIP_HDR_OTHER
                && (nlen == 0 || sip__skip(p, ne, C_TOKEN) != ne)
            ? SIP_E_BAD_HDR
            : 0;
        /* The value runs to a line break not followed by SP/HTAB (§7.3.1
         * folding). */
        for (;;) {
            if (nl + 1 >= end) {
                err = SIP_E_NO_END;
                goto out;
            }
            if (nl[1] != ' ' && nl[1] != '\t') {
                break;
            }
            nl = list ? sip__scan_eol_comma(lo, nl + 1, end, &comma)
                      : sip__scan_eol(lo, nl + 1, end);
            if (!nl) {
                err = SIP_E_NO_END;
                goto out;
            }
        }
        if (!line_err && (size_t) (nl - p) > max_len) {
            line_err = SIP_E_HDR_TOO_LONG;
        }
        if (line_err) {
            *deferred = *deferred ? *deferred : line_err;
            p = nl + 1;
            continue;
        }
        /* Usual shape ": value\r\n": step over one SP and the CR before
         * the general trim. An empty value leaves vs on the CR or LF. */
        const char *vs = colon + 1;
        const char *ve = (nl[-1] == '\r') ? nl - 1 : nl;
        vs += *vs == ' ';
        struct slice name = { p, nlen };
        struct slice value = trim_ws(vs, ve);
        p = nl + 1;
        if (comma) {
            err = add_list(m, max_hdrs, id, name, value);
        } else {
            err = add_hdr(m, max_hdrs, id, name, value, SIP_HDR_F_LINE);
        }
        if (err) {
            goto out;
        }
    }
out:
    *pp = p;
    return err;
}

int
sip_msg_parse_ex(struct sip_msg *m, struct slice in,
    const struct sip_limits *lim, bool stream)
{
    in = sip__nn(in);
    const char *p = in.p, *end = in.p + in.len;
    int err = 0, deferred = 0;

    sip_err_init();
    m->buf = in;
    m->request = false;
    m->method = SIP_METHOD_OTHER;
    m->method_name = m->ruri = m->reason = m->version = SLICE_NULL;
    m->status = 0;
    m->nhdr = 0;
    m->nvia = 0;
    memset(m->first, 0xff, sizeof(m->first));
    memset(m->last, 0xff, sizeof(m->last));
    m->cseq = 0;
    m->cseq_method = SIP_METHOD_OTHER;
    m->cseq_method_name = m->call_id = m->from_tag = m->to_tag = m->branch =
        m->body = SLICE_NULL;
    m->max_forwards = -1;
    m->content_length = -1;

    if (in.len > lim->max_msg) {
        err = SIP_E_TOO_LARGE;
        goto out;
    }
    /* The hdr[] array bounds every limit. */
    struct sip_limits clamped;
    if (lim->max_hdrs > SIP_MAX_HDRS) {
        clamped = *lim;
        clamped.max_hdrs = SIP_MAX_HDRS;
        lim = &clamped;
    }
    /* §7.5: ignore CRLFs before the start line. */
    while (p < end && (*p == '\r' || *p == '\n')) {
        p++;
    }
    if (p == end) {
        err = SIP_E_NO_END;
        goto out;
    }
    const char *nl = sip__scan_eol(in.p, p, end);
    if (!nl) {
        err = SIP_E_NO_END;
        goto out;
    }
    const char *eol = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
    if (eol - p >= 4 && name_is(p, "SIP/", 4) && p[3] == '/') {
        memset(&m->uri, 0, sizeof(m->uri));
        err = parse_status_line(m, p, eol);
    } else {
        m->request = true;
        /* The 400, 414 or 505 (§21.5.20) for a bad request line still
         * needs the Via to be routed: read on, and report the defect once
         * the headers are indexed. */
        deferred = parse_request_line(m, in.p, p, eol, lim);
    }
    if (err) {
        goto out;
    }
    p = nl + 1;
    const char *hdrs = p;

    err = index_headers(m, lim, in.p, &p, end, &deferred);
    if (err) {
        goto out;
    }

    /* §25.1: a NUL is allowed only as a quoted-pair (RFC 4475 3.1.1.3);
     * a bare one would make code reading values as C strings downstream
     * see another header than we did. */
    for (const char *z = hdrs;
         !deferred && (z = memchr(z, '\0', (size_t) (p - z))) != NULL; z++) {
        if (z == hdrs || z[-1] != '\\') {
            deferred = SIP_E_NUL_BYTE;
        }
    }

    /* Via count: entries are appended in order, count them once. */
    for (int16_t i = m->first[SIP_HDR_VIA]; i >= 0; i = m->hdr[i].next) {
        if (++m->nvia > lim->max_via) {
            err = SIP_E_TOO_MANY_VIAS;
            goto out;
        }
    }

    if (m->first[SIP_HDR_CONTENT_LENGTH] >= 0) {
        uint32_t cl;
        err = parse_u32(m->hdr[m->first[SIP_HDR_CONTENT_LENGTH]].value,
            lim->max_msg, &cl, SIP_E_BAD_CONTENT_LENGTH,
            SIP_E_BAD_CONTENT_LENGTH);
        if (err) {
            goto out;
        }
        m->content_length = cl;
    }
    err = check_core(m, lim);
    if (err) {
        goto out;
    }

    size_t rest = (size_t) (end - p);
    if (m->content_length >= 0) {
        if (rest < (size_t) m->content_length) {
            /* §18.3: a datagram shorter than its Content-Length is
             * broken; on a stream the rest is still to come. */
            err = stream ? -EAGAIN : SIP_E_BODY_TRUNCATED;
            goto out;
        }
        /* Extra octets after the body are discarded (§18.3). */
        rest = (size_t) m->content_length;
    }
    m->body = (struct slice){ p, rest };
    m->buf = (struct slice){ in.p, (size_t) (p + rest - in.p) };
out:
    if (deferred && err != -EAGAIN) {
        err = deferred;
    }
    return err;
}

int
sip_msg_parse(struct sip_msg *m, struct slice in)
{
    return sip_msg_parse_ex(m, in, &sip_limits_default, false);
}

/* Is the header line at p a Content-Length ("Content-Length" or "l")? If so
 * returns the value start. */
static const char *
is_clen(const char *p, const char *eol)
{
    const char *q;
    if (eol - p >= 14 && name_is(p, "Content-Length", 14) && p[7] == '-') {
        q = p + 14;
    } else if (eol - p >= 1 && (*p == 'l' || *p == 'L')) {
        q = p + 1;
    } else {
        return NULL;
    }
    while (q < eol && (*q == ' ' || *q == '\t')) {
        q++;
    }
    return (q < eol && *q == ':') ? q + 1 : NULL;
}

int
sip_msg_frame_ex(struct slice buf, size_t *msg_len, uint32_t max_msg)
{
    buf = sip__nn(buf);
    const char *s = buf.p, *p = buf.p, *end = buf.p + buf.len;
    int64_t clen = -1;
    int err = -EAGAIN;

    /* RFC 5626 §3.5.1 keep-alives: a run of CRLFs before a message. */
    while (p < end && (*p == '\r' || *p == '\n')) {
        p++;
    }
    if (p > s) {
        *msg_len = (size_t) (p - s);
        err = 1;
        goto out;
    }
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        if (!nl) {
            if ((size_t) (end - s) > max_msg) {
                err = SIP_E_TOO_LARGE;
            }
            goto out;
        }
        const char *eol = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
        if (eol == p && p != s) {
            p = nl + 1;
            break; /* blank line: end of headers */
        }
        const char *v = is_clen(p, eol);
        if (v) {
            struct slice val = trim_ws(v, eol);
            uint32_t n;
            /* Folded Content-Length values are not supported by the
             * framer; the parser still sees them. */
            int rc = parse_u32(
                val, max_msg, &n, SIP_E_BAD_CONTENT_LENGTH, SIP_E_TOO_LARGE);
            if (rc != 0) {
                err = rc;
                goto out;
            }
            if (clen >= 0 && clen != n) {
                err = SIP_E_DUP_CONTENT_LENGTH;
                goto out;
            }
            clen = n;
        }
        p = nl + 1;
        if ((size_t) (p - s) > max_msg) {
            err = SIP_E_TOO_LARGE;
            goto out;
        }
    }
    /* §18.3: Content-Length is mandatory on streams; without it there is
     * no body. */
    size_t total = (size_t) (p - s) + (size_t) (clen > 0 ? clen : 0);
    if (total > max_msg) {
        err = SIP_E_TOO_LARGE;
        goto out;
    }
    if (total > buf.len) {
        goto out; /* -EAGAIN */
    }
    *msg_len = total;
    err = 0;
out:
    return err;
}

int
sip_msg_frame(struct slice buf, size_t *msg_len)
{
    return sip_msg_frame_ex(buf, msg_len, sip_limits_default.max_msg);
}
