/*
 * regauth: REGISTER load with digest authentication, for bench/location.
 * (SIPp cannot take a per-call user name into [authentication], and one
 * user for every call would serialize the store's group commit on a single
 * AOR.)
 *
 * Keeps CONC registrations in flight over one UDP socket: REGISTER ->
 * 401 -> REGISTER with Authorization (RFC 7616, qop=auth, MD5 or SHA-256)
 * -> 200, user PREFIX1..PREFIXN in turn. Prints completed registrations
 * per second and, given the server's PIDs, its CPU time per registration
 * (utime + stime of all their threads, from /proc/PID/stat).
 *
 *   regauth PORT NUSERS SECONDS [CONC [ALG [SERVER_PID[,PID...]]]]
 *   users: PREFIX (env REGAUTH_PREFIX, default "ra-"), password "pw",
 *   domain env REGAUTH_DOMAIN (default bench.example.net)
 *
 * Build: cc -O2 -o regauth regauth.c -lcrypto. Loopback only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct slot {
    unsigned user;
    unsigned gen;
    int state; /* 0: REGISTER sent, 1: authorized REGISTER sent */
    double sent;
    char last[2048];
    size_t lastlen;
};

static int fd;
static struct sockaddr_in dst;
static const char *prefix = "ra-", *domain = "bench.example.net";
static const char *alg = "MD5";
static unsigned nusers, next_user;
static unsigned long ok, fail, retrans;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
hexhash(const char *s, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), d, &n,
        strcmp(alg, "SHA-256") == 0 ? EVP_sha256() : EVP_md5(), NULL);
    for (unsigned i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

static void
send_reg(struct slot *s, unsigned idx, const char *auth)
{
    int n = snprintf(s->last, sizeof(s->last),
        "REGISTER sip:%s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%u-%u-%d;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:%s%u@%s>;tag=%u\r\n"
        "To: <sip:%s%u@%s>\r\n"
        "Call-ID: ra-%u-%u\r\n"
        "CSeq: %d REGISTER\r\n"
        "Contact: <sip:%s%u@127.0.0.1:5999>\r\n"
        "Expires: 3600\r\n"
        "%s"
        "Content-Length: 0\r\n\r\n",
        domain, 5999, idx, s->gen, s->state, prefix, s->user, domain, idx,
        prefix, s->user, domain, idx, s->gen, s->state + 1, prefix, s->user,
        auth);
    s->lastlen = (size_t) n;
    s->sent = now_s();
    sendto(fd, s->last, s->lastlen, 0, (struct sockaddr *) &dst, sizeof(dst));
}

static void
start(struct slot *s, unsigned idx)
{
    s->user = 1 + (next_user++ % nusers);
    s->gen++;
    s->state = 0;
    send_reg(s, idx, "");
}

/* The quoted value of name= in the WWW-Authenticate for our algorithm. */
static int
challenge_param(const char *msg, const char *name, char *out, size_t size)
{
    const char *p = msg;
    char want[32];
    snprintf(want, sizeof(want), "algorithm=%s", alg);
    while ((p = strcasestr(p, "\nWWW-Authenticate:"))) {
        const char *end = strchr(p + 1, '\n');
        size_t len = end ? (size_t) (end - p) : strlen(p);
        char line[1024];
        if (len >= sizeof(line)) {
            return -1;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len;
        if (!strstr(line, want)) {
            continue;
        }
        char key[40];
        snprintf(key, sizeof(key), "%s=\"", name);
        char *v = strstr(line, key);
        if (!v) {
            return -1;
        }
        v += strlen(key);
        char *q = strchr(v, '"');
        if (!q || (size_t) (q - v) >= size) {
            return -1;
        }
        memcpy(out, v, (size_t) (q - v));
        out[q - v] = '\0';
        return 0;
    }
    return -1;
}

static void
answer_401(struct slot *s, unsigned idx, const char *msg)
{
    char nonce[256], realm[256], ha1[129], ha2[129], resp[129], buf[1024],
        auth[1024];
    if (challenge_param(msg, "nonce", nonce, sizeof(nonce)) != 0
        || challenge_param(msg, "realm", realm, sizeof(realm)) != 0) {
        fail++;
        start(s, idx);
        return;
    }
    snprintf(buf, sizeof(buf), "%s%u:%s:pw", prefix, s->user, realm);
    hexhash(buf, ha1);
    snprintf(buf, sizeof(buf), "REGISTER:sip:%s", domain);
    hexhash(buf, ha2);
    snprintf(
        buf, sizeof(buf), "%s:%s:00000001:c%u:auth:%s", ha1, nonce, idx, ha2);
    hexhash(buf, resp);
    snprintf(auth, sizeof(auth),
        "Authorization: Digest username=\"%s%u\", realm=\"%s\", "
        "nonce=\"%s\", uri=\"sip:%s\", response=\"%s\", algorithm=%s, "
        "cnonce=\"c%u\", qop=auth, nc=00000001\r\n",
        prefix, s->user, realm, nonce, domain, resp, alg, idx);
    s->state = 1;
    send_reg(s, idx, auth);
}

static unsigned long
proc_ticks_one(const char *pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* after ") ": state(3) ... utime(14) stime(15) */
    if (p
        && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st)
            == 2) {
        return ut + st;
    }
    return 0;
}

/* Kamailio serves from several processes: sum a comma-separated list. */
static unsigned long
proc_ticks(const char *pids)
{
    char one[32];
    unsigned long sum = 0;
    while (*pids) {
        size_t n = strcspn(pids, ",");
        if (n > 0 && n < sizeof(one)) {
            memcpy(one, pids, n);
            one[n] = '\0';
            sum += proc_ticks_one(one);
        }
        pids += n + (pids[n] == ',');
    }
    return sum;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr,
            "usage: regauth PORT NUSERS SECONDS [CONC [ALG [PID[,PID]]]]\n");
        return 2;
    }
    unsigned port = (unsigned) atoi(argv[1]);
    nusers = (unsigned) atoi(argv[2]);
    double secs = atof(argv[3]);
    unsigned conc = argc > 4 ? (unsigned) atoi(argv[4]) : 200;
    alg = argc > 5 ? argv[5] : "MD5";
    const char *pid = argc > 6 ? argv[6] : NULL;
    if (getenv("REGAUTH_PREFIX")) {
        prefix = getenv("REGAUTH_PREFIX");
    }
    if (getenv("REGAUTH_DOMAIN")) {
        domain = getenv("REGAUTH_DOMAIN");
    }

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    struct sockaddr_in me = { .sin_family = AF_INET,
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    me.sin_port = htons(5999);
    if (bind(fd, (struct sockaddr *) &me, sizeof(me)) != 0) {
        me.sin_port = 0;
        bind(fd, (struct sockaddr *) &me, sizeof(me));
    }
    dst = (struct sockaddr_in){ .sin_family = AF_INET,
        .sin_port = htons((uint16_t) port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

    struct slot *sl = calloc(conc, sizeof(*sl));
    unsigned long t0 = pid ? proc_ticks(pid) : 0;
    double begin = now_s(), last_check = begin;
    for (unsigned i = 0; i < conc; i++) {
        start(&sl[i], i);
    }
    char buf[8192];
    while (now_s() - begin < secs) {
        struct pollfd p = { fd, POLLIN, 0 };
        poll(&p, 1, 10);
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
            if (n <= 0) {
                break;
            }
            buf[n] = '\0';
            int code = atoi(buf + 8);
            char *cid = strstr(buf, "\nCall-ID: ra-");
            unsigned idx, gen;
            if (!cid || sscanf(cid + 13, "%u-%u", &idx, &gen) != 2
                || idx >= conc || gen != sl[idx].gen) {
                continue;
            }
            struct slot *s = &sl[idx];
            if (code < 200) {
                continue;
            }
            if (code == 401 && s->state == 0) {
                answer_401(s, idx, buf);
            } else if (code == 200 && s->state == 1) {
                ok++;
                start(s, idx);
            } else {
                fail++;
                start(s, idx);
            }
        }
        double t = now_s();
        if (t - last_check > 0.1) {
            for (unsigned i = 0; i < conc; i++) {
                if (t - sl[i].sent > 0.5) {
                    retrans++;
                    sl[i].sent = t;
                    sendto(fd, sl[i].last, sl[i].lastlen, 0,
                        (struct sockaddr *) &dst, sizeof(dst));
                }
            }
            last_check = t;
        }
    }
    double wall = now_s() - begin;
    unsigned long t1 = pid ? proc_ticks(pid) : 0;
    double cpu_s = (double) (t1 - t0) / (double) sysconf(_SC_CLK_TCK);
    printf("regauth alg=%s ok=%lu failed=%lu retrans=%lu secs=%.2f "
           "reg_per_s=%.0f srv_cpu_pct=%.0f srv_us_per_reg=%.1f\n",
        alg, ok, fail, retrans, wall, (double) ok / wall, 100.0 * cpu_s / wall,
        ok ? 1e6 * cpu_s / (double) ok : 0.0);
    free(sl);
    close(fd);
    return 0;
}
