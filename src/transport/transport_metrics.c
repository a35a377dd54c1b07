#include "transport/transport_metrics.h"

#include <stdio.h>

#include "transport/listen.h"

static bool
proto_labels(size_t i, char *buf, size_t len)
{
    static const char *const names[] = { "udp", "tcp", "tls" };
    if (i == TRANSPORT_UDP) {
        return false; /* datagrams have no connection */
    }
    snprintf(buf, len, "transport=\"%s\"", names[i]);
    return true;
}

struct metric transport_m_conns = {
    .name = "sipward_connections_open",
    .help = "open TCP and TLS connections, inbound and outbound",
    .type = METRIC_GAUGE,
    .nseries = TRANSPORT_TLS + 1,
    .labels = proto_labels,
};
METRIC_REGISTER(transport_m_conns)

struct metric transport_m_udp_gso = {
    .name = "sipward_udp_gso_datagrams_total",
    .help = "UDP datagrams sent inside GSO sends (several replies to one "
            "peer in one trip through the IP stack)",
    .type = METRIC_COUNTER,
};
METRIC_REGISTER(transport_m_udp_gso)
