#ifndef SW_SIP_SIP_PEEK_H
#define SW_SIP_SIP_PEEK_H

#include <stdbool.h>

#include "base/slice.h"

/**
 * The value of the first Via header of message in, found without parsing
 * the message: true with *via trimmed when the headers before it and the
 * Via line itself have the usual shape (one header per line, no folding,
 * a single Via value on the line), false otherwise or when there is no
 * Via before the blank line. What sip_msg_parse() would take as the top
 * Via whenever this returns true; the rest of the message is not checked.
 */
bool sip_peek_top_via(struct slice in, struct slice *via);

#endif
