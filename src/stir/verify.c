/*
 * Verification service logic (RFC 8224 §6.2), as a pure function of the
 * request, the credentials, the policy and the time. Each Identity header
 * is evaluated on its own; one that validates makes the request pass. The
 * order of checks per header: syntax and parameters, PASSporT structure and
 * claims, credential (436/437), signature over the received bytes (438),
 * claims against the request (438), freshness (403).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stir/stir_int.h"

#define SKIPPED 0 /* header with an unsupported ppt: ignored (§6.2 step 1) */

void
stir_policy_default(struct stir_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->freshness = 60;
    p->skew = 5;
    p->require_date = false;
    p->require_tnauth = true;
    p->orig_from_pai = true;
    p->allow_legacy = true;
    p->expected_spc = NULL;
}

/* SIP-date (RFC 3261 §25.1, RFC 1123 form): "Thu, 21 Feb 2002 13:02:03 GMT" */

static bool
num(const char **p, const char *end, int digits, int *out)
{
    int v = 0;

    for (int i = 0; i < digits; i++) {
        if (*p == end || **p < '0' || **p > '9') {
            return false;
        }
        v = v * 10 + (*(*p)++ - '0');
    }
    *out = v;
    return true;
}

static bool
lit(const char **p, const char *end, const char *s)
{
    size_t n = strlen(s);

    if ((size_t) (end - *p) < n || memcmp(*p, s, n) != 0) {
        return false;
    }
    *p += n;
    return true;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 §25.1) */
