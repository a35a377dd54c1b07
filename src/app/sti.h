/*
 * STIR/SHAKEN in the daemon: the signing service (STI-AS, RFC 8224 §6.1)
 * and the verification service (STI-VS, §6.2) as SIP services of the
 * pipeline, answering with a 302 (the "dip" interface an SBC uses), and the
 * same functions for the REST interface (http/http_stir.c).
 *
 * One struct sti is shared by every worker and the HTTP threads: the [stir]
 * options, the signing key and certificate chain, the trust store, the
 * certificate cache (app/certfetch.h) and the replay cache. It is built
 * before the workers start and read-only afterwards, except for the two
 * caches, which lock.
 *
 * With no key configured, sti_new() creates a test STI PKI under the data
 * directory on first start (root CA, intermediate, a SHAKEN certificate) and
 * trusts its root, and the HTTP service serves the chain at
 * /certs/<name>.pem: sign -> verify works out of the box.
 */
#ifndef SW_APP_STI_H
#define SW_APP_STI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "app/pipeline.h"
#include "base/conf.h"
#include "stir/stir.h"
#include "transport/listen.h"

/* The [stir] section. */
struct sti_conf {
    char *verify_from; /* "*", "" or sources: STI-VS answers their INVITEs */
    char *sign_from;   /* sources whose INVITEs STI-AS signs */
    char *policy;      /* reject | mark: failed verification */
    char *no_identity; /* pass | mark | reject: INVITE without Identity */
    char *replay;      /* off | flag | reject */
    int64_t freshness; /* seconds */
    char *attest;      /* default attestation A, B or C */
    char *key, *cert, *x5u;
    char *pki_dir;   /* "" = <store dir>/pki */
    char *cert_name; /* served at /certs/<name>.pem */
    char *trust;     /* trust anchor directory; "" = the test PKI's */
    char *http_hosts, *private_hosts;
    int64_t fetch_timeout_ms, fetch_max_bytes;
    int64_t cache_ttl_min, cache_ttl_max, cache_neg_ttl, cache_max;
    int64_t replay_max;
    char *vs_mode, *as_mode; /* redirect | proxy */
    char *next_hop;          /* where the inline services forward */
    bool record_route;
};

/** Registers the [stir] table into c, pointing at sc. */
void sti_conf_register(struct conf *c, struct sti_conf *sc);
/** Cross-option checks; message in c->err. */
int sti_conf_validate(struct conf *c, const struct sti_conf *sc);

struct sti;

/**
 * Loads key, chain and trust anchors (creating the test PKI when none is
 * configured), resolves the listeners named in verify_from/sign_from. Logs
 * why and returns <0 on failure. store_path places the default PKI dir.
 */
int sti_new(struct sti **sp, const struct sti_conf *c, const char *store_path,
    const struct transport_listener *ls, size_t nls);
void sti_free(struct sti *s);

/**
 * The HTTP service tells where it serves /certs/: when stir.x5u is not
 * configured, signatures name base_url + "/certs/<name>.pem", and host
 * (ours) is allow-listed for http and loopback fetches. Before the workers
 * start only.
 */
int sti_set_self(struct sti *s, const char *base_url, const char *host);

/** The x5u/info URL signatures carry ("" until known). */
const char *sti_x5u(const struct sti *s);

/** Our chain (leaf first) when name is the configured cert name, else
 * false. */
bool sti_chain(const struct sti *s, const char *name, struct slice *pem);

/** True when STI-VS or STI-AS runs inline (stir.*_mode = proxy): the
 * pipeline needs stir.next_hop (app_pipeline_set_proxy). */
bool sti_inline(const struct sti *s);

/** The services, for app_pipeline_add(): STI-AS before STI-VS. */
const struct app_service *sti_as_service(struct sti *s);
const struct app_service *sti_vs_service(struct sti *s);

/** The certificate cache, for the admin API's list and flush. */
struct certcache *sti_certcache(struct sti *s);

struct sti_trust_info {
    size_t anchors, crls; /* now loaded */
    size_t flushed;       /* cached certificates dropped */
    char dir[4096];       /* where they were read from */
};

/**
 * Reads the trust anchors and CRLs of dir (NULL: the directory in use)
 * into a new store and swaps it in; the certificate cache is emptied,
 * since its entries were validated against the old store. A directory that
 * cannot be read, or holds no trust anchor, leaves the running store in
 * place: returns -errno or -ENOENT with why set. Any thread.
 */
int sti_trust_reload(struct sti *s, const char *dir, struct sti_trust_info *out,
    char *why, size_t why_size);

/* ---- REST (blocking allowed: HTTP threads) ---- */

struct sti_sign_req {
    char attest;
    const char *orig_tn;
    const char *dest_tn;
    const char *origid; /* NULL: generated */
    time_t iat;
};

/** Identity header value into dst; length or <0 with why set. */
int sti_rest_sign(struct sti *s, const struct sti_sign_req *r, char *dst,
    size_t size, const char **why);

/**
 * Verifies identity for a call from orig to dest at now (date: the
 * request's Date, or 0); fetches the certificate synchronously when not
 * cached.
 */
void sti_rest_verify(struct sti *s, const char *orig_tn, const char *dest_tn,
    const char *identity, time_t date, struct stir_verdict *out);

#endif
