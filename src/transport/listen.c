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

int
transport_ip_str(const struct sockaddr *sa, char *buf, size_t size)
{
    if (sa->sa_family == AF_INET && size >= INET_ADDRSTRLEN) {
        /* By hand: glibc's inet_ntop goes through sprintf, a visible cost
         * per request. */
        const unsigned char *b =
            (const unsigned char *) &((const struct sockaddr_in *) sa)
                ->sin_addr.s_addr;
        char *p = buf;
        for (int i = 0; i < 4; i++) {
            unsigned v = b[i];
            if (v >= 100) {
                *p++ = (char) ('0' + v / 100);
            }
            if (v >= 10) {
                *p++ = (char) ('0' + v / 10 % 10);
            }
            *p++ = (char) ('0' + v % 10);
            *p++ = i < 3 ? '.' : '\0';
        }
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) sa;
        return inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t) size) ? 0
                                                                         : -1;
    }
    return -1;
}

void
transport_addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    bool v6 = sa->sa_family == AF_INET6;
    unsigned port = ntohs(v6 ? ((const struct sockaddr_in6 *) sa)->sin6_port
                             : ((const struct sockaddr_in *) sa)->sin_port);
    char digits[8], *d = digits + sizeof(digits);

    if (size == 0) {
        return;
    }
    if (transport_ip_str(sa, ip, sizeof(ip)) != 0) {
        snprintf(buf, size, "?");
        return;
    }
    *--d = '\0';
    do {
        *--d = (char) ('0' + port % 10);
        port /= 10;
    } while (port);
    size_t n = strlen(ip), k = strlen(d), need = n + k + 1 + (v6 ? 2 : 0);
    if (need + 1 > size) {
        buf[0] = '\0';
        return;
    }
    char *p = buf;
    if (v6) {
        *p++ = '[';
    }
    memcpy(p, ip, n);
    p += n;
    if (v6) {
        *p++ = ']';
    }
    *p++ = ':';
    memcpy(p, d, k + 1);
}