int
stir__parse_date(struct slice d, time_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct slice t = slice_trim(d);
    const char *p = t.p, *end = t.p + t.len, *mp = NULL;
    struct tm tm;
    int day, year, h, m, s;

    if (t.len != 29 || p[3] != ',') {
        return -EINVAL;
    }
    p += 4;
    if (!lit(&p, end, " ") || !num(&p, end, 2, &day) || !lit(&p, end, " ")) {
        return -EINVAL;
    }
    for (int i = 0; i < 12; i++) {
        if (memcmp(p, months + 3 * i, 3) == 0) {
            mp = months + 3 * i;
        }
    }
    p += 3;
    if (!mp || !lit(&p, end, " ") || !num(&p, end, 4, &year)
        || !lit(&p, end, " ") || !num(&p, end, 2, &h) || !lit(&p, end, ":")
        || !num(&p, end, 2, &m) || !lit(&p, end, ":") || !num(&p, end, 2, &s)
        || !lit(&p, end, " GMT") || p != end) {
        return -EINVAL;
    }
    if (day < 1 || day > 31 || year < 1970 || h > 23 || m > 59 || s > 60) {
        return -EINVAL;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_mday = day;
    tm.tm_mon = (int) ((mp - months) / 3);
    tm.tm_year = year - 1900;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    *out = timegm(&tm);
    return 0;
}

static int
fail(struct stir_verdict *out, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
    out->code = code;
    return code;
}

static void
cat(char *dst, size_t size, size_t *n, const char *s)
{
    size_t len = strlen(s);

    if (len > size - 1 - *n) {
        len = size - 1 - *n;
    }
    memcpy(dst + *n, s, len);
    *n += len;
    dst[*n] = '\0';
}

static bool
ppt_supported(struct slice ppt)
{
    return ppt.len == 0 || slice_caseeq(ppt, SLICE_LIT("shaken"));
}

/* Canonical form of a claim identity, for comparison with the request. */
static void
claim_canon(const struct stir_ident *claim, struct stir_ident *out)
{
    char tmp[STIR_URI_MAX + 2];

    memset(out, 0, sizeof(*out));
    if (claim->is_tn) {
        out->is_tn = true;
        /* Peers sign "+1215..." (secsipid does not canonicalize). */
        if (stir_tn_canon(out->v, sizeof(out->v), slice_cstr(claim->v)) != 0) {
            snprintf(out->v, sizeof(out->v), "%s", claim->v);
        }
        return;
    }
    snprintf(tmp, sizeof(tmp), "<%s>", claim->v);
    if (stir_ident_from_header(out, slice_cstr(tmp)) != 0 || out->is_tn) {
        out->is_tn = false;
        snprintf(out->v, sizeof(out->v), "%s", claim->v);
    }
}

/* Builds the header and claims of a compact-form PASSporT (RFC 8224 §4.1,
 * RFC 8225 §7) from the request. */
static int
rebuild_compact(const struct stir_identity *id, const struct stir_call *call,
    const struct stir_policy *pol, struct stir_passport *pp, char *sig_in,
    size_t size, struct stir_verdict *out)
{
    char h[512], c[1024], bh[700], bc[1400];
    time_t date;

    memset(pp, 0, sizeof(*pp));
    snprintf(pp->alg, sizeof(pp->alg), "ES256");
    snprintf(pp->typ, sizeof(pp->typ), "passport");
    if (slice_copy(pp->x5u, sizeof(pp->x5u), id->info) != 0) {
        return fail(out, STIR_BAD_INFO, "info URI too long");
    }
    if (call->date.len == 0) {
        return fail(out, STIR_INVALID,
            "compact form needs a Date header to rebuild \"iat\"");
    }
    if (stir__parse_date(call->date, &date) != 0) {
        return fail(out, STIR_INVALID, "Date \"" SLICE_FMT "\" does not parse",
            SLICE_ARG(call->date));
    }
    pp->iat = date;
    struct slice o =
        pol->orig_from_pai && call->pai.len ? call->pai : call->from;
    if (stir_ident_from_header(&pp->orig, o) != 0
        || stir_ident_from_header(&pp->dest[0], call->to) != 0) {
        return fail(out, STIR_INVALID,
            "compact form: From/To carry no usable identity");
    }
    pp->ndest = 1;
    pp->has_iat = pp->has_orig = pp->has_dest = true;
    if (stir_passport_json(pp, h, sizeof(h), c, sizeof(c)) != 0
        || stir_b64url_encode(bh, sizeof(bh), h, strlen(h)) < 0
        || stir_b64url_encode(bc, sizeof(bc), c, strlen(c)) < 0
        || (size_t) snprintf(sig_in, size, "%s.%s", bh, bc) >= size) {
        return fail(out, STIR_INVALID, "compact form: cannot rebuild");
    }
    return 0;
}

static int
decode_full(struct stir_vctx *v, const struct stir_identity *id,
    struct stir_passport *pp, struct stir_verdict *out)
{
    struct stir__hdr_cache *hc = stir__vctx_hdr_cache(v);
    char h[STIR__B64_MAX], c[STIR__B64_MAX];
    int hl = 0, cl;
    bool cached = hc->len && hc->len == id->b64_hdr.len
        && memcmp(hc->b64, id->b64_hdr.p, hc->len) == 0;

    if (!cached) {
        hl = stir_b64url_decode(h, sizeof(h), id->b64_hdr);
        if (hl < 0) {
            return fail(out, STIR_INVALID,
                "PASSporT header is not base64url (%s)", err_str(hl));
        }
    }
    cl = stir_b64url_decode(c, sizeof(c), id->b64_pay);
    if (cl < 0) {
        return fail(out, STIR_INVALID, "PASSporT payload is not base64url (%s)",
            err_str(cl));
    }
    if (stir__passport_parse_ex(pp,
            cached ? SLICE_NULL : slice_make(h, (size_t) hl),
            slice_make(c, (size_t) cl))
        != 0) {
        return fail(out, STIR_INVALID, "Invalid PASSporT: %s",
            pp->problem[0] ? pp->problem : "not JSON");
    }
    if (cached) {
        memcpy(pp->alg, hc->alg, sizeof(pp->alg));
        memcpy(pp->typ, hc->typ, sizeof(pp->typ));
        memcpy(pp->ppt, hc->ppt, sizeof(pp->ppt));
        memcpy(pp->x5u, hc->x5u, sizeof(pp->x5u));
    } else if (!pp->problem[0] && id->b64_hdr.len < sizeof(hc->b64)) {
        /* A clean header: only its four fields matter from now on. */
        memcpy(hc->b64, id->b64_hdr.p, id->b64_hdr.len);
        hc->len = id->b64_hdr.len;
        memcpy(hc->alg, pp->alg, sizeof(hc->alg));
        memcpy(hc->typ, pp->typ, sizeof(hc->typ));
        memcpy(hc->ppt, pp->ppt, sizeof(hc->ppt));
        memcpy(hc->x5u, pp->x5u, sizeof(hc->x5u));
    }
    return 0;
}

/* Header and claim structure (RFC 8225 §4-§5, RFC 8588, ATIS-1000074
 * §5.3.2: a missing base or SHAKEN claim is a 438). */
static int
check_structure(const struct stir_identity *id, struct stir_passport *pp,
    bool shaken, struct stir_verdict *out)
{
    if (pp->problem[0]) {
        return fail(out, STIR_INVALID, "Invalid PASSporT: %s", pp->problem);
    }
    if (strcmp(pp->alg, "ES256") != 0) {
        return fail(out, STIR_INVALID,
            "PASSporT header alg is \"%s\", expected \"ES256\"", pp->alg);
    }
    if (strcmp(pp->typ, "passport") != 0) {
        return fail(out, STIR_INVALID,
            "PASSporT header typ is \"%s\", expected \"passport\"", pp->typ);
    }
    if (id->ppt.len && !slice_eq(id->ppt, slice_cstr(pp->ppt))) {
        return fail(out, STIR_INVALID,
            "PASSporT header ppt is \"%s\" but the Identity ppt parameter is "
            "\"" SLICE_FMT "\"",
            pp->ppt, SLICE_ARG(id->ppt));
    }
    if (!slice_eq(id->info, slice_cstr(pp->x5u))) {
        return fail(out, STIR_INVALID,
            "PASSporT x5u \"%s\" differs from the Identity info <" SLICE_FMT
            ">",
            pp->x5u, SLICE_ARG(id->info));
    }
    if (!pp->has_iat) {
        return fail(
            out, STIR_INVALID, "Invalid PASSporT: missing claim \"iat\"");
    }
    if (!pp->has_orig) {
        return fail(
            out, STIR_INVALID, "Invalid PASSporT: missing claim \"orig\"");
    }
    if (!pp->has_dest) {
        return fail(
            out, STIR_INVALID, "Invalid PASSporT: missing claim \"dest\"");
    }
    if (shaken) {
        if (!pp->attest[0]) {
            return fail(out, STIR_INVALID,
                "Invalid PASSporT: missing SHAKEN claim \"attest\"");
        }
        if (strcmp(pp->attest, "A") != 0 && strcmp(pp->attest, "B") != 0
            && strcmp(pp->attest, "C") != 0) {
            return fail(out, STIR_INVALID,
                "Invalid PASSporT: claim \"attest\" is \"%s\", expected A, B "
                "or C",
                pp->attest);
        }
        if (!pp->origid[0]) {
            return fail(out, STIR_INVALID,
                "Invalid PASSporT: missing SHAKEN claim \"origid\"");
        }
        if (!pp->orig.is_tn) {
            return fail(out, STIR_INVALID,
                "Invalid PASSporT: SHAKEN \"orig\" must be a \"tn\"");
        }
    }
    return 0;
}

/* Certificate use for ES256 (key type, TNAuthList, validity at now). */
static int
check_cert(const struct stir_cert *c, const struct stir_policy *pol,
    const struct stir_ident *orig, time_t now, struct stir_verdict *out)
{
    const struct stir_tnauth *t = stir_cert_tnauth(c);
    char kd[48];
    bool has_tn = false, spc_ok = false;

    if (!stir__cert_is_p256(c)) {
        stir__pkey_describe(stir_cert_pkey(c), kd, sizeof(kd));
        return fail(out, STIR_BAD_CRED,
            "certificate key is %s, ES256 needs EC P-256", kd);
    }
    if (now < stir_cert_not_before(c) || now > stir_cert_not_after(c)) {
        return fail(out, STIR_BAD_CRED,
            "certificate not valid at %lld (valid %lld..%lld)", (long long) now,
            (long long) stir_cert_not_before(c),
            (long long) stir_cert_not_after(c));
    }
    int st = stir__cert_tnauth_state(c);
    if (st == 2) {
        return fail(out, STIR_BAD_CRED,
            "certificate TNAuthList (1.3.6.1.5.5.7.1.26) is not the RFC 8226 "
            "ASN.1 structure");
    }
    if (st == 1) {
        if (pol->require_tnauth || pol->expected_spc) {
            return fail(out, STIR_BAD_CRED,
                "certificate has no TNAuthList extension "
                "(1.3.6.1.5.5.7.1.26)");
        }
        return 0;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].type == STIR_TNAUTH_SPC) {
            if (pol->expected_spc
                && strcmp(t->e[i].value, pol->expected_spc) == 0) {
                spc_ok = true;
            }
        } else {
            has_tn = true;
        }
    }
    if (pol->expected_spc && !spc_ok) {
        const char *found = "none";
        for (size_t i = 0; i < t->n; i++) {
            if (t->e[i].type == STIR_TNAUTH_SPC) {
                found = t->e[i].value;
                break;
            }
        }
        return fail(out, STIR_BAD_CRED,
            "certificate TNAuthList SPC is \"%s\", expected \"%s\"", found,
            pol->expected_spc);
    }
    /* RFC 8226 §9: TN entries authorize exactly those numbers. A SHAKEN
     * certificate carries only an SPC (ATIS-1000080): attestation covers
     * the number. */
    if (has_tn && orig->is_tn && !stir_tnauth_covers(t, orig->v)) {
        return fail(out, STIR_BAD_CRED,
            "certificate TNAuthList does not cover orig TN \"%s\"", orig->v);
    }
    return 0;
}

