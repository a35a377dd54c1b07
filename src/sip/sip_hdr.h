/*
 * Header value parsers, called on demand on one sip_hdr value (list headers
 * are already split by sip_msg_parse). Each fills a caller-owned struct
 * with slices into the message and returns 0 or a SIP_E_* code.
 */
#ifndef SW_SIP_SIP_HDR_H
#define SW_SIP_SIP_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/slice.h"
#include "sip/sip_uri.h"

/* name-addr / addr-spec with header parameters (From, To, Contact, Route,
 * Record-Route, Refer-To, P-Asserted-Identity, ...; RFC 3261 §20.10). */
struct sip_addr {
    struct slice display; /* as written, quotes included; may be empty */
    struct slice uri_s;   /* the URI text, without '<' '>' */
    struct sip_uri uri;
    struct slice params; /* ";tag=..;expires=.." or empty */
    struct slice tag;    /* tag parameter value, or empty */
    bool angle;          /* written as name-addr */
};

/** Parses name-addr or addr-spec plus parameters. SIP_E_BAD_NAME_ADDR. */
int sip_addr_parse(struct sip_addr *a, struct slice value);

/**
 * Copies a display name into dst without quotes and with quoted-pair
 * escapes resolved. Returns the length or -ENOSPC.
 */
int sip_display_unquote(char *dst, size_t size, struct slice display);

struct sip_via {
    struct slice proto;     /* "SIP/2.0" */
    struct slice transport; /* "UDP", "TCP", "TLS", "SCTP", "WS", ... */
    struct slice host;      /* IPv6 with brackets */
    uint8_t host_type;      /* enum sip_host_type */
    bool has_port;
    bool has_rport; /* rport present (with or without value) */
    uint16_t port;
    int32_t rport;       /* value, -1 if flag only or absent */
    int32_t ttl;         /* -1 if absent */
    struct slice params; /* ";branch=..;..." */
    struct slice branch;
    struct slice received;
    struct slice maddr;
};

/** Parses one Via value (RFC 3261 §20.42, RFC 3581). SIP_E_BAD_VIA. */
int sip_via_parse(struct sip_via *v, struct slice value);

struct sip_cseq {
    uint32_t num;
    uint8_t method; /* enum sip_method */
    struct slice method_name;
};

/** CSeq (§20.16): SIP_E_BAD_CSEQ, SIP_E_CSEQ_RANGE (> 2^31-1). */
int sip_cseq_parse(struct sip_cseq *c, struct slice value);

struct sip_contact {
    bool star; /* "*" (REGISTER remove-all) */
    struct sip_addr addr;
    int32_t q;             /* 0..1000 (q=0.5 -> 500), -1 if absent */
    int64_t expires;       /* -1 if absent */
    struct slice instance; /* +sip.instance value, quotes and <> removed */
    int32_t reg_id;        /* -1 if absent */
};

/** One Contact value (§20.10, RFC 5626 §4.1). SIP_E_BAD_CONTACT. */
int sip_contact_parse(struct sip_contact *c, struct slice value);

/** Expires / Min-Expires: delta-seconds, capped at 2^32-1. */
int sip_expires_parse(uint32_t *out, struct slice value);

/** Max-Forwards: 0..255. */
int sip_max_forwards_parse(uint32_t *out, struct slice value);

/** One token of a token list (Require, Supported, Allow ...): trims and
 * checks it is a token. SIP_E_BAD_TOKEN. */
int sip_token_parse(struct slice *tok, struct slice value);

/** True when the message's tokens in header id contain tok (case-insensitive).
 */
struct sip_msg;
bool sip_msg_has_token(const struct sip_msg *m, int id, struct slice tok);

/** Date (§20.17): RFC 1123 date in GMT only. SIP_E_BAD_DATE. */
int sip_date_parse(time_t *out, struct slice value);
/** Formats t as an RFC 1123 GMT date into dst (>= 30 bytes). Returns length. */
size_t sip_date_format(char *dst, size_t size, time_t t);

/* Digest credentials / challenge (§20.7, §20.44, RFC 7616). */
struct sip_auth {
    struct slice scheme; /* "Digest" */
    struct slice username, realm, nonce, uri, response, algorithm, cnonce,
        opaque, qop, nc, domain, stale;
    bool userhash;
    struct slice params; /* the whole parameter list, for others */
};

/** Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-
 * Authenticate. Quoted values keep their quotes stripped (the slice is the
 * inside of the quotes, escapes not resolved). SIP_E_BAD_AUTH. */
int sip_auth_parse(struct sip_auth *a, struct slice value);

/** Next auth-param "name=value" from *rest (comma-separated). */
bool sip_auth_param_next(
    struct slice *rest, struct slice *name, struct slice *value);

struct sip_reason {
    struct slice protocol; /* "SIP", "Q.850", "STIR" */
    int32_t cause;         /* -1 if absent */
    struct slice text;     /* inside the quotes */
    struct slice params;
};

/** Reason (RFC 3326). SIP_E_BAD_REASON. */
int sip_reason_parse(struct sip_reason *r, struct slice value);

struct sip_warning {
    uint16_t code; /* 3 digits */
    struct slice agent;
    struct slice text; /* inside the quotes */
};

/** One Warning value (§20.43). SIP_E_BAD_WARNING. */
int sip_warning_parse(struct sip_warning *w, struct slice value);

struct sip_identity {
    struct slice token; /* RFC 8224: the compact JWS; RFC 4474: signature */
    struct slice info;  /* info URI without <> (RFC 8224) */
    struct slice alg;   /* "ES256" */
    struct slice ppt;   /* "shaken"; quotes removed */
    struct slice params;
    bool legacy; /* RFC 4474: quoted base64 signature */
};

/** Identity (RFC 8224 §4.1, or RFC 4474 §9 quoted form). SIP_E_BAD_IDENTITY. */
int sip_identity_parse(struct sip_identity *id, struct slice value);

struct sip_identity_info {
    struct slice uri; /* without <> */
    struct slice alg; /* "rsa-sha1", "rsa-sha256" */
    struct slice params;
};

/** Identity-Info (RFC 4474 §9). SIP_E_BAD_IDENTITY_INFO. */
int sip_identity_info_parse(struct sip_identity_info *ii, struct slice value);

/**
 * Splits a comma-separated value outside quotes, angle brackets and
 * comments: *item is the next trimmed item, *rest advances. Returns 1 for
 * an item, 0 at the end, or SIP_E_UNBALANCED_QUOTES/_ANGLE.
 */
int sip_list_next(struct slice *rest, struct slice *item);

#endif
