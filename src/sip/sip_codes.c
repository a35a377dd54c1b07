#include "sip/sip_codes.h"

#include <stdlib.h>

/*
 * The class is derived from the code so an entry cannot disagree with its
 * first digit. Fields: code, reason, defining RFC, meaning, when, fix.
 */
#define E(code_, reason_, rfc_, meaning_, when_, fix_)                         \
    {                                                                          \
        .code = (code_), .cls = (enum sip_code_class)((code_) / 100),          \
        .reason = (reason_), .rfc = (rfc_), .meaning = (meaning_),             \
        .when = (when_), .fix = (fix_)                                         \
    }

/* Every code of the IANA SIP "Response Codes" registry, in code order. */
static const struct sip_code_info codes[] = {
    E(100, "Trying", "RFC 3261", "", "", ""),
    E(180, "Ringing", "RFC 3261", "", "", ""),
    E(181, "Call Is Being Forwarded", "RFC 3261", "", "", ""),
    E(182, "Queued", "RFC 3261", "", "", ""),
    E(183, "Session Progress", "RFC 3261", "", "", ""),
    E(199, "Early Dialog Terminated", "RFC 6228", "", "", ""),
    E(200, "OK", "RFC 3261", "", "", ""),
    E(202, "Accepted", "RFC 6665", "", "", ""),
    E(204, "No Notification", "RFC 5839", "", "", ""),
    E(300, "Multiple Choices", "RFC 3261", "", "", ""),
    E(301, "Moved Permanently", "RFC 3261", "", "", ""),
    E(302, "Moved Temporarily", "RFC 3261", "", "", ""),
    E(305, "Use Proxy", "RFC 3261", "", "", ""),
    E(380, "Alternative Service", "RFC 3261", "", "", ""),
    E(400, "Bad Request", "RFC 3261", "", "", ""),
    E(401, "Unauthorized", "RFC 3261", "", "", ""),
    E(402, "Payment Required", "RFC 3261", "", "", ""),
    E(403, "Forbidden", "RFC 3261", "", "", ""),
    E(404, "Not Found", "RFC 3261", "", "", ""),
    E(405, "Method Not Allowed", "RFC 3261", "", "", ""),
    E(406, "Not Acceptable", "RFC 3261", "", "", ""),
    E(407, "Proxy Authentication Required", "RFC 3261", "", "", ""),
    E(408, "Request Timeout", "RFC 3261", "", "", ""),
    E(410, "Gone", "RFC 3261", "", "", ""),
    E(412, "Conditional Request Failed", "RFC 3903", "", "", ""),
    E(413, "Request Entity Too Large", "RFC 3261", "", "", ""),
    E(414, "Request-URI Too Long", "RFC 3261", "", "", ""),
    E(415, "Unsupported Media Type", "RFC 3261", "", "", ""),
    E(416, "Unsupported URI Scheme", "RFC 3261", "", "", ""),
    E(417, "Unknown Resource-Priority", "RFC 4412", "", "", ""),
    E(420, "Bad Extension", "RFC 3261", "", "", ""),
    E(421, "Extension Required", "RFC 3261", "", "", ""),
    E(422, "Session Interval Too Small", "RFC 4028", "", "", ""),
    E(423, "Interval Too Brief", "RFC 3261", "", "", ""),
    E(424, "Bad Location Information", "RFC 6442", "", "", ""),
    E(425, "Bad Alert Message", "RFC 8876", "", "", ""),
    E(428, "Use Identity Header", "RFC 8224", "", "", ""),
    E(429, "Provide Referrer Identity", "RFC 3892", "", "", ""),
    E(430, "Flow Failed", "RFC 5626", "", "", ""),
    E(433, "Anonymity Disallowed", "RFC 5079", "", "", ""),
    E(436, "Bad Identity Info", "RFC 8224", "", "", ""),
    E(437, "Unsupported Credential", "RFC 8224", "", "", ""),
    E(438, "Invalid Identity Header", "RFC 8224", "", "", ""),
    E(439, "First Hop Lacks Outbound Support", "RFC 5626", "", "", ""),
    E(440, "Max-Breadth Exceeded", "RFC 5393", "", "", ""),
    E(469, "Bad Info Package", "RFC 6086", "", "", ""),
    E(470, "Consent Needed", "RFC 5360", "", "", ""),
    E(480, "Temporarily Unavailable", "RFC 3261", "", "", ""),
    E(481, "Call/Transaction Does Not Exist", "RFC 3261", "", "", ""),
    E(482, "Loop Detected", "RFC 3261", "", "", ""),
    E(483, "Too Many Hops", "RFC 3261", "", "", ""),
    E(484, "Address Incomplete", "RFC 3261", "", "", ""),
    E(485, "Ambiguous", "RFC 3261", "", "", ""),
    E(486, "Busy Here", "RFC 3261", "", "", ""),
    E(487, "Request Terminated", "RFC 3261", "", "", ""),
    E(488, "Not Acceptable Here", "RFC 3261", "", "", ""),
    E(489, "Bad Event", "RFC 6665", "", "", ""),
    E(491, "Request Pending", "RFC 3261", "", "", ""),
    E(493, "Undecipherable", "RFC 3261", "", "", ""),
    E(494, "Security Agreement Required", "RFC 3329", "", "", ""),
    E(500, "Server Internal Error", "RFC 3261", "", "", ""),
    E(501, "Not Implemented", "RFC 3261", "", "", ""),
    E(502, "Bad Gateway", "RFC 3261", "", "", ""),
    E(503, "Service Unavailable", "RFC 3261", "", "", ""),
    E(504, "Server Time-out", "RFC 3261", "", "", ""),
    E(505, "Version Not Supported", "RFC 3261", "", "", ""),
    E(513, "Message Too Large", "RFC 3261", "", "", ""),
    E(555, "Push Notification Service Not Supported", "RFC 8599", "", "", ""),
    E(580, "Precondition Failure", "RFC 3312", "", "", ""),
    E(600, "Busy Everywhere", "RFC 3261", "", "", ""),
    E(603, "Decline", "RFC 3261", "", "", ""),
    E(604, "Does Not Exist Anywhere", "RFC 3261", "", "", ""),
    E(606, "Not Acceptable", "RFC 3261", "", "", ""),
    E(607, "Unwanted", "RFC 8197", "", "", ""),
    E(608, "Rejected", "RFC 8688", "", "", ""),
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))

