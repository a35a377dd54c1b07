/*
 * In-memory test PKI: the same profile as the openssl recipe in
 * stir-reference.md §5 (P-256 keys, root CA, intermediate with pathlen 0,
 * end entity with digitalSignature, SHAKEN certificate policy, CRL
 * distribution point and TNAuthList), built with the X509 API.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "stir/stir_pki.h"

EVP_PKEY *
stir_pki_key_new(const char *type)
{
    if (!type || strcmp(type, "P-256") == 0) {
        return EVP_EC_gen("P-256");
    }
    if (strcmp(type, "P-384") == 0) {
        return EVP_EC_gen("P-384");
    }
    if (strcmp(type, "RSA") == 0) {
        return EVP_RSA_gen(2048);
    }
    return NULL;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) {
        return -1;
    }
    int rc = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return rc == 1 ? 0 : -1;
}

/* certificatePolicies: the SHAKEN CP OID (ATIS-1000080). */
static int
add_policy(X509 *x)
{
    CERTIFICATEPOLICIES *pols = CERTIFICATEPOLICIES_new();
    POLICYINFO *pi = POLICYINFO_new();
    int rc = -1;

    if (!pols || !pi) {
        goto out;
    }
    ASN1_OBJECT_free(pi->policyid);
    pi->policyid = OBJ_txt2obj("2.16.840.1.114569.1.1.1", 1);
    if (!pi->policyid || !sk_POLICYINFO_push(pols, pi)) {
        goto out;
    }
    pi = NULL;
    if (X509_add1_ext_i2d(
            x, NID_certificate_policies, pols, 0, X509V3_ADD_DEFAULT)
        == 1) {
        rc = 0;
    }
out:
    POLICYINFO_free(pi);
    CERTIFICATEPOLICIES_free(pols);
    return rc;
}

static int
add_tnauth(X509 *x, const unsigned char *der, size_t len)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    int rc = -1;

    if (oid && os && ASN1_OCTET_STRING_set(os, der, (int) len) == 1) {
        /* SHAKEN certificates carry it non-critical (ATIS-1000080). */
        ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
    }
    if (ext && X509_add_ext(x, ext, -1) == 1) {
        rc = 0;
    }
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
    return rc;
}

X509 *
stir_pki_issue(EVP_PKEY *key, const struct stir_pki_opts *o, X509 *issuer,
    EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    X509_NAME *name = NULL;
    unsigned char *tn_der = NULL;
    char buf[64];
    bool ok = false;

    if (!x) {
        return NULL;
    }
    name = X509_NAME_new();
    if (!name || X509_set_version(x, 2) != 1
        || ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), o->serial) != 1
        || !ASN1_TIME_set(X509_getm_notBefore(x), o->not_before)
        || !ASN1_TIME_set(X509_getm_notAfter(x), o->not_after)
        || X509_set_pubkey(x, key) != 1) {
        goto out;
    }
    X509_NAME_add_entry_by_txt(
        name, "C", MBSTRING_ASC, (const unsigned char *) "US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
        (const unsigned char *) "sipward test STI", -1, -1, 0);
    X509_NAME_add_entry_by_txt(
        name, "CN", MBSTRING_UTF8, (const unsigned char *) o->cn, -1, -1, 0);
    if (X509_set_subject_name(x, name) != 1
        || X509_set_issuer_name(
               x, issuer ? X509_get_subject_name(issuer) : name)
            != 1) {
        goto out;
    }
    if (o->ca) {
        if (o->pathlen >= 0) {
            snprintf(
                buf, sizeof(buf), "critical,CA:TRUE,pathlen:%d", o->pathlen);
        } else {
            snprintf(buf, sizeof(buf), "critical,CA:TRUE");
        }
        if (add_ext(x, issuer, NID_basic_constraints, buf) != 0
            || add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign")
                != 0) {
            goto out;
        }
    } else if (add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE")
            != 0
        || add_ext(x, issuer, NID_key_usage, "critical,digitalSignature")
            != 0) {
        goto out;
    }
    if (add_ext(x, issuer, NID_subject_key_identifier, "hash") != 0) {
        goto out;
    }
    if (issuer
        && add_ext(x, issuer, NID_authority_key_identifier, "keyid:always")
            != 0) {
        goto out;
    }
    if (o->shaken_policy && add_policy(x) != 0) {
        goto out;
    }
    if (o->san && add_ext(x, issuer, NID_subject_alt_name, o->san) != 0) {
        goto out;
    }
    if (o->crl_url) {
        snprintf(buf, sizeof(buf), "URI:%s", o->crl_url);
        if (add_ext(x, issuer, NID_crl_distribution_points, buf) != 0) {
            goto out;
        }
    }
    if (o->tn) {
        int len = stir_tnauth_encode(o->tn, &tn_der);
        if (len <= 0 || add_tnauth(x, tn_der, (size_t) len) != 0) {
            goto out;
        }
    } else if (o->tn_der && add_tnauth(x, o->tn_der, o->tn_der_len) != 0) {
        goto out;
    }
    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
        goto out;
    }
    ok = true;
