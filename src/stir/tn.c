/*
 * Identities of From / P-Asserted-Identity / To (RFC 8224 §8): a canonical
 * telephone number when the URI names one (§8.3), else a normalized URI
 * (§8.5). The signer and the verifier share this code, so what one writes
 * into "orig"/"dest" is what the other compares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stir/stir_int.h"

struct slice
stir__addr_spec(struct slice v)
{
    bool quoted = false;

    v = slice_trim(v);
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (c == '"' && (i == 0 || v.p[i - 1] != '\\')) {
            quoted = !quoted;
        } else if (c == '<' && !quoted) {
            struct slice rest = slice_sub(v, i + 1, v.len);
            ptrdiff_t end = slice_chr(rest, '>');
            return end < 0 ? SLICE_NULL : slice_sub(rest, 0, (size_t) end);
        }
    }
    /* addr-spec form: what follows ';' are header parameters (RFC 3261
     * §20.10), e.g. the From tag. */
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == ';' || v.p[i] == ' ' || v.p[i] == '\t') {
            return slice_sub(v, 0, i);
        }
    }
    return v;
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

static bool
has_param(struct slice params, struct slice want)
{
    /* params = ";a=b;c" */
    size_t i = 0;

    while (i < params.len) {
        size_t start = i + 1, end = start;
        while (end < params.len && params.p[end] != ';') {
            end++;
        }
        if (slice_caseeq(slice_make(params.p + start, end - start), want)) {
            return true;
        }
        i = end;
    }
    return false;
}

int
stir_ident_from_header(struct stir_ident *id, struct slice hdr_value)
{
    struct slice uri = stir__addr_spec(hdr_value), scheme, rest, user, host,
                 params;
    ptrdiff_t colon = slice_chr(uri, ':');

    memset(id, 0, sizeof(*id));
    if (colon <= 0) {
        return STIR_E_NOT_TN;
    }
    scheme = slice_sub(uri, 0, (size_t) colon);
    rest = slice_sub(uri, (size_t) colon + 1, uri.len);
    if (slice_caseeq(scheme, SLICE_LIT("tel"))) {
        ptrdiff_t semi = slice_chr(rest, ';');
        struct slice num = semi < 0 ? rest : slice_sub(rest, 0, (size_t) semi);
        id->is_tn = true;
        return stir_tn_canon(id->v, sizeof(id->v), num);
    }
    if (!slice_caseeq(scheme, SLICE_LIT("sip"))
        && !slice_caseeq(scheme, SLICE_LIT("sips"))) {
        return STIR_E_NOT_TN;
    }
    ptrdiff_t at = slice_chr(rest, '@');
    if (at < 0) {
        user = SLICE_NULL;
        host = rest;
    } else {
        user = slice_sub(rest, 0, (size_t) at);
        host = slice_sub(rest, (size_t) at + 1, rest.len);
    }
    /* user ends at a password or a user-part parameter (";npdi;rn=..."). */
    for (size_t i = 0; i < user.len; i++) {
        if (user.p[i] == ';' || user.p[i] == ':') {
            user.len = i;
            break;
        }
    }
    params = SLICE_NULL;
    for (size_t i = 0; i < host.len; i++) {
        if (host.p[i] == ';' || host.p[i] == '?') {
            params = slice_sub(host, i, host.len);
            for (size_t j = 0; j < params.len; j++) {
                if (params.p[j] == '?') {
                    params.len = j;
                    break;
                }
            }
            host.len = i;
            break;
        }
    }
    if (host.len == 0) {
        return STIR_E_NOT_TN;
    }
    bool phone = has_param(params, SLICE_LIT("user=phone"));
    if (user.len && (phone || dial_string(user))) {
        id->is_tn = true;
        return stir_tn_canon(id->v, sizeof(id->v), user);
    }
    /* §8.5: compare as scheme:user@host, host case-insensitive. */
    int n = snprintf(id->v, sizeof(id->v), "sip:" SLICE_FMT "%s" SLICE_FMT,
        SLICE_ARG(user), user.len ? "@" : "", SLICE_ARG(host));
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
