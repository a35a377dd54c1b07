/*
 * URIs: sip and sips (RFC 3261 §19.1, §25.1), tel (RFC 3966), and any other
 * absolute URI kept verbatim. Zero-copy: every part is a slice into the
 * input, escapes are left as written (use sip_uri_unescape to compare).
 */
#ifndef SW_SIP_SIP_URI_H
#define SW_SIP_SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

enum sip_uri_scheme {
    SIP_URI_OTHER = 0, /* absolute URI: only scheme and opaque are set */
    SIP_URI_SIP,
    SIP_URI_SIPS,
    SIP_URI_TEL,
};

enum sip_host_type {
    SIP_HOST_NONE = 0,
    SIP_HOST_NAME,
    SIP_HOST_IPV4,
    SIP_HOST_IPV6, /* host keeps the brackets: "[2001:db8::1]" */
};

struct sip_uri {
    uint8_t scheme;    /* enum sip_uri_scheme */
    uint8_t host_type; /* enum sip_host_type */
    bool has_port;
    bool has_password;
    uint16_t port;
    struct slice raw;      /* the whole URI */
    struct slice scheme_s; /* "sip", "tel", "http", ... */
    struct slice user;     /* tel: the number */
    struct slice password;
    struct slice host;
    struct slice params;  /* ";a=b;c" with the leading ';', or empty */
    struct slice headers; /* "a=b&c=d" without the '?', or empty */
    struct slice opaque;  /* everything after "scheme:" */
};

/**
 * Parses a URI (no surrounding angle brackets). Returns 0 or SIP_E_BAD_URI,
 * SIP_E_BAD_ESCAPE.
 */
int sip_uri_parse(struct sip_uri *u, struct slice in);

/**
 * Looks a parameter up in a ";name[=value]..." list (URI or header
 * parameters), name case-insensitive. Returns true when present; *value is
 * the value (empty for a flag). value may be NULL.
 */
bool sip_param_get(struct slice params, struct slice name, struct slice *value);

/**
 * Iterates a ";name[=value]" list: *rest is consumed; returns false at the
 * end. Quoted values are returned with their quotes.
 */
bool sip_param_next(
    struct slice *rest, struct slice *name, struct slice *value);

/**
 * Decodes %-escapes into dst (a C string). Returns the decoded length, or
 * SIP_E_BAD_ESCAPE, or -ENOSPC.
 */
int sip_uri_unescape(char *dst, size_t size, struct slice in);

/**
 * URI equivalence for sip/sips (RFC 3261 §19.1.4, simplified: scheme, user
 * and password with escapes decoded, host case-insensitive, port, and the
 * user, ttl, method, maddr and transport parameters); other schemes compare
 * byte for byte after the scheme (case-insensitive).
 */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);

#endif
