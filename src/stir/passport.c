/*
 * PASSporT JSON (RFC 8225 §4-§5, §9; SHAKEN claims RFC 8588). Building
 * uses jansson with sorted keys and compact separators, which is exactly
 * RFC 8225 §9's deterministic form; '/' is not escaped. Parsing never
 * requires sorted input: the signature is checked over the received bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stir/stir_int.h"

/*
 * jansson allocates every object, key and string it parses. While a
 * PASSporT is parsed, its allocations come from a per-thread bump arena
 * that is dropped as a whole afterwards (all objects are released before
 * stir_passport_parse returns); any other use of jansson in the process
 * gets malloc/free as before. This takes the allocator out of the
 * verification path.
 */
#define JARENA_SIZE 16384

static _Thread_local struct {
    bool on;
    size_t used;
    _Alignas(16) char buf[JARENA_SIZE];
} jarena;

static void *
jalloc(size_t n)
{
    if (jarena.on) {
        size_t a = (n + 15) & ~(size_t) 15;
        if (a <= JARENA_SIZE - jarena.used) {
            void *p = jarena.buf + jarena.used;
            jarena.used += a;
            return p;
        }
    }
    return malloc(n);
}

static void
jfree(void *p)
{
    if ((char *) p >= jarena.buf && (char *) p < jarena.buf + JARENA_SIZE) {
        return;
    }
    free(p);
}

static pthread_once_t jonce = PTHREAD_ONCE_INIT;

static void
jinit(void)
{
    json_set_alloc_funcs(jalloc, jfree);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* RFC 8225 §5.2.1: "tn" then "uri" arrays, strings in lexical order. */
static json_t *
dest_json(const struct stir_passport *p)
{
    const char *tn[STIR_MAX_DEST], *uri[STIR_MAX_DEST];
    size_t ntn = 0, nuri = 0;
    json_t *o = json_object(), *a;

    if (!o) {
        return NULL;
    }
    for (size_t i = 0; i < p->ndest && i < STIR_MAX_DEST; i++) {
        if (p->dest[i].is_tn) {
            tn[ntn++] = p->dest[i].v;
        } else {
            uri[nuri++] = p->dest[i].v;
        }
    }
    qsort(tn, ntn, sizeof(tn[0]), cmp_str);
    qsort(uri, nuri, sizeof(uri[0]), cmp_str);
    if (ntn) {
        a = json_array();
        for (size_t i = 0; i < ntn; i++) {
            json_array_append_new(a, json_string(tn[i]));
        }
        json_object_set_new(o, "tn", a);
    }
    if (nuri) {
        a = json_array();
        for (size_t i = 0; i < nuri; i++) {
            json_array_append_new(a, json_string(uri[i]));
        }
        json_object_set_new(o, "uri", a);
    }
    return o;
}

static int
dump(json_t *o, char *dst, size_t size)
{
    size_t n = json_dumpb(o, dst, size, JSON_COMPACT | JSON_SORT_KEYS);

    if (n == 0 || n >= size) {
        return -ENOSPC;
    }
    dst[n] = '\0';
    return (int) n;
}

int
stir_passport_json(const struct stir_passport *p, char *hdr, size_t hdr_size,
    char *pay, size_t pay_size)
{
    json_t *h = NULL, *c = NULL, *orig = NULL;
    int err = -ENOMEM;

    if (p->ndest == 0 || p->orig.v[0] == '\0') {
        return STIR_E_CLAIMS;
    }
    h = json_object();
    c = json_object();
    orig = json_object();
    if (!h || !c || !orig) {
        goto out;
    }
    json_object_set_new(h, "alg", json_string(p->alg[0] ? p->alg : "ES256"));
    if (p->ppt[0]) {
        json_object_set_new(h, "ppt", json_string(p->ppt));
    }
    json_object_set_new(h, "typ", json_string("passport"));
    json_object_set_new(h, "x5u", json_string(p->x5u));

    if (p->attest[0]) {
        json_object_set_new(c, "attest", json_string(p->attest));
    }
    json_object_set_new(c, "dest", dest_json(p));
    json_object_set_new(c, "iat", json_integer(p->iat));
    json_object_set_new(
        orig, p->orig.is_tn ? "tn" : "uri", json_string(p->orig.v));
    json_object_set_new(c, "orig", orig);
    orig = NULL;
    if (p->origid[0]) {
        json_object_set_new(c, "origid", json_string(p->origid));
    }
    err = dump(h, hdr, hdr_size);
    if (err >= 0) {
        err = dump(c, pay, pay_size);
    }
    if (err > 0) {
        err = 0;
    }
out:
    json_decref(h);
    json_decref(c);
    json_decref(orig);
    return err;
}

/* Copies a JSON string member into dst; false (and a problem) otherwise. */
static bool
get_str(struct stir_passport *p, json_t *o, const char *obj, const char *key,
    char *dst, size_t size)
{
    json_t *v = json_object_get(o, key);

    if (!v) {
        return false;
    }
    if (!json_is_string(v)) {
        if (!p->problem[0]) {
            stir__why(p->problem, sizeof(p->problem),
                "%s \"%s\" is not a JSON string", obj, key);
        }
        return false;
    }
    if (json_string_length(v) >= size
        || strlen(json_string_value(v)) != json_string_length(v)) {
        if (!p->problem[0]) {
            stir__why(p->problem, sizeof(p->problem),
                "%s \"%s\" is too long or holds a NUL", obj, key);
        }
        return false;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return true;
}

static void
bad(struct stir_passport *p, const char *msg)
{
    if (!p->problem[0]) {
        stir__why(p->problem, sizeof(p->problem), "%s", msg);
    }
}

static void
parse_orig(struct stir_passport *p, json_t *o)
{
    json_t *tn, *uri;

    if (!o) {
        return;
    }
    if (!json_is_object(o)) {
        bad(p, "claim \"orig\" is not a JSON object");
        return;
    }
    tn = json_object_get(o, "tn");
    uri = json_object_get(o, "uri");
    /* RFC 8225 §5.2.1: exactly one identity claim object. */
    if ((tn != NULL) == (uri != NULL)) {
        bad(p, "claim \"orig\" must hold exactly one of \"tn\" or \"uri\"");
        return;
    }
    p->orig.is_tn = tn != NULL;
    if (get_str(
            p, o, "orig", tn ? "tn" : "uri", p->orig.v, sizeof(p->orig.v))) {
        p->has_orig = true;
    }
}

static void
parse_dest_arr(struct stir_passport *p, json_t *a, bool is_tn)
{
    size_t i;
    json_t *v;

    if (!json_is_array(a)) {
        bad(p,
            is_tn ? "claim \"dest\".\"tn\" is not an array"
                  : "claim \"dest\".\"uri\" is not an array");
        return;
    }
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) >= STIR_URI_MAX) {
            bad(p, "claim \"dest\" holds a non-string identity");
            return;
        }
        if (p->ndest == STIR_MAX_DEST) {
            bad(p, "claim \"dest\" lists too many identities");
            return;
        }
        struct stir_ident *d = &p->dest[p->ndest++];
        d->is_tn = is_tn;
        memcpy(d->v, json_string_value(v), json_string_length(v) + 1);
        d->v[json_string_length(v)] = '\0';
    }
}