static int
check_claims(const struct stir_call *call, const struct stir_policy *pol,
    const struct stir_passport *pp, struct stir_verdict *out)
{
    struct stir_ident want, got;
    bool use_pai = pol->orig_from_pai && call->pai.len;
    const char *oname = use_pai ? "P-Asserted-Identity" : "From";

    claim_canon(&pp->orig, &got);
    if (stir_ident_from_header(&want, use_pai ? call->pai : call->from) != 0) {
        return fail(out, STIR_INVALID,
            "%s \"" SLICE_FMT "\" carries no usable identity", oname,
            SLICE_ARG(use_pai ? call->pai : call->from));
    }
    if (want.is_tn != got.is_tn || strcmp(want.v, got.v) != 0) {
        return fail(out, STIR_INVALID,
            "claim orig.%s is \"%s\" but %s has \"%s\"",
            pp->orig.is_tn ? "tn" : "uri", pp->orig.v, oname, want.v);
    }
    if (stir_ident_from_header(&want, call->to) != 0) {
        return fail(out, STIR_INVALID,
            "To \"" SLICE_FMT "\" carries no usable identity",
            SLICE_ARG(call->to));
    }
    /* §6.2.3: compare with To, not the Request-URI (retargeting). */
    for (size_t i = 0; i < pp->ndest; i++) {
        claim_canon(&pp->dest[i], &got);
        if (want.is_tn == got.is_tn && strcmp(want.v, got.v) == 0) {
            return 0;
        }
    }
    return fail(out, STIR_INVALID,
        "claim dest.%s is \"%s\"%s but To has \"%s\"",
        pp->dest[0].is_tn ? "tn" : "uri", pp->dest[0].v,
        pp->ndest > 1 ? " (and others)" : "", want.v);
}

