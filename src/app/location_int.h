/* Shared between location.c (service, redirect) and registrar.c. */
#ifndef SW_APP_LOCATION_INT_H
#define SW_APP_LOCATION_INT_H

#include "app/auth.h"
#include "app/location.h"
#include "app/pipeline.h"
#include "sip/sip_build.h"

struct reg_ctx;

struct location {
    struct app_service svc;
    struct store *st;
    struct auth *auth; /* NULL: no authentication */
    struct location_domains dom;
    char realm[256];
    uint32_t min_expires, max_expires, default_expires;
};

/* Per worker: REGISTER contexts waiting for the store, and a free list. */
struct location_worker {
    struct location *l;
    struct reg_ctx *free;
    size_t nfree;
    /* The header values of the REGISTER reply being completed: one at a
     * time per worker, so not one per waiting REGISTER. */
    char reply[16384];
};

/** REGISTER (registrar.c). Returns APP_DONE or APP_DEFER. */
int location__register(struct location *l, struct app_req *req);
void location__worker_release(struct location_worker *lw);

/**
 * Appends one Contact value for binding b to w: "<uri>;expires=N;q=0.5",
 * with +sip.instance and reg-id when full (the REGISTER 200 OK).
 */
void location__contact_fmt(
    struct sip_wbuf *w, const struct store_binding *b, int64_t now, bool full);

#endif
