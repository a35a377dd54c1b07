/*
 * Identities of From / P-Asserted-Identity / To (RFC 8224 §8): a canonical
 * telephone number when the URI names one (§8.3), else a normalized URI
 * (§8.5). The signer and the verifier share this code, so what one writes
 * into "orig"/"dest" is what the other compares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sip_hdr.h"
#include "sip/sip_uri.h"
#include "stir/stir_int.h"

struct slice
stir__addr_spec(struct slice v)
{
    struct sip_addr a;

    if (sip_addr_parse(&a, slice_trim(v)) != 0) {
        return SLICE_NULL;
    }
    return a.uri_s;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int
stir_tn_canon(char *dst, size_t size, struct slice tn)
{
    size_t n = 0, digits = 0;

    for (size_t i = 0; i < tn.len; i++) {
        char c = tn.p[i];
        if (c == '%' && i + 2 < tn.len && hexval(tn.p[i + 1]) >= 0
            && hexval(tn.p[i + 2]) >= 0) {
            c = (char) (hexval(tn.p[i + 1]) * 16 + hexval(tn.p[i + 2]));
            i += 2;
        }
        /* §8.3: keep digits, '#' and '*'; drop '+' and visual separators. */
        if ((c >= '0' && c <= '9') || c == '#' || c == '*') {
            if (n + 1 >= size) {
                return STIR_E_TOO_LONG;
            }
            dst[n++] = c;
            digits += c >= '0' && c <= '9';
        } else if (!strchr("+-.() ", c)) {
            return STIR_E_NOT_TN;
        }
    }
    if (size) {
        dst[n < size ? n : size - 1] = '\0';
    }
    return digits ? 0 : STIR_E_NOT_TN;
}

/* A user part made of dial characters only: digits, '#', '*', separators. */
static bool
dial_string(struct slice u)
{
    size_t digits = 0;

    for (size_t i = 0; i < u.len; i++) {
        char c = u.p[i];
        if (c >= '0' && c <= '9') {
            digits++;
        } else if (c == '%' && i + 2 < u.len) {
            i += 2;
        } else if (!strchr("+-.()#*", c)) {
            return false;
        }
    }
    return digits > 0;
}

int
stir_ident_from_header(struct stir_ident *id, struct slice hdr_value)
{
    struct sip_addr a;
    struct slice user, host, v;

    memset(id, 0, sizeof(*id));
    if (sip_addr_parse(&a, slice_trim(hdr_value)) != 0) {
        return STIR_E_NOT_TN;
    }
    if (a.uri.scheme == SIP_URI_TEL) {
        id->is_tn = true;
        return stir_tn_canon(id->v, sizeof(id->v), a.uri.user);
    }
    if (a.uri.scheme != SIP_URI_SIP && a.uri.scheme != SIP_URI_SIPS) {
        return STIR_E_NOT_TN;
    }
    /* The user part ends at a user-part parameter (";npdi;rn=..."). */
    user = a.uri.user;
    ptrdiff_t semi = slice_chr(user, ';');
    if (semi >= 0) {
        user.len = (size_t) semi;
    }
    host = a.uri.host;
    if (host.len == 0) {
        return STIR_E_NOT_TN;
    }
    /* (an empty parameter list has no pointer: do not hand it on) */
    bool phone = a.uri.params.len
        && sip_param_get(a.uri.params, SLICE_LIT("user"), &v)
        && slice_caseeq(v, SLICE_LIT("phone"));
    if (user.len && (phone || dial_string(user))) {
        id->is_tn = true;
        return stir_tn_canon(id->v, sizeof(id->v), user);
    }
    /* §8.5: compare as sip:user@host[:port], host case-insensitive. */
    char port[8] = "";
    if (a.uri.has_port) {
        snprintf(port, sizeof(port), ":%u", a.uri.port);
    }
    int n = snprintf(id->v, sizeof(id->v), "sip:" SLICE_FMT "%s" SLICE_FMT "%s",
        SLICE_ARG(user), user.len ? "@" : "", SLICE_ARG(host), port);
    if (n < 0 || (size_t) n >= sizeof(id->v)) {
        return STIR_E_TOO_LONG;
    }
    for (char *h = id->v + 4 + user.len + (user.len ? 1 : 0); *h; h++) {
        if (*h >= 'A' && *h <= 'Z') {
            *h = (char) (*h - 'A' + 'a');
        }
    }
    return 0;
}