static int
check_fresh(const struct stir_call *call, const struct stir_policy *pol,
    int64_t iat, bool compact, time_t now, struct stir_verdict *out)
{
    int64_t lim = (int64_t) pol->freshness + pol->skew;
    time_t date;

    if (!compact) {
        int64_t age = (int64_t) now - iat;
        if (age > lim) {
            return fail(out, STIR_STALE,
                "claim iat %lld is %lld s old, freshness window %u s",
                (long long) iat, (long long) age, pol->freshness);
        }
        if (-age > lim) {
            return fail(out, STIR_STALE,
                "claim iat %lld is %lld s in the future, freshness window "
                "%u s",
                (long long) iat, (long long) -age, pol->freshness);
        }
    }
    if (call->date.len == 0) {
        if (pol->require_date) {
            return fail(out, STIR_STALE, "no Date header; policy requires one");
        }
        return 0;
    }
    if (stir__parse_date(call->date, &date) != 0) {
        return fail(out, STIR_STALE, "Date \"" SLICE_FMT "\" does not parse",
            SLICE_ARG(call->date));
    }
    int64_t dage = (int64_t) now - (int64_t) date;
    if (dage > lim || -dage > lim) {
        return fail(out, STIR_STALE,
            "Date \"" SLICE_FMT "\" is %lld s %s now, freshness window %u s",
            SLICE_ARG(call->date), (long long) (dage > 0 ? dage : -dage),
            dage > 0 ? "before" : "after", pol->freshness);
    }
    return 0;
}


