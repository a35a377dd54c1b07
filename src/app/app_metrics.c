#include "app/app_metrics.h"

#include <stdio.h>
#include <string.h>

/* Series are method (enum sip_method, 0 = other) x transport. */
enum {
    NMETHODS = SIP_METHOD_PUBLISH + 1,
    NTP = TRANSPORT_TLS + 1,
};

static const char *const tps[NTP] = { "udp", "tcp", "tls" };

static bool
request_labels(size_t i, char *buf, size_t len)
{
    size_t m = i / NTP;
    snprintf(buf, len, "method=\"%s\",transport=\"%s\"",
        m == SIP_METHOD_OTHER ? "other" : sip_method_name((enum sip_method) m),
        tps[i % NTP]);
    return true;
}

struct metric app_m_requests = {
    .name = "sipward_sip_requests_total",
    .help = "SIP requests received, by method and transport",
    .type = METRIC_COUNTER,
    .nseries = NMETHODS * NTP,
    .labels = request_labels,
};
METRIC_REGISTER(app_m_requests)

static bool
code_labels(size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "code=\"%zu\"", i + 100);
    return true;
}

struct metric app_m_responses = {
    .name = "sipward_sip_responses_total",
    .help = "SIP responses sent, by status code",
    .type = METRIC_COUNTER,
    .nseries = 600,
    .labels = code_labels,
    .skip_zero = true,
};
METRIC_REGISTER(app_m_responses)

/* 50 us .. 5 s: a redirect answered from memory sits in the first buckets,
 * a verification that had to fetch a certificate in the last ones. */
static const uint64_t latency_bounds[] = { 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
    250000000, 500000000, 1000000000, 2500000000u, 5000000000u };

struct metric app_m_latency = {
    .name = "sipward_sip_request_duration_seconds",
    .help = "time from a request's arrival to its final response",
    .type = METRIC_HISTOGRAM,
    .bounds = latency_bounds,
    .nbounds = sizeof(latency_bounds) / sizeof(latency_bounds[0]),
    .scale = 1e9,
};
METRIC_REGISTER(app_m_latency)

static bool
redirect_labels(size_t i, char *buf, size_t len)
{
    static const char *const kinds[] = { "moved", "registered" };
    snprintf(buf, len, "kind=\"%s\"", kinds[i]);
    return true;
}

struct metric app_m_redirects = {
    .name = "sipward_redirects_total",
    .help = "redirects sent: moved (301) and registered (302)",
    .type = METRIC_COUNTER,
    .nseries = APP_REDIRECT_COUNT,
    .labels = redirect_labels,
};
METRIC_REGISTER(app_m_redirects)

static const char *const reasons[APP_VR_COUNT] = { "none", "bad_signature",
    "malformed", "claims", "stale", "missing", "cert_fetch", "untrusted",
    "tn_not_covered", "replay", "other" };

const char *
app_verify_reason_name(enum app_verify_reason r)
{
    return (unsigned) r < APP_VR_COUNT ? reasons[r] : "other";
}

static bool
verify_labels(size_t i, char *buf, size_t len)
{
    static const char *const outcomes[] = { "passed", "failed", "no_identity" };
    snprintf(buf, len, "outcome=\"%s\",reason=\"%s\"",
        outcomes[i / APP_VR_COUNT], reasons[i % APP_VR_COUNT]);
    return true;
}

struct metric app_m_verifications = {
    .name = "sipward_stir_verifications_total",
    .help = "STIR verifications, by outcome and reason",
    .type = METRIC_COUNTER,
    .nseries = APP_VERIFY_OUTCOME_COUNT * APP_VR_COUNT,
    .labels = verify_labels,
    .skip_zero = true,
};
METRIC_REGISTER(app_m_verifications)

static bool
signing_labels(size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "result=\"%s\"", i == 0 ? "ok" : "refused");
    return true;
}

struct metric app_m_signings = {
    .name = "sipward_stir_signings_total",
    .help = "STIR signing attempts, by result",
    .type = METRIC_COUNTER,
    .nseries = 2,
    .labels = signing_labels,
};
METRIC_REGISTER(app_m_signings)

static bool
cert_labels(size_t i, char *buf, size_t len)
{
    static const char *const results[] = { "hit", "miss", "failure" };
    snprintf(buf, len, "result=\"%s\"", results[i]);
    return true;
}

struct metric app_m_cert_fetches = {
    .name = "sipward_stir_cert_lookups_total",
    .help = "certificate lookups: cache hits, misses (fetched), failures",
    .type = METRIC_COUNTER,
    .nseries = APP_CERT_COUNT,
    .labels = cert_labels,
};
METRIC_REGISTER(app_m_cert_fetches)

static const uint64_t fetch_bounds[] = { 1000000, 5000000, 10000000, 25000000,
    50000000, 100000000, 250000000, 500000000, 1000000000, 2000000000u,
    5000000000u };

struct metric app_m_cert_fetch_latency = {
    .name = "sipward_stir_cert_fetch_duration_seconds",
    .help = "time to fetch a certificate over HTTP",
    .type = METRIC_HISTOGRAM,
    .bounds = fetch_bounds,
    .nbounds = sizeof(fetch_bounds) / sizeof(fetch_bounds[0]),
    .scale = 1e9,
};
METRIC_REGISTER(app_m_cert_fetch_latency)

struct metric app_m_waiting = {
    .name = "sipward_sip_requests_waiting",
    .help = "SIP requests held in a server transaction, waiting for the "
            "store or a certificate fetch",
    .type = METRIC_GAUGE,
};
METRIC_REGISTER(app_m_waiting)

struct metric app_m_cert_running = {
    .name = "sipward_stir_cert_fetches_running",
    .help = "certificate transfers in flight",
    .type = METRIC_GAUGE,
};
METRIC_REGISTER(app_m_cert_running)

struct metric app_m_cert_entries = {
    .name = "sipward_stir_cert_cache_entries",
    .help = "certificates and cached failures in the certificate cache",
    .type = METRIC_GAUGE,
};
METRIC_REGISTER(app_m_cert_entries)

void
app_metrics_request(enum sip_method m, enum transport_proto tp)
{
    if ((unsigned) m < NMETHODS && (unsigned) tp < NTP) {
        metric_inc(&app_m_requests, (size_t) m * NTP + (size_t) tp);
    }
}

void
app_metrics_response(unsigned code)
{
    if (code >= 100 && code <= 699) {
        metric_inc(&app_m_responses, code - 100);
    }
}

void
app_metrics_latency(uint64_t ns)
{
    metric_observe(&app_m_latency, 0, ns);
}

void
app_metrics_latency_n(uint64_t ns, uint64_t n)
{
    metric_observe_n(&app_m_latency, 0, ns, n);
}

void
app_metrics_redirect(enum app_redirect kind)
{
    metric_inc(&app_m_redirects, kind);
}

void
app_metrics_verification(
    enum app_verify_outcome outcome, enum app_verify_reason reason)
{
    if ((unsigned) outcome < APP_VERIFY_OUTCOME_COUNT
        && (unsigned) reason < APP_VR_COUNT) {
        metric_inc(&app_m_verifications, outcome * APP_VR_COUNT + reason);
    }
}

void
app_metrics_signing(bool ok)
{
    metric_inc(&app_m_signings, ok ? 0 : 1);
}

void
app_metrics_cert_fetch(enum app_cert_fetch result, uint64_t latency_ns)
{
    metric_inc(&app_m_cert_fetches, result);
    if (result != APP_CERT_HIT && latency_ns) {
        metric_observe(&app_m_cert_fetch_latency, 0, latency_ns);
    }
}
