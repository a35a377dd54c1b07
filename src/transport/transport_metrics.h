/* Transport metrics (base/metrics.h), exposed on /metrics. */
#ifndef SW_TRANSPORT_METRICS_H
#define SW_TRANSPORT_METRICS_H

#include "base/metrics.h"

/** Open stream connections, by transport (series: enum transport_proto). */
extern struct metric transport_m_conns;

/** UDP datagrams that left inside a GSO send. */
extern struct metric transport_m_udp_gso;

#endif