static int
verify_one(struct stir_vctx *v, const struct stir_call *call, size_t idx,
    stir_cred_cb *cred, void *arg, const struct stir_policy *pol, time_t now,
    struct stir_verdict *out)
{
    struct stir_identity id;
    struct stir_passport *pp = &out->pp;
    const char *why = "malformed";
    char sig_in[2200], cwhy[256];
    uint8_t sig[STIR_ES256_SIG_LEN + 16];
    struct slice input;
    int rc, code;

    if (stir_identity_parse(&id, call->identity[idx], &why) != 0) {
        return fail(out, STIR_INVALID, "malformed Identity header: %s", why);
    }
    if (id.legacy) {
        if (!pol->allow_legacy) {
            return fail(
                out, STIR_INVALID, "RFC 4474 Identity not accepted by policy");
        }
        return stir__verify_legacy(&id, call, cred, arg, pol, now, out);
    }
    if (!ppt_supported(id.ppt)) {
        return SKIPPED;
    }
    if (id.alg.len && !slice_eq(id.alg, SLICE_LIT("ES256"))) {
        return fail(out, STIR_INVALID,
            "Identity alg parameter is \"" SLICE_FMT "\", only ES256 is "
            "supported",
            SLICE_ARG(id.alg));
    }
    if (id.info.len == 0) {
        return fail(
            out, STIR_BAD_INFO, "Identity header has no info parameter");
    }
    if (id.compact) {
        if (id.ppt.len) {
            return fail(out, STIR_INVALID,
                "compact form cannot carry the ppt=" SLICE_FMT
                " claims (attest, origid); ATIS-1000074 §5.3.3 requires the "
                "full form",
                SLICE_ARG(id.ppt));
        }
        rc = rebuild_compact(&id, call, pol, pp, sig_in, sizeof(sig_in), out);
        if (rc) {
            return rc;
        }
        input = slice_cstr(sig_in);
    } else {
        rc = decode_full(v, &id, pp, out);
        if (rc) {
            return rc;
        }
        /* The JOSE ppt decides when the Identity header has none. */
        if (id.ppt.len == 0 && pp->ppt[0] && strcmp(pp->ppt, "shaken") != 0) {
            return SKIPPED;
        }
        input = id.signing_input;
    }
    bool shaken = id.ppt.len || strcmp(pp->ppt, "shaken") == 0;
    rc = check_structure(&id, pp, shaken, out);
    if (rc) {
        return rc;
    }
    int n = stir_b64url_decode(sig, sizeof(sig), id.b64_sig);
    if (n < 0) {
        return fail(out, STIR_INVALID, "JWS signature is not base64url (%s)",
            err_str(n));
    }
    if (n != STIR_ES256_SIG_LEN) {
        return fail(out, STIR_INVALID,
            "JWS signature is %d bytes, ES256 needs 64 (r||s)", n);
    }
    cwhy[0] = '\0';
    code = STIR_BAD_INFO;
    const struct stir_cert *c = cred(arg, id.info, &code, cwhy, sizeof(cwhy));
    if (!c) {
        return fail(out, code == STIR_BAD_CRED ? STIR_BAD_CRED : STIR_BAD_INFO,
            "%s", cwhy[0] ? cwhy : "no credential for the info URL");
    }
    struct stir_ident orig;
    claim_canon(&pp->orig, &orig);
    rc = check_cert(c, pol, &orig, now, out);
    if (rc) {
        return rc;
    }
    rc = stir_es256_verify(v, stir_cert_pkey(c), input, sig);
    if (rc == STIR_E_SIG_INVALID) {
        return fail(out, STIR_INVALID,
            id.compact ? "signature does not validate over the PASSporT "
                         "rebuilt from the request (From, To, Date changed?)"
                       : "signature does not validate over the received "
                         "PASSporT with the certificate's key");
    }
    if (rc) {
        return fail(out, STIR_BAD_CRED, "cannot verify: %s", err_str(rc));
    }
    rc = check_claims(call, pol, pp, out);
    if (rc) {
        return rc;
    }
    rc = check_fresh(call, pol, pp->iat, id.compact, now, out);
    if (rc) {
        return rc;
    }
    out->code = STIR_PASS;
    /* (string pieces, not snprintf: this runs on every good call) */
    size_t k = 0;
    cat(out->reason, sizeof(out->reason), &k,
        id.compact ? "compact PASSporT valid: orig "
                   : "full PASSporT valid: orig ");
    cat(out->reason, sizeof(out->reason), &k, pp->orig.v);
    cat(out->reason, sizeof(out->reason), &k, ", attest ");
    cat(out->reason, sizeof(out->reason), &k, pp->attest[0] ? pp->attest : "-");
    return STIR_PASS;
}

