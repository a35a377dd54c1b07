#include "transport/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
transport_proto_name(enum transport_proto p)
{
    switch (p) {
    case TRANSPORT_UDP:
        return "udp";
    case TRANSPORT_TCP:
        return "tcp";
    case TRANSPORT_TLS:
        return "tls";
    }
    return "?";
}

static int
parse_one(const char *s, size_t len, struct transport_listener *l)
{
    char buf[96], host[64];
    const char *port_s;
    char *end;

    if (len >= sizeof(buf)) {
        return -EINVAL;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    snprintf(l->text, sizeof(l->text), "%s", buf);

    char *colon = strchr(buf, ':');
    if (!colon) {
        return -EINVAL;
    }
    *colon = '\0';
    if (strcmp(buf, "udp") == 0) {
        l->proto = TRANSPORT_UDP;
    } else if (strcmp(buf, "tcp") == 0) {
        l->proto = TRANSPORT_TCP;
    } else if (strcmp(buf, "tls") == 0) {
        l->proto = TRANSPORT_TLS;
    } else {
        return -EINVAL;
    }
    char *hp = colon + 1;
    if (*hp == '[') {
        char *rb = strchr(hp, ']');
        if (!rb || rb[1] != ':' || (size_t) (rb - hp - 1) >= sizeof(host)) {
            return -EINVAL;
        }
        memcpy(host, hp + 1, (size_t) (rb - hp - 1));
        host[rb - hp - 1] = '\0';
        port_s = rb + 2;
    } else {
        char *pc = strrchr(hp, ':');
        if (!pc || (size_t) (pc - hp) >= sizeof(host)) {
            return -EINVAL;
        }
        memcpy(host, hp, (size_t) (pc - hp));
        host[pc - hp] = '\0';
        port_s = pc + 1;
    }
    long port = strtol(port_s, &end, 10);
    if (*port_s == '\0' || *end != '\0' || port < 0 || port > 65535) {
        return -EINVAL;
    }
    memset(&l->addr, 0, sizeof(l->addr));
    struct sockaddr_in *a4 = (struct sockaddr_in *) &l->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) &l->addr;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t) port);
        l->addrlen = sizeof(*a4);
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t) port);
        l->addrlen = sizeof(*a6);
    } else {
        return -EINVAL;
    }
    return 0;
}

int
transport_listeners_parse(const char *spec, struct transport_listener *out,
    size_t max, size_t *n, char *err, size_t errlen)
{
    const char *p = spec;

    *n = 0;
    while (*p) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        if (!*p) {
            break;
        }
        size_t len = strcspn(p, ", ");
        if (*n == max) {
            snprintf(err, errlen, "more than %zu listeners", max);
            return -E2BIG;
        }
        if (parse_one(p, len, &out[*n]) != 0) {
            snprintf(err, errlen,
                "bad listener '%.*s': expected udp|tcp|tls:IP:PORT "
                "(IPv6 as [::1])",
                (int) (len > 80 ? 80 : len), p);
            return -EINVAL;
        }
        (*n)++;
        p += len;
    }
    return 0;
}

int
transport_socket_open(const struct transport_listener *l, bool reuseport)
{
    int stream = l->proto != TRANSPORT_UDP;
    int fd = socket(l->addr.ss_family,
        (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    int err;

    if (fd < 0) {
        return -errno;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport
        && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        goto fail;
    }
    if (l->addr.ss_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, (const struct sockaddr *) &l->addr, l->addrlen) != 0) {
        goto fail;
    }
    if (stream && listen(fd, 1024) != 0) {
        goto fail;
    }
    return fd;
fail:
    err = -errno;
    close(fd);
    return err;
}

void
transport_addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *) sa;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(buf, size, "%s:%u", ip, ntohs(a->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) sa;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(buf, size, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else {
        snprintf(buf, size, "?");
    }
}
