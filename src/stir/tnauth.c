/*
 * TNAuthList (RFC 8226 Appendix A, module with EXPLICIT TAGS), described
 * with OpenSSL's ASN.1 templates:
 *
 *   TNAuthorizationList ::= SEQUENCE SIZE (1..MAX) OF TNEntry
 *   TNEntry ::= CHOICE { spc [0] ServiceProviderCode,
 *                        range [1] TelephoneNumberRange,
 *                        one [2] TelephoneNumber }
 *   TelephoneNumberRange ::= SEQUENCE { start TelephoneNumber,
 *                                       count INTEGER (2..MAX), ... }
 *   TelephoneNumber ::= IA5String (SIZE (1..15)) (FROM ("0123456789#*"))
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/safestack.h>

#include "stir/stir_int.h"

typedef struct {
    ASN1_IA5STRING *start;
    ASN1_INTEGER *count;
} STIR_TNRANGE;

typedef struct {
    int type;
    union {
        ASN1_IA5STRING *spc;
        STIR_TNRANGE *range;
        ASN1_IA5STRING *one;
    } d;
} STIR_TNENTRY;

DECLARE_ASN1_FUNCTIONS(STIR_TNRANGE)
DECLARE_ASN1_FUNCTIONS(STIR_TNENTRY)

ASN1_SEQUENCE(STIR_TNRANGE) = {
    ASN1_SIMPLE(STIR_TNRANGE, start, ASN1_IA5STRING),
    ASN1_SIMPLE(STIR_TNRANGE, count, ASN1_INTEGER),
} ASN1_SEQUENCE_END(STIR_TNRANGE)

ASN1_CHOICE(STIR_TNENTRY) = {
    ASN1_EXP(STIR_TNENTRY, d.spc, ASN1_IA5STRING, 0),
    ASN1_EXP(STIR_TNENTRY, d.range, STIR_TNRANGE, 1),
    ASN1_EXP(STIR_TNENTRY, d.one, ASN1_IA5STRING, 2),
} ASN1_CHOICE_END(STIR_TNENTRY)

IMPLEMENT_ASN1_FUNCTIONS(STIR_TNRANGE)
IMPLEMENT_ASN1_FUNCTIONS(STIR_TNENTRY)

DEFINE_STACK_OF(STIR_TNENTRY)
typedef STACK_OF(STIR_TNENTRY) STIR_TNAUTHLIST;
DECLARE_ASN1_FUNCTIONS(STIR_TNAUTHLIST)

ASN1_ITEM_TEMPLATE(STIR_TNAUTHLIST) = ASN1_EX_TEMPLATE_TYPE(
    ASN1_TFLG_SEQUENCE_OF, 0, TNAuthorizationList, STIR_TNENTRY)
    ASN1_ITEM_TEMPLATE_END(STIR_TNAUTHLIST)

        IMPLEMENT_ASN1_FUNCTIONS(STIR_TNAUTHLIST)

    /* TelephoneNumber: 1..15 of "0123456789#*". */
    static bool tn_ok(const ASN1_IA5STRING *s, char *dst)
{
    int len = ASN1_STRING_length(s);
    const unsigned char *p = ASN1_STRING_get0_data(s);

    if (len < 1 || len > 15) {
        return false;
    }
    for (int i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '#' || p[i] == '*')) {
            return false;
        }
    }
    memcpy(dst, p, (size_t) len);
    dst[len] = '\0';
    return true;
}

static bool
spc_ok(const ASN1_IA5STRING *s, char *dst)
{
    int len = ASN1_STRING_length(s);
    const unsigned char *p = ASN1_STRING_get0_data(s);

    if (len < 1 || len >= STIR_TN_MAX) {
        return false;
    }
    for (int i = 0; i < len; i++) {
        if (p[i] < 0x21 || p[i] > 0x7e) {
            return false;
        }
    }
    memcpy(dst, p, (size_t) len);
    dst[len] = '\0';
    return true;
}

