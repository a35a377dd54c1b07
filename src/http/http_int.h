/* Shared inside the http layer. */
#ifndef SW_HTTP_INT_H
#define SW_HTTP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/daemon.h"
#include "http/http_server.h"

enum {
    HTTP_SAMPLES = 61
}; /* one a second: 60 s windows */

struct http_sample {
    uint64_t t_ms;
    uint64_t requests;
    uint64_t responses;
};

struct http_service {
    struct http_server *srv;
    struct daemon *d;
    char listen[256];
    char realm[256]; /* server.realm, for users added with a password */
    /* Rates for the status page: a thread samples the counters once a
     * second. */
    pthread_t sampler;
    bool sampler_running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    struct http_sample samples[HTTP_SAMPLES];
    uint64_t nsamples; /* total taken; the ring holds the last ones */
};

/** /healthz, /readyz, /metrics and the status page at /. */
int http__ops_routes(struct http_service *svc);
/** Takes one sample of the counters (the sampler calls it each second). */
void http__sample(struct http_service *svc);
/** The admin API under /api/v1. */
int http__admin_routes(struct http_service *svc);
/** STIR REST (/stir/v1/signing, /stir/v1/verification) and /certs/. */
int http__stir_routes(struct http_service *svc);

#endif
