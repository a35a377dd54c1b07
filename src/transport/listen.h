/* Listener specifications ("udp:127.0.0.1:5060", "tcp:[::1]:5060") and sockets.
 */
#ifndef SW_TRANSPORT_LISTEN_H
#define SW_TRANSPORT_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum transport_proto {
    TRANSPORT_UDP,
    TRANSPORT_TCP,
    TRANSPORT_TLS,
};

struct transport_listener {
    enum transport_proto proto;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[96]; /* as configured, for logs */
};

#define TRANSPORT_MAX_LISTENERS 16

/**
 * Parses a comma-separated list of listeners. On error returns a negative
 * code and writes a message naming the bad entry into err.
 */
int transport_listeners_parse(const char *spec, struct transport_listener *out,
    size_t max, size_t *n, char *err, size_t errlen);

/** Protocol name: "udp", "tcp", "tls". */
const char *transport_proto_name(enum transport_proto p);

/**
 * Opens a non-blocking socket bound to l (listening for stream protocols).
 * reuseport: several sockets on one address, one per worker.
 * Returns the fd or -errno.
 */
int transport_socket_open(const struct transport_listener *l, bool reuseport);

/** Writes the IP of an AF_INET or AF_INET6 address (no port, no brackets);
 * 0, or -1 for another family or a buffer too small. */
int transport_ip_str(const struct sockaddr *sa, char *buf, size_t size);

/** Formats an address as "ip:port" or "[ip6]:port". */
void transport_addr_str(const struct sockaddr *sa, char *buf, size_t size);

#endif
