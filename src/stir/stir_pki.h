/*
 * Test PKI for STIR: keys, CA and end-entity certificates with a correct
 * TNAuthList (RFC 8226), and CRLs, made with OpenSSL's X509 API in memory.
 * `sipward pki` writes them to files; the unit tests build their
 * certificate matrix with them. Exposes OpenSSL types on purpose.
 */
#ifndef SW_STIR_STIR_PKI_H
#define SW_STIR_STIR_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "stir/stir.h"

/** "P-256" (default), "P-384" or "RSA" (2048-bit). */
EVP_PKEY *stir_pki_key_new(const char *type);

struct stir_pki_opts {
    const char *cn;
    time_t not_before, not_after;
    bool ca;
    int pathlen;                  /* CA only; -1 for none */
    const struct stir_tnauth *tn; /* end entity: TNAuthList or NULL */
    const unsigned char *tn_der;  /* raw extension content instead */
    size_t tn_der_len;
    const char *crl_url; /* CRL distribution point or NULL */
    bool shaken_policy;  /* certificatePolicies SHAKEN CP */
    const char *san;     /* subjectAltName ("DNS:x") or NULL */
    uint64_t serial;
};

/**
 * Issues a certificate for key, signed by issuer/issuer_key (both NULL:
 * self-signed). Returns NULL on failure.
 */
X509 *stir_pki_issue(EVP_PKEY *key, const struct stir_pki_opts *o, X509 *issuer,
    EVP_PKEY *issuer_key);

/** CRL of issuer listing the revoked certificates, valid from now. */
X509_CRL *stir_pki_crl(X509 *issuer, EVP_PKEY *issuer_key, X509 *const *revoked,
    size_t nrevoked, time_t now, long days);

/** PEM of a certificate / private key / CRL appended to a malloc'ed
 * buffer (*buf, *len grow); 0 or -ENOMEM. */
int stir_pki_pem_cert(X509 *x, char **buf, size_t *len);
int stir_pki_pem_key(EVP_PKEY *k, char **buf, size_t *len);
int stir_pki_pem_crl(X509_CRL *c, char **buf, size_t *len);

#endif
