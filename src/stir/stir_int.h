/* Declarations shared between the files of the stir layer. */
#ifndef SW_STIR_STIR_INT_H
#define SW_STIR_STIR_INT_H

#include <openssl/evp.h>

#include "stir/stir.h"

/* Largest base64url part we accept: PASSporTs are a few hundred bytes. */
#define STIR__B64_MAX 8192

/** True when pkey is an EC key on P-256 (the only key ES256 knows). */
bool stir__pkey_is_p256(const EVP_PKEY *pkey);

/** Key-type name for reasons: "EC P-256", "EC secp384r1", "RSA", ... */
void stir__pkey_describe(const EVP_PKEY *pkey, char *dst, size_t size);

/** snprintf into a reason buffer, never overflowing. */
void stir__why(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Per-thread cache of the last JOSE header seen: a signer sends the same
 * header bytes ({"alg","ppt","typ","x5u"}) on every call, so when the
 * base64url text matches, its decoded fields are reused instead of being
 * decoded and parsed again. Only headers that parsed cleanly are cached.
 */
struct stir__hdr_cache {
    size_t len; /* 0: empty */
    char b64[512];
    char alg[16], typ[16], ppt[16], x5u[STIR_URI_MAX];
};

struct stir__hdr_cache *stir__vctx_hdr_cache(struct stir_vctx *v);

/** stir_passport_parse(); with hdr_json.p NULL the header is not parsed
 * (its fields stay empty for the caller to fill). */
int stir__passport_parse_ex(
    struct stir_passport *p, struct slice hdr_json, struct slice pay_json);

/** Raw r||s to DER ECDSA-Sig-Value (der: 72 bytes); returns its length. */
int stir__es256_der(const uint8_t raw[STIR_ES256_SIG_LEN], unsigned char *der);

/** The x5u the signer was created with. */
const char *stir__signer_x5u(const struct stir_signer *s);

/** The leaf key is EC P-256 (cached at parse). */
bool stir__cert_is_p256(const struct stir_cert *c);

/** 0 TNAuthList fine, 1 absent, 2 malformed. */
int stir__cert_tnauth_state(const struct stir_cert *c);

/** Parses a SIP-date (RFC 3261 §25.1); 0 or -EINVAL. */
int stir__parse_date(struct slice d, time_t *out);

/** RFC 4474 verification of one parsed legacy Identity header. */
int stir__verify_legacy(const struct stir_identity *id,
    const struct stir_call *call, stir_cred_cb *cred, void *arg,
    const struct stir_policy *pol, time_t now, struct stir_verdict *out);

/** Extracts the addr-spec of a name-addr / addr-spec header value. */
struct slice stir__addr_spec(struct slice hdr_value);

#endif
