/*
 * The configuration file: the input is an INI file read by the same
 * loader as sipward.ini (libinih tokenizes, the option tables type and
 * bound every value), with every table the daemon registers. A file that
 * loads is validated as at start (including the listener and domain
 * lists), printed as --print-config does, and the printed file must load
 * again and print the same.
 */
#include <stdio.h>
#include <string.h>

#include "app/daemon_config.h"
#include "fuzz_check.h"
#include "http/http_service.h"
#include "transport/listen.h"

/* inih's line limit (INI_MAX_LINE): a longer printed line cannot load. */
#define INI_LINE 200

static const struct daemon_ext *const exts[] = { &http_daemon_ext };
#define NEXTS (sizeof(exts) / sizeof(exts[0]))

static struct daemon_config *
load(const char *text)
{
    struct daemon_config *dc = daemon_config_new(exts, NEXTS);

    check(dc != NULL);
    int rc = conf_load_string(&dc->conf, "fuzz.ini", text);
    check(rc == 0 || (dc->conf.err[0] && strlen(dc->conf.err) < 512));
    if (rc != 0) {
        daemon_config_free(dc);
        return NULL;
    }
    return dc;
}

static void
validate(struct daemon_config *dc)
{
    struct transport_listener ls[TRANSPORT_MAX_LISTENERS];
    struct location_domains d;
    char err[256];
    size_t n;

    (void) daemon_config_validate(dc, exts, NEXTS);
    if (transport_listeners_parse(dc->ac.sip_listen, ls,
            TRANSPORT_MAX_LISTENERS, &n, err, sizeof(err))
        == 0) {
        check(n <= TRANSPORT_MAX_LISTENERS);
    }
    (void) location_domains_parse(&d, dc->ac.domains, dc->lc.use_domain);
}

static char *
print(const struct daemon_config *dc, size_t *len)
{
    char *out = NULL;
    FILE *f = open_memstream(&out, len);

    check(f != NULL);
    conf_print(&dc->conf, f);
    check(fclose(f) == 0 && out);
    return out;
}

static bool
short_lines(const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\n");
        if (n >= INI_LINE - 1) {
            return false;
        }
        s += n + (s[n] == '\n');
    }
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    size_t la, lb;

    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    struct daemon_config *a = load(text);
    if (a) {
        validate(a);
        char *pa = print(a, &la);
        if (short_lines(pa)) {
            struct daemon_config *b = load(pa);
            check(b != NULL);
            char *pb = print(b, &lb);
            check(la == lb && memcmp(pa, pb, la) == 0);
            free(pb);
            daemon_config_free(b);
        }
        free(pa);
        daemon_config_free(a);
    }
    free(text);
    return 0;
}
