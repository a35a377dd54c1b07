/*
 * The daemon's SIP metrics, counted where the work happens (pipeline,
 * services) and exposed by /metrics and the status page. Every call is a
 * few relaxed stores into the calling worker's shard (base/metrics.h).
 */
#ifndef SW_APP_METRICS_H
#define SW_APP_METRICS_H

#include <stdint.h>

#include "base/metrics.h"
#include "base/slice.h"
#include "sip/sip_msg.h"
#include "transport/listen.h"

enum app_redirect {
    APP_REDIRECT_MOVED,      /* 301: the user moved for good */
    APP_REDIRECT_REGISTERED, /* 302: registered contacts */
    APP_REDIRECT_COUNT,
};

enum app_verify_outcome {
    APP_VERIFY_PASSED,
    APP_VERIFY_FAILED,
    APP_VERIFY_NO_IDENTITY,
    APP_VERIFY_OUTCOME_COUNT,
};

/* Why a verification failed; "none" for passes and unsigned calls. */
enum app_verify_reason {
    APP_VR_NONE,
    APP_VR_BAD_SIGNATURE,  /* 438 */
    APP_VR_MALFORMED,      /* 438: unparsable Identity / PASSporT */
    APP_VR_CLAIMS,         /* 438: claims do not match the message */
    APP_VR_STALE,          /* 403 Stale Date */
    APP_VR_MISSING,        /* 428 */
    APP_VR_CERT_FETCH,     /* 436 */
    APP_VR_UNTRUSTED,      /* 437 */
    APP_VR_TN_NOT_COVERED, /* 437 */
    APP_VR_REPLAY,
    APP_VR_OTHER,
    APP_VR_COUNT,
};

enum app_cert_fetch {
    APP_CERT_HIT,
    APP_CERT_MISS,
    APP_CERT_FAILURE,
    APP_CERT_COUNT,
};

extern struct metric app_m_requests;  /* {method, transport} */
extern struct metric app_m_responses; /* {code}, 100..699 */
extern struct metric app_m_latency;   /* request -> final response, ns */
extern struct metric app_m_redirects;
extern struct metric app_m_verifications;
extern struct metric app_m_signings;
extern struct metric app_m_cert_fetches;
extern struct metric app_m_cert_fetch_latency;
/* Queues and gauges: metric_gauge_add(&m, 0, +1 / -1). */
extern struct metric app_m_waiting;      /* deferred requests */
extern struct metric app_m_cert_running; /* transfers in flight */
extern struct metric app_m_cert_entries; /* certificate cache size */

/** A request arrived (SIP_METHOD_OTHER counts as "other"). */
void app_metrics_request(enum sip_method m, enum transport_proto tp);
/** A response was sent (any code, provisional included). */
void app_metrics_response(unsigned code);
/** Time from a request's arrival to its final response. */
void app_metrics_latency(uint64_t ns);
/** n requests that took ns each (answered in one wake-up of a worker). */
void app_metrics_latency_n(uint64_t ns, uint64_t n);
void app_metrics_redirect(enum app_redirect kind);
void app_metrics_verification(
    enum app_verify_outcome outcome, enum app_verify_reason reason);
/** A signing attempt: ok, or refused (unsignable request). */
void app_metrics_signing(bool ok);
/** A certificate lookup; latency_ns only for fetches (misses). */
void app_metrics_cert_fetch(enum app_cert_fetch result, uint64_t latency_ns);

/** Label text of a reason ("bad_signature", ...). */
const char *app_verify_reason_name(enum app_verify_reason r);

#endif