void
stir_verify(struct stir_vctx *v, const struct stir_call *call,
    stir_cred_cb *cred, void *arg, const struct stir_policy *pol, time_t now,
    struct stir_verdict *out)
{
    /* Headers are evaluated in place in out; a failure is only copied
     * aside when another header follows (the common single-header call
     * copies nothing). */
    struct stir_verdict saved;
    int saved_rc = 0;
    size_t n = call->nidentity < STIR_MAX_IDENTITY ? call->nidentity
                                                   : STIR_MAX_IDENTITY;

    memset(out, 0, sizeof(*out));
    out->header = -1;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            memset(out, 0, sizeof(*out));
        }
        int rc = verify_one(v, call, i, cred, arg, pol, now, out);
        out->header = (int) i;
        if (rc == STIR_PASS) {
            return;
        }
        /* Keep the first failure, but §6.2.2: a 436 only when no
         * credential could be had for any header. */
        bool keep = rc != SKIPPED
            && (saved_rc == 0
                || (saved_rc == STIR_BAD_INFO && rc != STIR_BAD_INFO));
        if (keep) {
            saved_rc = rc;
        }
        if (i + 1 < n) {
            if (keep) {
                saved = *out;
            }
        } else if (!keep && saved_rc) {
            *out = saved;
        }
    }
    if (saved_rc) {
        if (n > 1) {
            char tmp[sizeof(out->reason)];
            int k = snprintf(tmp, sizeof(tmp), "Identity[%d]: ", out->header);
            size_t room = sizeof(tmp) - (size_t) k;
            memcpy(tmp + k, out->reason, room - 1);
            tmp[sizeof(tmp) - 1] = '\0';
            memcpy(out->reason, tmp, sizeof(tmp));
        }
        return;
    }
    memset(out, 0, sizeof(*out));
    out->header = -1;
    out->code = STIR_USE_IDENTITY;
    snprintf(out->reason, sizeof(out->reason), "%s",
        n ? "no Identity header with a supported ppt (only shaken or none)"
          : "no Identity header");
}