/* What RFC 3261 §8.1.3.2 tells a UA to assume for a code it does not know. */
static const struct sip_code_info generic[] = {
    E(100, "Provisional", "RFC 3261", "", "", ""),
    E(200, "Success", "RFC 3261", "", "", ""),
    E(300, "Redirection", "RFC 3261", "", "", ""),
    E(400, "Client Failure", "RFC 3261", "", "", ""),
    E(500, "Server Failure", "RFC 3261", "", "", ""),
    E(600, "Global Failure", "RFC 3261", "", "", ""),
};

static const struct sip_code_pair pairs[] = {
    { 301, 302,
        "Both send the caller to the Contact address. 301 says the old "
        "address is dead for good, so the caller should update its address "
        "book and never try the old one again; 302 says the new address "
        "is valid only for now (a registered device, a forwarding rule), "
        "so the caller retries this one for each new call and caches the "
        "Contact at most for its Expires time.",
        "Send 301 when a user or number moved permanently (ported, "
        "renamed, left the company); send 302 for everything a registrar "
        "or redirect server decides per call: current registrations, "
        "time-of-day forwarding, load distribution." },
};

#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

static const char *const class_names[] = {
    "Invalid",
    "Provisional",
    "Success",
    "Redirection",
    "Client Failure",
    "Server Failure",
    "Global Failure",
};

enum sip_code_class
sip_code_class_of(int code)
{
    if (code < SIP_CODE_MIN || code > SIP_CODE_MAX) {
        return SIP_CODE_CLASS_NONE;
    }
    return (enum sip_code_class)(code / 100);
}

const char *
sip_code_class_name(enum sip_code_class cls)
{
    if ((unsigned) cls > SIP_CODE_CLASS_GLOBAL_FAILURE) {
        return class_names[0];
    }
    return class_names[cls];
}

static int
cmp_code(const void *key, const void *elem)
{
    int k = *(const int *) key;
    int c = ((const struct sip_code_info *) elem)->code;

    return (k > c) - (k < c);
}

const struct sip_code_info *
sip_code_find(int code)
{
    return bsearch(&code, codes, NCODES, sizeof(codes[0]), cmp_code);
}

const struct sip_code_info *
sip_code_generic(enum sip_code_class cls)
{
    if (cls < SIP_CODE_CLASS_PROVISIONAL
        || cls > SIP_CODE_CLASS_GLOBAL_FAILURE) {
        return NULL;
    }
    return &generic[cls - 1];
}

const char *
sip_code_reason(int code)
{
    const struct sip_code_info *ci = sip_code_find(code);

    if (ci) {
        return ci->reason;
    }
    ci = sip_code_generic(sip_code_class_of(code));
    return ci ? ci->reason : "Unknown";
}

size_t
sip_code_count(void)
{
    return NCODES;
}

const struct sip_code_info *
sip_code_at(size_t i)
{
    return i < NCODES ? &codes[i] : NULL;
}

size_t
sip_code_nearest(int code, int *out, size_t max)
{
    size_t n = 0;
    size_t lo, hi;

    /* Merge outwards from the insertion point: the table is sorted. */
    for (hi = 0; hi < NCODES && codes[hi].code < code; hi++) {
    }
    lo = hi;
    while (n < max && (lo > 0 || hi < NCODES)) {
        long dl = lo > 0 ? (long) code - codes[lo - 1].code : -1;
        long dh = hi < NCODES ? (long) codes[hi].code - code : -1;

        if (dh < 0 || (dl >= 0 && dl <= dh)) {
            out[n++] = codes[--lo].code;
        } else {
            out[n++] = codes[hi++].code;
        }
    }
    return n;
}

const struct sip_code_pair *
sip_code_pair_find(int a, int b)
{
    for (size_t i = 0; i < NPAIRS; i++) {
        if ((pairs[i].a == a && pairs[i].b == b)
            || (pairs[i].a == b && pairs[i].b == a)) {
            return &pairs[i];
        }
    }
    return NULL;
}

size_t
sip_code_pair_count(void)
{
    return NPAIRS;
}

const struct sip_code_pair *
sip_code_pair_at(size_t i)
{
    return i < NPAIRS ? &pairs[i] : NULL;
}
