/*
 * STIR/SHAKEN core: base64url, JWS ES256, PASSporT (RFC 8225, SHAKEN RFC
 * 8588), the Identity header (RFC 8224), TN canonicalization (RFC 8224 §8),
 * STIR certificates and TNAuthList (RFC 8226), verification and signing,
 * and legacy RFC 4474 Identity/Identity-Info.
 *
 * Pure: no sockets, no files. Callers pass certificate bytes, a trust store,
 * a policy and the time. Threading: a struct stir_trust and a validated
 * struct stir_cert are immutable after construction and may be shared
 * read-only between threads (stir_cert is refcounted with atomics); a
 * struct stir_vctx (verification) and struct stir_signer hold per-thread
 * OpenSSL contexts and must not be shared.
 */
#ifndef SW_STIR_STIR_H
#define SW_STIR_STIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "base/slice.h"

enum stir_err {
    STIR_E_BASE64 = STIR_E_FIRST - 1,
    STIR_E_JSON = STIR_E_FIRST - 2,
    STIR_E_IDENTITY = STIR_E_FIRST - 3,
    STIR_E_SIG_FORMAT = STIR_E_FIRST - 4,
    STIR_E_SIG_INVALID = STIR_E_FIRST - 5,
    STIR_E_KEY_TYPE = STIR_E_FIRST - 6,
    STIR_E_CERT_PARSE = STIR_E_FIRST - 7,
    STIR_E_CERT_UNTRUSTED = STIR_E_FIRST - 8,
    STIR_E_TNAUTH = STIR_E_FIRST - 9,
    STIR_E_CLAIMS = STIR_E_FIRST - 10,
    STIR_E_NOT_TN = STIR_E_FIRST - 11,
    STIR_E_TOO_LONG = STIR_E_FIRST - 12,
    STIR_E_CRYPTO = STIR_E_FIRST - 13,
    STIR_E_MESSAGE = STIR_E_FIRST - 14,
};

/** Registers the names of the codes above with err_str(); idempotent. */
void stir_err_init(void);

/* ---- base64url (RFC 4648 §5, no padding, as JWS requires) ---- */