static void
parse_dest(struct stir_passport *p, json_t *o)
{
    json_t *tn, *uri;

    if (!o) {
        return;
    }
    if (!json_is_object(o)) {
        bad(p, "claim \"dest\" is not a JSON object");
        return;
    }
    tn = json_object_get(o, "tn");
    uri = json_object_get(o, "uri");
    if (tn) {
        parse_dest_arr(p, tn, true);
    }
    if (uri) {
        parse_dest_arr(p, uri, false);
    }
    if (p->ndest == 0) {
        bad(p, "claim \"dest\" holds no identity");
        return;
    }
    p->has_dest = true;
}

int
stir_passport_parse(
    struct stir_passport *p, struct slice hdr_json, struct slice pay_json)
{
    if (!hdr_json.p) {
        hdr_json = SLICE_LIT("");
    }
    return stir__passport_parse_ex(p, hdr_json, pay_json);
}

int
stir__passport_parse_ex(
    struct stir_passport *p, struct slice hdr_json, struct slice pay_json)
{
    json_t *h = NULL, *c = NULL, *v;
    json_error_t je;
    int err = STIR_E_JSON;

    memset(p, 0, sizeof(*p));
    pthread_once(&jonce, jinit);
    jarena.on = true;
    jarena.used = 0;
    if (hdr_json.p) {
        h = json_loadb(hdr_json.p, hdr_json.len, JSON_REJECT_DUPLICATES, &je);
        if (!h || !json_is_object(h)) {
            bad(p, "PASSporT header is not a JSON object");
            goto out;
        }
    }
    c = json_loadb(pay_json.p, pay_json.len, JSON_REJECT_DUPLICATES, &je);
    if (!c || !json_is_object(c)) {
        bad(p, "PASSporT payload is not a JSON object");
        goto out;
    }
    if (h) {
        get_str(p, h, "header", "alg", p->alg, sizeof(p->alg));
        get_str(p, h, "header", "typ", p->typ, sizeof(p->typ));
        get_str(p, h, "header", "ppt", p->ppt, sizeof(p->ppt));
        get_str(p, h, "header", "x5u", p->x5u, sizeof(p->x5u));
    }

    v = json_object_get(c, "iat");
    if (v) {
        /* RFC 8225 §5.1.1: NumericDate, a JSON number (errata 5985). */
        if (json_is_integer(v)) {
            p->iat = json_integer_value(v);
            p->has_iat = true;
        } else {
            bad(p, "claim \"iat\" is not a JSON number");
        }
    }
    parse_orig(p, json_object_get(c, "orig"));
    parse_dest(p, json_object_get(c, "dest"));
    get_str(p, c, "claim", "attest", p->attest, sizeof(p->attest));
    get_str(p, c, "claim", "origid", p->origid, sizeof(p->origid));
    err = 0;
out:
    json_decref(h);
    json_decref(c);
    jarena.on = false;
    return err;
}
