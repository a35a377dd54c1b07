/*
 * Request bodies of the REST interfaces, parsed and checked apart from any
 * connection: JSON text in, a validated request out, or the status and
 * message to answer in rs. The handlers of http_stir.c and http_admin.c
 * call these, and so does the fuzzer, without sockets.
 *
 * Every function returns true on success (rs untouched) or false with an
 * error response set in rs (4xx; 500 only when out of memory).
 */
#ifndef SW_HTTP_BODY_H
#define SW_HTTP_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/auth.h"
#include "base/slice.h"
#include "http/http_server.h"
#include "stir/stir.h"

/**
 * The body as a JSON object. content_type may be NULL (curl -d sends a
 * form type, so only clearly other types are refused, with 415).
 */
json_t *http_body_json(const char *content_type, const char *body, size_t len,
    struct http_resp *rs);

/* POST /stir/v1/signing {"signingRequest": {...}} */
struct http_sign_body {
    char attest; /* 'A', 'B' or 'C' */
    char orig[STIR_TN_MAX], dest[STIR_TN_MAX];
    const char *origid; /* NULL when absent; points into the JSON */
    bool has_iat;
    int64_t iat;
};

bool http_body_sign(
    struct http_sign_body *b, json_t *root, struct http_resp *rs);

/* POST /stir/v1/verification {"verificationRequest": {...}} */
struct http_verify_body {
    char orig[STIR_TN_MAX], dest[STIR_TN_MAX];
    const char *identity; /* points into the JSON */
    int64_t time;         /* 0 when absent */
};

bool http_body_verify(
    struct http_verify_body *b, json_t *root, struct http_resp *rs);

/** The "aor" member, canonical (store_aor_canon) into aor[size]. */
bool http_body_aor(json_t *j, char *aor, size_t size, struct http_resp *rs);

/* The moved-directory entry of POST /api/v1/moved and PUT .../AOR. */
struct http_moved_body {
    const char *uri;  /* sip:, sips: or tel: */
    const char *note; /* NULL when absent */
};

/** A moved target: sip:, sips: or tel:, at most STORE_MAX_FIELD bytes, no
 * blanks or delimiters (it goes into a Contact header). */
bool http_moved_target_valid(const char *uri);

bool http_body_moved(
    struct http_moved_body *m, json_t *j, struct http_resp *rs);

/*
 * A user of POST /api/v1/users and PUT .../AOR: "password" (hashed here,
 * then wiped from the JSON) or "ha1_md5"/"ha1_sha256"; "username" defaults
 * to the AOR's user part, "realm" to default_realm.
 */
struct http_user_body {
    struct slice username; /* into the JSON or the AOR */
    const char *realm;     /* into the JSON or default_realm */
    char ha1_md5[AUTH_HEX_MAX], ha1_sha256[AUTH_HEX_MAX]; /* "" if none */
};

bool http_body_user(struct http_user_body *u, json_t *j, const char *aor,
    const char *default_realm, struct http_resp *rs);

/** Wipes the hashes (they are password equivalents). */
void http_user_body_wipe(struct http_user_body *u);

#endif