struct pem_cred {
    struct stir_cert *cert;
    int code;
    char why[256];
};

static const struct stir_cert *
pem_cred_cb(void *arg, struct slice info, int *code, char *why, size_t size)
{
    struct pem_cred *pc = arg;

    (void) info;
    if (!pc->cert || pc->code) {
        *code = pc->code ? pc->code : STIR_BAD_INFO;
        stir__why(why, size, "%s", pc->why);
        return NULL;
    }
    return pc->cert;
}

void
stir_verify_pem(struct stir_vctx *v, const struct stir_call *call,
    const void *pem, size_t pem_len, const struct stir_trust *trust,
    const struct stir_policy *pol, time_t now, struct stir_verdict *out)
{
    struct pem_cred pc;

    memset(&pc, 0, sizeof(pc));
    if (!pem || pem_len == 0) {
        pc.code = STIR_BAD_INFO;
        stir__why(pc.why, sizeof(pc.why), "no certificate for the info URL");
    } else if (stir_cert_parse(&pc.cert, pem, pem_len) != 0) {
        pc.code = STIR_BAD_CRED;
        stir__why(
            pc.why, sizeof(pc.why), "credential is not a PEM certificate");
    } else if (stir_cert_validate(pc.cert, trust, now, pc.why, sizeof(pc.why))
        != 0) {
        pc.code = STIR_BAD_CRED;
    }
    stir_verify(v, call, pem_cred_cb, &pc, pol, now, out);
    pc.cert = stir_cert_deref(pc.cert);
}

int
stir_reason_fmt(
    char *dst, size_t size, bool stir_proto, int cause, const char *text)
{
    if (size == 0) {
        return -ENOSPC;
    }
    int n = snprintf(
        dst, size, "%s;cause=%d;text=\"", stir_proto ? "STIR" : "SIP", cause);
    if (n < 0 || (size_t) n >= size) {
        dst[size - 1] = '\0';
        return -ENOSPC;
    }
    size_t o = (size_t) n;
    const char *p = text;
    /* keep room for the closing quote: a cut text is still a header */
    for (; *p && o + 2 < size; p++) {
        char ch = *p == '"' || *p == '\\' ? '\'' : *p;
        dst[o++] = (unsigned char) ch < 0x20 ? ' ' : ch;
    }
    if (o + 1 >= size) {
        dst[o] = '\0';
        return -ENOSPC;
    }
    dst[o++] = '"';
    dst[o] = '\0';
    return *p ? -ENOSPC : (int) o;
}

int
stir_reason_value(
    const struct stir_verdict *v, bool stir_proto, char *dst, size_t size)
{
    if (v->code == STIR_PASS) {
        if (size) {
            dst[0] = '\0';
        }
        return 0;
    }
    return stir_reason_fmt(dst, size, stir_proto, v->code,
        v->reason[0] ? v->reason : stir_code_phrase(v->code));
}

const char *
stir_verstat(const struct stir_verdict *v)
{
    return stir_verstat_code(v->code);
}

const char *
stir_verstat_code(int code)
{
    switch (code) {
    case STIR_PASS:
        return "TN-Validation-Passed";
    case STIR_USE_IDENTITY:
        return "No-TN-Validation";
    default:
        return "TN-Validation-Failed";
    }
}
