/*
 * The SIP response-code catalog: every code of the IANA "Response Codes"
 * registry (RFC 3261 §27.4 created it) with its reason phrase, class,
 * defining RFC and an explanation for engineers, plus hand-written notes on
 * the pairs of codes people confuse. Pure data and lookups: no I/O, no
 * allocation. The builder takes reason phrases from here; the CLI's explain,
 * compare and reference commands print the rest.
 */
#ifndef SW_SIP_SIP_CODES_H
#define SW_SIP_SIP_CODES_H

#include <stddef.h>

#include "base/slice.h"

/* The class is the first digit (RFC 3261 §7.2). */
enum sip_code_class {
    SIP_CODE_CLASS_NONE = 0, /* outside 100..699 */
    SIP_CODE_CLASS_PROVISIONAL = 1,
    SIP_CODE_CLASS_SUCCESS = 2,
    SIP_CODE_CLASS_REDIRECTION = 3,
    SIP_CODE_CLASS_CLIENT_FAILURE = 4,
    SIP_CODE_CLASS_SERVER_FAILURE = 5,
    SIP_CODE_CLASS_GLOBAL_FAILURE = 6,
};

enum {
    SIP_CODE_MIN = 100,
    SIP_CODE_MAX = 699,
};

struct sip_code_info {
    int code;
    enum sip_code_class cls;
    const char *reason;  /* IANA reason phrase, e.g. "Moved Permanently" */
    const char *rfc;     /* defining document, e.g. "RFC 3261" */
    const char *section; /* its section defining the code, e.g. "21.4.18";
                            "" where not recorded */
    const char *meaning; /* what the code says */
    const char *when;    /* when you see it in practice */
    const char *fix;     /* what to change to stop seeing it */
};

/* Hand-written knowledge about two codes people confuse (a < b). */
struct sip_code_pair {
    int a, b;
    const char *difference; /* the key differences */
    const char *choose;     /* when to use (or expect) which */
};

/**
 * Reason phrase for any code: the registered phrase, else for 100..699 the
 * generic phrase of its class ("Client Failure" for 499), else "Unknown".
 * Never NULL.
 */
const char *sip_code_reason(int code);
/** sip_code_reason() as a slice, without a search: for every response. */
struct slice sip_code_reason_slice(int code);

/** Class of a code by its first digit; SIP_CODE_CLASS_NONE outside 100..699. */
enum sip_code_class sip_code_class_of(int code);

/** "Provisional", "Success", "Redirection", "Client Failure",
 * "Server Failure", "Global Failure"; "Invalid" for NONE. Never NULL. */
const char *sip_code_class_name(enum sip_code_class cls);

/** "1xx" .. "6xx"; "" for NONE. Never NULL. */
const char *sip_code_class_range(enum sip_code_class cls);

/**
 * One sentence on what a response of the class does to the transaction and
 * the caller ("a final failure at this server: ..."), lower-case, no full
 * stop, for composing text. "" for NONE.
 */
const char *sip_code_class_effect(enum sip_code_class cls);

/** The registered code, or NULL if IANA has not registered it. */
const struct sip_code_info *sip_code_find(int code);

/**
 * What a UA must assume about an unregistered code of a class
 * (RFC 3261 §8.1.3.2): code is the class's x00, the texts are generic.
 * NULL for SIP_CODE_CLASS_NONE.
 */
const struct sip_code_info *sip_code_generic(enum sip_code_class cls);

/** Number of registered codes; sip_code_at(i) walks them in code order. */
size_t sip_code_count(void);
const struct sip_code_info *sip_code_at(size_t i);

/**
 * Fills out[0..max) with the registered codes nearest to code (closest
 * first, ties to the lower code); returns how many it wrote.
 */
size_t sip_code_nearest(int code, int *out, size_t max);

/**
 * Length of the first sentence of one of the catalog's texts (up to and
 * including its full stop), for one-line summaries; strlen if only one.
 */
size_t sip_code_sentence_len(const char *text);

/** The hand-written notes on a and b, in either order, or NULL. */
const struct sip_code_pair *sip_code_pair_find(int a, int b);

/** Number of hand-written pairs; sip_code_pair_at(i) walks them. */
size_t sip_code_pair_count(void);
const struct sip_code_pair *sip_code_pair_at(size_t i);

#endif