/** Encoded length of n bytes, without NUL. */
static inline size_t
stir_b64url_len(size_t n)
{
    return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

/**
 * Encodes n bytes into dst (size bytes, NUL appended); returns the length
 * or -ENOSPC.
 */
int stir_b64url_encode(char *dst, size_t size, const void *src, size_t n);

/**
 * Decodes strict base64url (alphabet A-Z a-z 0-9 - _, no padding, no
 * whitespace) into dst; returns the decoded length, STIR_E_BASE64 or
 * -ENOSPC.
 */
int stir_b64url_decode(void *dst, size_t size, struct slice in);

/* ---- JWS ES256 (RFC 7515, RFC 7518 §3.4) ---- */

#define STIR_ES256_SIG_LEN 64

struct stir_vctx;

/**
 * Per-thread verification context: caches the OpenSSL verify context of
 * the last key used, so steady-state verification allocates nothing for
 * the key.
 */
int stir_vctx_new(struct stir_vctx **vp);
void stir_vctx_free(struct stir_vctx *v);

/**
 * ES256 verification of a 64-byte raw r||s signature over input with an EC
 * P-256 public key (EVP_PKEY). 0 valid, STIR_E_SIG_INVALID, STIR_E_KEY_TYPE,
 * STIR_E_SIG_FORMAT.
 */
int stir_es256_verify(struct stir_vctx *v, const void *pkey, struct slice input,
    const uint8_t sig[STIR_ES256_SIG_LEN]);

struct stir_signer;

/**
 * Loads a PEM EC P-256 private key (any PEM form OpenSSL reads) and the
 * x5u/info URL the signatures will name. Per thread.
 */
int stir_signer_new(
    struct stir_signer **sp, const void *pem, size_t len, struct slice x5u);
void stir_signer_free(struct stir_signer *s);

/** ES256 signature of input as raw r||s. */
int stir_es256_sign(
    struct stir_signer *s, struct slice input, uint8_t sig[STIR_ES256_SIG_LEN]);

/* ---- PASSporT (RFC 8225, RFC 8588) ---- */

#define STIR_MAX_DEST 8
#define STIR_TN_MAX   32  /* canonical TN incl. NUL (E.164 is 15 digits) */
#define STIR_URI_MAX  256 /* identity URI incl. NUL */

/** One identity claim object: a canonical TN or a URI. */
struct stir_ident {
    bool is_tn;
    char v[STIR_URI_MAX];
};

struct stir_passport {
    /* JOSE header */
    char alg[16];
    char typ[16];
    char ppt[16]; /* "" when absent */
    char x5u[STIR_URI_MAX];
    /* claims */
    int64_t iat;
    struct stir_ident orig;
    struct stir_ident dest[STIR_MAX_DEST];
    size_t ndest;
    char attest[4];  /* SHAKEN: "A", "B" or "C"; "" when absent */
    char origid[80]; /* SHAKEN */
    /* Which claims were present, and problems found while parsing. */
    bool has_iat, has_orig, has_dest;
    char problem[128]; /* "" or what is malformed, for the 438 reason */
};

/**
 * Serializes the header and payload as deterministic JSON (RFC 8225 §9:
 * keys sorted, no whitespace, integers) into hdr/pay (NUL-terminated).
 * Returns 0, -ENOSPC or STIR_E_CLAIMS.
 */
int stir_passport_json(const struct stir_passport *p, char *hdr,
    size_t hdr_size, char *pay, size_t pay_size);

/**
 * Parses the decoded JSON header and payload. Returns 0 when both are JSON
 * objects (claims with wrong types are reported in p->problem, not as an
 * error, so the verifier can name them), STIR_E_JSON otherwise.
 */
int stir_passport_parse(
    struct stir_passport *p, struct slice hdr_json, struct slice pay_json);

/* ---- Identity header (RFC 8224 §4) ---- */

struct stir_identity {
    struct slice value;         /* the whole header value, trimmed */
    struct slice signing_input; /* "b64hdr.b64pay" as received (full) */
    struct slice b64_hdr, b64_pay, b64_sig;
    bool compact;      /* "..sig" (RFC 8225 §7) */
    bool legacy;       /* RFC 4474 quoted base64 signature */
    struct slice info; /* URI without the angle brackets */
    struct slice alg;  /* unquoted, empty when absent */
    struct slice ppt;  /* unquoted, empty when absent */
};

/**
 * Parses one Identity header value (full or compact form; info/alg/ppt
 * quoted or not; other generic-params skipped). Slices point into value.
 * 0 or STIR_E_IDENTITY with why (if not NULL) set to a static reason.
 */
int stir_identity_parse(
    struct stir_identity *id, struct slice value, const char **why);

/**
 * Builds "hdr.pay.sig;info=<x5u>;alg=ES256;ppt=shaken" (ppt omitted when
 * empty) into dst; returns the length or -ENOSPC.
 */
int stir_identity_build(char *dst, size_t size, struct slice b64_hdr,
    struct slice b64_pay, struct slice b64_sig, struct slice info,
    struct slice ppt);

/* ---- TN canonicalization (RFC 8224 §8) ---- */

/**
 * Identity of a SIP header value (name-addr or addr-spec, tel/sip/sips):
 * a canonical TN (RFC 8224 §8.3: only digits, '#' and '*'; '+' and visual
 * separators dropped) when the URI is a telephone number (tel URI,
 * user=phone, a leading '+', or a user part of dial characters), else the
 * normalized URI (§8.5: scheme:user@host, host lowercase, no params).
 */
int stir_ident_from_header(struct stir_ident *id, struct slice hdr_value);

/** Canonical TN of a number string: dst gets only digits, # and *. */
int stir_tn_canon(char *dst, size_t size, struct slice tn);

/* ---- Certificates, trust store, TNAuthList (RFC 8226) ---- */

enum stir_tnauth_type {
    STIR_TNAUTH_SPC = 0,
    STIR_TNAUTH_RANGE = 1,
    STIR_TNAUTH_ONE = 2,
};

#define STIR_TNAUTH_MAX 16

struct stir_tnauth_entry {
    enum stir_tnauth_type type;
    char value[STIR_TN_MAX]; /* SPC, range start, or the TN */
    uint64_t count;          /* range only */
};

struct stir_tnauth {
    struct stir_tnauth_entry e[STIR_TNAUTH_MAX];
    size_t n;
};

/**
 * Parses TNAuthorizationList DER (the extension's OCTET STRING content).
 * 0, or STIR_E_TNAUTH when it is not the RFC 8226 Appendix A structure.
 */
int stir_tnauth_parse(struct stir_tnauth *t, const void *der, size_t len);

/** Encodes t as DER into a malloc'ed buffer; returns its length or <0. */
int stir_tnauth_encode(const struct stir_tnauth *t, unsigned char **der);

/** True when canonical tn is inside a range or equals a single TN of t. */
bool stir_tnauth_covers(const struct stir_tnauth *t, const char *tn);

struct stir_trust;

/** Empty trust store (trust anchors + optional CRLs). */
int stir_trust_new(struct stir_trust **tp);
/**
 * Adds every certificate (as a trust anchor) and every CRL found in a PEM
 * buffer; returns how many objects were added or STIR_E_CERT_PARSE.
 */
int stir_trust_add_pem(struct stir_trust *t, const void *pem, size_t len);
/** Number of anchors / CRLs loaded. */
size_t stir_trust_anchors(const struct stir_trust *t);
size_t stir_trust_crls(const struct stir_trust *t);
void stir_trust_free(struct stir_trust *t);

/** A certificate (leaf + intermediates from the x5u bundle). Refcounted. */
struct stir_cert;

/**
 * Parses a PEM bundle, leaf first, the rest untrusted intermediates. Reads
 * the key type and the TNAuthList. STIR_E_CERT_PARSE when no certificate.
 */
int stir_cert_parse(struct stir_cert **cp, const void *pem, size_t len);
struct stir_cert *stir_cert_ref(struct stir_cert *c);
/** Drops one reference; returns NULL (libre style: c = stir_cert_deref(c)). */
struct stir_cert *stir_cert_deref(struct stir_cert *c);
/** TNAuthList of the leaf, or NULL when it has none (or it is malformed). */
const struct stir_tnauth *stir_cert_tnauth(const struct stir_cert *c);
/** Leaf public key (EVP_PKEY *). */
const void *stir_cert_pkey(const struct stir_cert *c);
/** Validity of the leaf. */
time_t stir_cert_not_before(const struct stir_cert *c);
time_t stir_cert_not_after(const struct stir_cert *c);
/** Subject of the leaf, RFC 2253 form ("CN=...,O=..."), cut to size. */
void stir_cert_subject(const struct stir_cert *c, char *dst, size_t size);

/** Intermediate CAs a chain may have between leaf and trust anchor. */
#define STIR_MAX_CHAIN_DEPTH 4

/**
 * Validates the chain to the trust store at time now: validity of every
 * certificate, CRLs when the store has any (leaf only: a CA without a CRL
 * must not fail every call), at most STIR_MAX_CHAIN_DEPTH intermediates.
 * Key type and TNAuthList are checked per use by the verifier. 0 or
 * STIR_E_CERT_UNTRUSTED with a precise reason.
 */
int stir_cert_validate(const struct stir_cert *c, const struct stir_trust *t,
    time_t now, char *why, size_t why_size);

/** Leaf X509 * (for the legacy RFC 4474 host check). */
const void *stir_cert_x509(const struct stir_cert *c);

/* ---- Verification (RFC 8224 §6.2) ---- */

#define STIR_MAX_IDENTITY 8

/**
 * The parts of a SIP request verification and signing read. Slices point
 * into the caller's message; stir_call_from_msg() fills it from a parsed
 * sip_msg, tests fill it by hand.
 */
struct stir_call {
    struct slice from, to, pai; /* header values; pai empty if absent */
    struct slice date;          /* Date value, empty if absent */
    struct slice identity[STIR_MAX_IDENTITY];
    size_t nidentity;
    /* RFC 4474 digest-string inputs */
    struct slice identity_info, call_id, cseq, contact, body;
};

struct sip_msg;

/**
 * Points call's slices into a parsed request (From, To, the first
 * P-Asserted-Identity, Date, every Identity, and the RFC 4474 inputs).
 * STIR_E_MESSAGE when From or To is missing.
 */
int stir_call_from_msg(struct stir_call *c, const struct sip_msg *m);

struct stir_policy {
    uint32_t freshness;  /* seconds; iat and Date, both ways (60) */
    uint32_t skew;       /* extra tolerance for clock skew (5) */
    bool require_date;   /* 403 when Date is missing (false: iat rules) */
    bool require_tnauth; /* 437 when the cert has no TNAuthList (true) */
    bool orig_from_pai;  /* orig is P-Asserted-Identity if present (true) */
    bool allow_legacy;   /* accept RFC 4474 Identity/Identity-Info (true) */
    const char *expected_spc; /* NULL, or the SPC the cert must carry */
};

/** Fills p with the defaults above. */
void stir_policy_default(struct stir_policy *p);

enum stir_code {
    STIR_PASS = 200,
    STIR_STALE = 403,
    STIR_USE_IDENTITY = 428,
    STIR_BAD_INFO = 436,
    STIR_BAD_CRED = 437,
    STIR_INVALID = 438,
};

/** Reason phrase of a verdict code ("Stale Date", ...). */
const char *stir_code_phrase(int code);

struct stir_verdict {
    int code;                /* enum stir_code */
    int header;              /* index of the deciding Identity header, or -1 */
    char reason[384];        /* what failed, with expected vs found */
    struct stir_passport pp; /* claims of the deciding header */
};

/**
 * Credential for an info URL: returns a validated certificate (borrowed)
 * or NULL with *code set to 436 (cannot acquire) or 437 (not supported)
 * and why filled.
 */
typedef const struct stir_cert *stir_cred_cb(
    void *arg, struct slice info, int *code, char *why, size_t why_size);

/**
 * Verifies every Identity header of call: pure function of the message,
 * the credentials cred returns, the policy and now. The verdict is a pass
 * when one supported header validates; else the code and reason of the
 * most telling failure (RFC 8224 §6.2.2: 436 only when no credential could
 * be acquired for any header).
 */
void stir_verify(struct stir_vctx *v, const struct stir_call *call,
    stir_cred_cb *cred, void *arg, const struct stir_policy *pol, time_t now,
    struct stir_verdict *out);

/**
 * Convenience for the offline tool: one certificate bundle for every
 * header, validated against trust at now, then stir_verify().
 */
void stir_verify_pem(struct stir_vctx *v, const struct stir_call *call,
    const void *pem, size_t pem_len, const struct stir_trust *trust,
    const struct stir_policy *pol, time_t now, struct stir_verdict *out);

/**
 * Reason header value (RFC 3326) for a failed verdict, as the STI-VS sends
 * it (ATIS-1000074 §5.3.2): `SIP;cause=438;text="<what failed>"`, the text
 * being the verdict's precise reason (or the code's phrase when it has
 * none); with stir_proto (RFC 9410) the protocol is STIR. Returns the
 * length, 0 for a pass, or -ENOSPC.
 */
int stir_reason_value(
    const struct stir_verdict *v, bool stir_proto, char *dst, size_t size);

/**
 * The same for any cause and text (a replay refused with 403, a 428):
 * quotes, backslashes and controls in text are replaced so the
 * quoted-string stays valid. Returns the length or -ENOSPC (dst is then
 * truncated but terminated).
 */
int stir_reason_fmt(
    char *dst, size_t size, bool stir_proto, int cause, const char *text);

/**
 * verstat value for the asserted identity (3GPP TS 24.229, ATIS-1000074):
 * "TN-Validation-Passed", "TN-Validation-Failed", or "No-TN-Validation"
 * when the request carried no usable Identity (428). _code takes the
 * verdict's code alone.
 */
const char *stir_verstat(const struct stir_verdict *v);
const char *stir_verstat_code(int code);

/* ---- Signing (RFC 8224 §6.1) ---- */

struct stir_sign_opts {
    char attest;        /* 'A', 'B', 'C' */
    const char *origid; /* NULL: a fresh UUID v4 */
    time_t iat;
    bool orig_from_pai; /* take orig from P-Asserted-Identity if present */
};

/**
 * Builds the PASSporT for call (orig from PAI/From, dest from To, both
 * canonicalized) and writes the Identity header value into dst. Returns
 * its length or <0 (STIR_E_NOT_TN when From/To carry no usable identity).
 */
int stir_sign(struct stir_signer *s, const struct stir_call *call,
    const struct stir_sign_opts *o, char *dst, size_t size);

/* ---- Legacy RFC 4474 ---- */

/**
 * Builds the RFC 4474 digest-string (From|To|Call-ID|CSeq|Date|Contact|
 * body) into dst; returns its length or <0.
 */
int stir_legacy_digest_string(
    const struct stir_call *call, char *dst, size_t size);

/**
 * Signs with an RSA private key (PEM) and rsa-sha256: writes the quoted
 * Identity value into ident and the Identity-Info value into info.
 */
int stir_legacy_sign(const void *key_pem, size_t key_len,
    const struct stir_call *call, struct slice info_url, char *ident,
    size_t ident_size, char *info, size_t info_size);

#endif
