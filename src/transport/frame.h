/* Stream framing: where one SIP message ends in a byte stream. */
#ifndef SW_TRANSPORT_FRAME_H
#define SW_TRANSPORT_FRAME_H

#include <stddef.h>
#include <sys/types.h>

/**
 * Length of the complete message at the start of p[0..len): headers up to
 * the empty line plus Content-Length octets of body (RFC 3261 §18.3: on
 * streams Content-Length is mandatory, absent means 0). -EAGAIN when more
 * bytes are needed, -EMSGSIZE when the message would exceed max, -EBADMSG
 * when Content-Length is unusable.
 */
ssize_t transport_frame(const char *p, size_t len, size_t max);

#endif