int
stir_tnauth_parse(struct stir_tnauth *t, const void *der, size_t len)
{
    const unsigned char *p = der;
    STIR_TNAUTHLIST *list;
    int err = STIR_E_TNAUTH;

    memset(t, 0, sizeof(*t));
    if (len == 0 || len > 65536) {
        return STIR_E_TNAUTH;
    }
    list = d2i_STIR_TNAUTHLIST(NULL, &p, (long) len);
    if (!list) {
        return STIR_E_TNAUTH;
    }
    /* The whole OCTET STRING must be the list, nothing after it. */
    if (p != (const unsigned char *) der + len) {
        goto out;
    }
    int n = sk_STIR_TNENTRY_num(list);
    if (n < 1 || n > STIR_TNAUTH_MAX) {
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const STIR_TNENTRY *e = sk_STIR_TNENTRY_value(list, i);
        struct stir_tnauth_entry *o = &t->e[t->n++];
        uint64_t count;

        o->type = (enum stir_tnauth_type) e->type;
        switch (e->type) {
        case 0:
            if (!spc_ok(e->d.spc, o->value)) {
                goto out;
            }
            break;
        case 1:
            if (!tn_ok(e->d.range->start, o->value)
                || ASN1_INTEGER_get_uint64(&count, e->d.range->count) != 1
                || count < 2) {
                goto out;
            }
            o->count = count;
            break;
        case 2:
            if (!tn_ok(e->d.one, o->value)) {
                goto out;
            }
            break;
        default:
            goto out;
        }
    }
    err = 0;
out:
    sk_STIR_TNENTRY_pop_free(list, STIR_TNENTRY_free);
    if (err) {
        memset(t, 0, sizeof(*t));
    }
    return err;
}

static ASN1_IA5STRING *
ia5(const char *s)
{
    ASN1_IA5STRING *a = ASN1_IA5STRING_new();

    if (a && ASN1_STRING_set(a, s, (int) strlen(s)) != 1) {
        ASN1_IA5STRING_free(a);
        a = NULL;
    }
    return a;
}

int
stir_tnauth_encode(const struct stir_tnauth *t, unsigned char **der)
{
    STIR_TNAUTHLIST *list = sk_STIR_TNENTRY_new_null();
    int len = -ENOMEM;

    *der = NULL;
    if (!list) {
        return -ENOMEM;
    }
    if (t->n == 0) {
        len = STIR_E_TNAUTH;
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        STIR_TNENTRY *e = STIR_TNENTRY_new();
        if (!e || !sk_STIR_TNENTRY_push(list, e)) {
            STIR_TNENTRY_free(e);
            goto out;
        }
        e->type = (int) t->e[i].type;
        switch (t->e[i].type) {
        case STIR_TNAUTH_SPC:
            e->d.spc = ia5(t->e[i].value);
            if (!e->d.spc) {
                goto out;
            }
            break;
        case STIR_TNAUTH_RANGE:
            e->d.range = STIR_TNRANGE_new();
            if (!e->d.range) {
                goto out;
            }
            ASN1_IA5STRING_free(e->d.range->start);
            e->d.range->start = ia5(t->e[i].value);
            if (!e->d.range->start
                || ASN1_INTEGER_set_uint64(e->d.range->count, t->e[i].count)
                    != 1) {
                goto out;
            }
            break;
        case STIR_TNAUTH_ONE:
            e->d.one = ia5(t->e[i].value);
            if (!e->d.one) {
                goto out;
            }
            break;
        }
    }
    len = i2d_STIR_TNAUTHLIST(list, der);
    if (len <= 0) {
        len = STIR_E_TNAUTH;
    }
out:
    sk_STIR_TNENTRY_pop_free(list, STIR_TNENTRY_free);
    return len;
}

static bool
digits_u64(const char *s, uint64_t *v)
{
    *v = 0;
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        *v = *v * 10 + (uint64_t) (*s - '0');
    }
    return true;
}

bool
stir_tnauth_covers(const struct stir_tnauth *t, const char *tn)
{
    uint64_t v, start;

    for (size_t i = 0; i < t->n; i++) {
        const struct stir_tnauth_entry *e = &t->e[i];
        if (e->type == STIR_TNAUTH_ONE && strcmp(e->value, tn) == 0) {
            return true;
        }
        /* A range covers numbers of the same length as its start. */
        if (e->type == STIR_TNAUTH_RANGE && strlen(tn) == strlen(e->value)
            && digits_u64(tn, &v) && digits_u64(e->value, &start) && v >= start
            && v - start < e->count) {
            return true;
        }
    }
    return false;
}
