/* Shared inside the client engine (ua*.c). */
#ifndef SW_CLI_UA_INT_H
#define SW_CLI_UA_INT_H

#include <stddef.h>

#include "base/slice.h"
#include "cli/ua.h"
#include "sip/sip_msg.h"

struct ua;

/** Arms the tick timer for the transaction table's next timer. */
void ua__rearm(struct ua *u);

/**
 * Answers the digest challenge (RFC 3261 §22.2, RFC 7616; MD5 or SHA-256,
 * qop=auth or none) of the 401/407 in resp for method and uri: out is 'W'
 * (Authorization) or 'P' (Proxy-Authorization) followed by the value.
 * m is scratch; cnonce NULL: a random one (tests pass RFC 7616's). 0; 1
 * when the challenge says stale=true (RFC 7616 §3.3: the last credentials
 * were refused for their old nonce only); -ENOTSUP for a challenge it
 * cannot answer.
 */
int ua__digest(const struct ua_opts *o, struct sip_msg *m, struct slice resp,
    const char *method, const char *uri, const char *cnonce, char *out,
    size_t size);

#endif
