/* Shared by sti.c, sti_as.c and sti_vs.c. */
#ifndef SW_APP_STI_INT_H
#define SW_APP_STI_INT_H

#include <pthread.h>

#include "app/certfetch.h"
#include "app/sti.h"
#include "transport/transport.h"

enum {
    STI_MAX_SRC = 32
};

/* Who a service applies to: any source, addresses/prefixes, listeners. */
struct sti_src {
    bool any;
    size_t n;
    struct {
        bool listener;
        uint16_t index; /* listener */
        int family;     /* address: AF_INET / AF_INET6 */
        uint8_t addr[16];
        int bits;
    } e[STI_MAX_SRC];
};

enum sti_policy {
    STI_REJECT,
    STI_MARK,
    STI_PASS,
};

enum sti_replay {
    STI_REPLAY_OFF,
    STI_REPLAY_FLAG,
    STI_REPLAY_REJECT,
};

struct sti_replay_slot {
    uint64_t sig, call;
    time_t expires;
};

struct sti {
    struct sti_src vsrc, asrc;
    bool vs_inline, as_inline; /* forward instead of answering 302 */
    enum sti_policy fail_policy, no_identity;
    enum sti_replay replay;
    struct stir_policy pol;
    char attest;
    char cert_name[64];
    char x5u[STIR_URI_MAX];
    char *key_pem;
    size_t key_len;
    char *chain_pem;
    size_t chain_len;
    struct stir_trust *trust;
    struct certcache *cache;
    /* Serializes trust reloads (admin API, SIGHUP); guards trust_dir. */
    pthread_mutex_t trust_reload;
    char trust_dir[4096]; /* the directory the store was read from */
    /* replay cache: open addressing, 8-slot probes, oldest overwritten */
    pthread_mutex_t rlock;
    struct sti_replay_slot *rslots;
    size_t rmask;
    struct app_service as, vs;
};

/** True when ep is one of the sources in src. */
bool sti__src_match(const struct sti_src *src, const struct transport_ep *ep);

/**
 * Records the PASSporT signature sig seen in call call_id at now; returns
 * true when it was seen within the window in another call (a replay).
 */
bool sti__replay_seen(
    struct sti *s, struct slice sig, struct slice call_id, time_t now);

/** HTTP-date (RFC 7231 IMF-fixdate), as SIP's Date uses (RFC 3261 §20.17). */
void sti__fmt_date(time_t t, char *dst, size_t size);
/** Parses a SIP Date value; 0 or -EINVAL. */
int sti__parse_date(struct slice d, time_t *out);

/** Reason header value: SIP;cause=<code>;text="<text>" (quotes escaped). */
void sti__reason(char *dst, size_t size, int code, const char *text);

#endif
