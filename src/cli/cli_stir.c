#include "cli/cli_stir.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FETCH_MAX (256 * 1024)

char *
cli_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f) {
        return NULL;
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                goto out;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            break;
        }
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
        errno = EIO;
        goto out;
    }
    buf[n] = '\0';
    *len = n;
out:
    if (f != stdin) {
        fclose(f);
    }
    return buf;
}

char *
cli_read_message(const char *path, size_t *len)
{
    size_t n, lf = 0;
    char *buf = cli_read_file(path, &n), *out;

    if (!buf) {
        return NULL;
    }
    if (memchr(buf, '\r', n)) {
        *len = n;
        return buf;
    }
    for (size_t i = 0; i < n; i++) {
        lf += buf[i] == '\n';
    }
    out = malloc(n + lf + 1);
    if (!out) {
        free(buf);
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            out[j++] = '\r';
        }
        out[j++] = buf[i];
    }
    out[j] = '\0';
    free(buf);
    *len = j;
    return out;
}

int
cli_write_file(const char *path, const void *buf, size_t len, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    const char *p = buf;

    if (fd < 0) {
        return -errno;
    }
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        p += w;
        len -= (size_t) w;
    }
    return close(fd) == 0 ? 0 : -errno;
}

static int
has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

int
cli_load_trust(struct stir_trust *t, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int total = 0;

    if (!d) {
        return -errno;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        size_t len;

        if (e->d_name[0] == '.'
            || !(has_suffix(e->d_name, ".pem") || has_suffix(e->d_name, ".crt")
                || has_suffix(e->d_name, ".cer")
                || has_suffix(e->d_name, ".crl"))) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        char *buf = cli_read_file(path, &len);
        if (!buf) {
            continue;
        }
        int n = stir_trust_add_pem(t, buf, len);
        free(buf);
        if (n > 0) {
            total += n;
        }
    }
    closedir(d);
    return total;
}

struct fetch_buf {
    char *p;
    size_t len;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fetch_buf *b = arg;
    size_t n = size * nmemb;

    if (b->len + n > FETCH_MAX) {
        return 0; /* aborts the transfer */
    }
    char *np = realloc(b->p, b->len + n + 1);
    if (!np) {
        return 0;
    }
    memcpy(np + b->len, data, n);
    b->p = np;
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

char *
cli_fetch(const char *url, size_t *len, char *why, size_t why_size)
{
    struct fetch_buf b = { NULL, 0 };
    CURL *c = curl_easy_init();
    long status = 0;

    if (!c) {
        snprintf(why, why_size, "curl init failed");
        return NULL;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200) {
        if (rc != CURLE_OK) {
            snprintf(why, why_size, "fetching <%s> failed: %s", url,
                curl_easy_strerror(rc));
        } else {
            snprintf(
                why, why_size, "fetching <%s> failed: HTTP %ld", url, status);
        }
        free(b.p);
        return NULL;
    }
    if (!b.p) {
        snprintf(why, why_size, "fetching <%s>: empty body", url);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

int
cli_parse_time(const char *s, time_t *out)
{
    struct tm tm;
    char *end;

    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end && *end == '\0') {
        *out = timegm(&tm);
        return 0;
    }
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0) {
        return -EINVAL;
    }
    *out = (time_t) v;
    return 0;
}