out:
    OPENSSL_free(tn_der);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

X509_CRL *
stir_pki_crl(X509 *issuer, EVP_PKEY *issuer_key, X509 *const *revoked,
    size_t nrevoked, time_t now, long days)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t = ASN1_TIME_new();
    bool ok = false;

    if (!crl || !t || X509_CRL_set_version(crl, 1) != 1
        || X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) != 1
        || !ASN1_TIME_set(t, now) || X509_CRL_set1_lastUpdate(crl, t) != 1
        || !ASN1_TIME_set(t, now + days * 86400)
        || X509_CRL_set1_nextUpdate(crl, t) != 1) {
        goto out;
    }
    for (size_t i = 0; i < nrevoked; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_TIME *when = ASN1_TIME_new();
        if (!r || !when || !ASN1_TIME_set(when, now)
            || X509_REVOKED_set_serialNumber(
                   r, X509_get_serialNumber(revoked[i]))
                != 1
            || X509_REVOKED_set_revocationDate(r, when) != 1
            || X509_CRL_add0_revoked(crl, r) != 1) {
            X509_REVOKED_free(r);
            ASN1_TIME_free(when);
            goto out;
        }
        ASN1_TIME_free(when);
    }
    X509_CRL_sort(crl);
    if (X509_CRL_sign(crl, issuer_key, EVP_sha256()) <= 0) {
        goto out;
    }
    ok = true;
out:
    ASN1_TIME_free(t);
    if (!ok) {
        X509_CRL_free(crl);
        crl = NULL;
    }
    return crl;
}

static int
bio_append(BIO *bio, char **buf, size_t *len)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *nb;

    if (n < 0) {
        return -ENOMEM;
    }
    nb = realloc(*buf, *len + (size_t) n + 1);
    if (!nb) {
        return -ENOMEM;
    }
    memcpy(nb + *len, data, (size_t) n);
    *len += (size_t) n;
    nb[*len] = '\0';
    *buf = nb;
    return 0;
}

int
stir_pki_pem_cert(X509 *x, char **buf, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int err = -ENOMEM;

    if (bio && PEM_write_bio_X509(bio, x) == 1) {
        err = bio_append(bio, buf, len);
    }
    BIO_free(bio);
    return err;
}

int
stir_pki_pem_key(EVP_PKEY *k, char **buf, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int err = -ENOMEM;

    if (bio
        && PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) == 1) {
        err = bio_append(bio, buf, len);
    }
    BIO_free(bio);
    return err;
}

int
stir_pki_pem_crl(X509_CRL *c, char **buf, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int err = -ENOMEM;

    if (bio && PEM_write_bio_X509_CRL(bio, c) == 1) {
        err = bio_append(bio, buf, len);
    }
    BIO_free(bio);
    return err;
}
