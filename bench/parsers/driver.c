/*
 * driver.c - benchmark driver shared by every parser column.
 *
 * Loads every corpus/NAME.sip file into one read-only mapping, checks that the
 * column parses every message, then times N passes over the whole corpus (each
 * pass parses every message once, in file-name order: a round-robin mix, so the
 * branch predictor and caches see a realistic alternation of message kinds).
 *
 * Modes (see usage()):
 *   default   timing of the mix, human-readable report + one RESULT line
 *   -V        verification: print every extracted field of every message in
 *             a canonical text form (run.sh diffs this across columns)
 *   -p        per-message breakdown (each message timed in its own loop)
 *   -A        allocation count per message (needs the *_alloc binary, which
 *             links alloccount.o)
 *
 * Callgrind: the timed passes run inside sb_measured_passes(), so
 *   valgrind --tool=callgrind --collect-atstart=no \
 *            --toggle-collect=sb_measured_passes bin/parse_re -n 20 -w 1
 * counts only the instructions of the 20 measured passes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sipbench.h"

/* Provided only by alloccount.o (the *_alloc binaries). */
extern uint64_t sb_alloc_calls __attribute__((weak));
extern uint64_t sb_alloc_bytes __attribute__((weak));
extern uint64_t sb_free_calls __attribute__((weak));

struct msg {
    char name[128];
    const char *buf;
    size_t len;
};

static struct msg *msgs;
static size_t nmsgs;
static size_t corpus_bytes;
static volatile uint64_t sink; /* defeats dead-code elimination */

static void
usage(const char *argv0)
{
    fprintf(stderr,
        "usage: %s [-c DIR] [-n PASSES] [-t SECONDS] [-w PASSES] "
        "[-V] [-p] [-A] [-q]\n"
        "  -c DIR      corpus directory (default: corpus)\n"
        "  -n PASSES   timed passes over the corpus (default: auto, "
        "about -t seconds)\n"
        "  -t SECONDS  target time of the timed run (default: 2.0)\n"
        "  -w PASSES   warm-up passes (default: auto, about 0.2 s)\n"
        "  -V          verify: print the fields of every message, "
        "no timing\n"
        "  -p          also time every message in its own loop\n"
        "  -A          count allocations per message (needs the _alloc "
        "binary)\n"
        "  -q          print only the RESULT line(s)\n",
        argv0);
    exit(2);
}

static double
now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(
        ((const struct msg *) a)->name, ((const struct msg *) b)->name);
}

/* Read every *.sip file of dir into one mapping, each message 64-byte
 * aligned and followed by at least one unmapped-or-0xff byte, then make the
 * mapping read-only so that no parser can write into its input. */
static void
load_corpus(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0, total = 0, i;
    char path[4096];
    char *map;

    if (!d) {
        fprintf(
            stderr, "cannot open corpus dir %s: %s\n", dir, strerror(errno));
        exit(1);
    }
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        struct stat st;
        if (l < 5 || strcmp(de->d_name + l - 4, ".sip"))
            continue;
        if (nmsgs == cap) {
            cap = cap ? 2 * cap : 16;
            msgs = realloc(msgs, cap * sizeof(*msgs));
        }
        snprintf(msgs[nmsgs].name, sizeof(msgs[nmsgs].name), "%s", de->d_name);
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (stat(path, &st) || st.st_size <= 0) {
            fprintf(stderr, "cannot stat %s\n", path);
            exit(1);
        }
        msgs[nmsgs].len = (size_t) st.st_size;
        total += ((size_t) st.st_size + 64) & ~(size_t) 63;
        nmsgs++;
    }
    closedir(d);
    if (!nmsgs) {
        fprintf(stderr, "no *.sip files in %s\n", dir);
        exit(1);
    }
    qsort(msgs, nmsgs, sizeof(*msgs), cmp_name);

    map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
        -1, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    memset(map, 0xff, total); /* no accidental NUL after a message */
    {
        size_t off = 0;
        for (i = 0; i < nmsgs; i++) {
            FILE *f;
            snprintf(path, sizeof(path), "%s/%s", dir, msgs[i].name);
            f = fopen(path, "rb");
            if (!f || fread(map + off, 1, msgs[i].len, f) != msgs[i].len) {
                fprintf(stderr, "cannot read %s\n", path);
                exit(1);
            }
            fclose(f);
            msgs[i].buf = map + off;
            corpus_bytes += msgs[i].len;
            off += (msgs[i].len + 64) & ~(size_t) 63;
        }
    }
    if (mprotect(map, total, PROT_READ)) {
        perror("mprotect");
        exit(1);
    }
}

/* What the application does with the result: read every field (length and
 * last byte, so a bogus pointer or length would crash or change the sum). */
static inline uint64_t
consume(const struct sb_fields *f)
{
    uint64_t h = (uint64_t) f->is_request + (uint64_t) f->status * 7
        + f->cseq_num + f->n_contacts + f->body_len;
    unsigned i, n;
#define SB_CONSUME(fld)                                                        \
    h = h * 33 + f->fld.len                                                    \
        + (f->fld.len ? (unsigned char) f->fld.p[f->fld.len - 1] : 0);
    SB_STR_FIELDS(SB_CONSUME)
#undef SB_CONSUME
    n = f->n_contacts < SB_MAX_CONTACTS ? f->n_contacts : SB_MAX_CONTACTS;
    for (i = 0; i < n; i++) {
        const sb_str *u = &f->contact_user[i], *o = &f->contact_host[i];
        h = h * 33 + u->len + o->len
            + (o->len ? (unsigned char) o->p[o->len - 1] : 0);
    }
    return h;
}

static inline int
parse_consume_release(const struct msg *m, uint64_t *acc)
{
    struct sb_fields f;
    int rc;

    memset(&f, 0, sizeof(f));
    rc = sb_parse_one(m->buf, m->len, &f);
    *acc += consume(&f);
    sb_release(&f);
    return rc;
}

static int __attribute__((noinline)) run_passes(uint64_t passes)
{
    uint64_t acc = 0, p;
    int bad = 0;
    size_t i;

    for (p = 0; p < passes; p++)
        for (i = 0; i < nmsgs; i++)
            bad |= parse_consume_release(&msgs[i], &acc);
    sink += acc;
    return bad;
}

/* The only code callgrind collects with --toggle-collect. */
int __attribute__((noinline)) sb_measured_passes(uint64_t passes)
{
    return run_passes(passes);
}

static int __attribute__((noinline))
run_one(const struct msg *m, uint64_t iters)
{
    uint64_t acc = 0, k;
    int bad = 0;

    for (k = 0; k < iters; k++)
        bad |= parse_consume_release(m, &acc);
    sink += acc;
    return bad;
}

static void
print_str(const char *name, sb_str s)
{
    printf("%s=[%.*s]\n", name, (int) s.len, s.len ? s.p : "");
}

static void
verify(void)
{
    size_t i;
    unsigned c;

    for (i = 0; i < nmsgs; i++) {
        struct sb_fields f;
        int rc;

        memset(&f, 0, sizeof(f));
        rc = sb_parse_one(msgs[i].buf, msgs[i].len, &f);
        printf("== %s (%zu bytes) rc=%d\n", msgs[i].name, msgs[i].len, rc);
        printf("is_request=%d status=%d\n", f.is_request, f.status);
#define SB_PRINT(fld) print_str(#fld, f.fld);
        SB_STR_FIELDS(SB_PRINT)
#undef SB_PRINT
        printf("cseq_num=%" PRIu32 "\n", f.cseq_num);
        printf("n_contacts=%u\n", f.n_contacts);
        for (c = 0; c < f.n_contacts && c < SB_MAX_CONTACTS; c++) {
            char nm[64];
            snprintf(nm, sizeof(nm), "contact[%u].user", c);
            print_str(nm, f.contact_user[c]);
            snprintf(nm, sizeof(nm), "contact[%u].host", c);
            print_str(nm, f.contact_host[c]);
        }
        printf("body_len=%zu\n", f.body_len);
        sb_release(&f);
    }
}

int
main(int argc, char **argv)
{
    const char *dir = "corpus";
    double target = 2.0, t0, t1, c0, c1, wall, cpu, ns;
    long long opt_n = -1, opt_w = -1;
    int opt_verify = 0, opt_per = 0, opt_alloc = 0, quiet = 0, ch;
    uint64_t passes, warm;
    size_t i;

    while ((ch = getopt(argc, argv, "c:n:t:w:VpAqh")) != -1) {
        switch (ch) {
        case 'c':
            dir = optarg;
            break;
        case 'n':
            opt_n = atoll(optarg);
            break;
        case 't':
            target = atof(optarg);
            break;
        case 'w':
            opt_w = atoll(optarg);
            break;
        case 'V':
            opt_verify = 1;
            break;
        case 'p':
            opt_per = 1;
            break;
        case 'A':
            opt_alloc = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            usage(argv[0]);
        }
    }

    load_corpus(dir);
    if (sb_parser_init()) {
        fprintf(stderr, "%s: init failed\n", sb_parser_name());
        return 1;
    }

    if (opt_verify) {
        printf("# parser %s: %s\n", sb_parser_name(), sb_parser_version());
        verify();
        sb_parser_fini();
        return 0;
    }

    /* Every message must parse before anything is timed. */
    for (i = 0; i < nmsgs; i++) {
        uint64_t acc = 0;
        if (parse_consume_release(&msgs[i], &acc)) {
            fprintf(stderr, "%s: failed to parse %s\n", sb_parser_name(),
                msgs[i].name);
            return 1;
        }
    }

    if (opt_alloc) {
        const uint64_t k = 100;
        uint64_t a0, b0, f0;
        if (!&sb_alloc_calls) {
            fprintf(stderr,
                "-A needs the _alloc binary "
                "(linked with alloccount.o)\n");
            return 2;
        }
        run_passes(2);
        a0 = sb_alloc_calls, b0 = sb_alloc_bytes, f0 = sb_free_calls;
        run_passes(k);
        printf("ALLOC name=%s allocs_per_msg=%.2f frees_per_msg=%.2f "
               "bytes_per_msg=%.1f\n",
            sb_parser_name(),
            (double) (sb_alloc_calls - a0) / (double) (k * nmsgs),
            (double) (sb_free_calls - f0) / (double) (k * nmsgs),
            (double) (sb_alloc_bytes - b0) / (double) (k * nmsgs));
        sb_parser_fini();
        return 0;
    }

    /* Warm-up, which also calibrates the pass count. */
    if (opt_w >= 0) {
        warm = (uint64_t) opt_w;
        run_passes(warm);
    } else {
        warm = 0;
        t0 = now_s(CLOCK_MONOTONIC);
        do {
            run_passes(1);
            warm++;
        } while (now_s(CLOCK_MONOTONIC) - t0 < 0.2);
    }
    if (opt_n > 0) {
        passes = (uint64_t) opt_n;
    } else {
        uint64_t probe = warm ? warm : 1;
        t0 = now_s(CLOCK_MONOTONIC);
        run_passes(probe);
        t1 = now_s(CLOCK_MONOTONIC);
        passes = (uint64_t) (target / ((t1 - t0) / (double) probe));
        if (passes < 1)
            passes = 1;
    }

    c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    t0 = now_s(CLOCK_MONOTONIC);
    if (sb_measured_passes(passes)) {
        fprintf(stderr, "%s: parse error during timing\n", sb_parser_name());
        return 1;
    }
    t1 = now_s(CLOCK_MONOTONIC);
    c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    wall = t1 - t0;
    cpu = c1 - c0;
    ns = wall * 1e9 / (double) (passes * nmsgs);

    if (!quiet) {
        printf("parser  : %s (%s)\n", sb_parser_name(), sb_parser_version());
        printf("corpus  : %s, %zu messages, %zu bytes (mean %.0f B)\n", dir,
            nmsgs, corpus_bytes, (double) corpus_bytes / (double) nmsgs);
        printf("run     : %" PRIu64 " warm-up + %" PRIu64
               " timed passes = %" PRIu64 " parses, wall %.3f s, "
               "cpu %.3f s\n",
            warm, passes, passes * nmsgs, wall, cpu);
        printf("result  : %.1f ns/msg, %.0f msg/s, %.1f MB/s\n", ns, 1e9 / ns,
            (double) corpus_bytes * (double) passes / wall / 1e6);
        if (cpu < 0.95 * wall)
            printf("warning : cpu/wall = %.2f, the process was "
                   "descheduled; rerun\n",
                cpu / wall);
    }
    printf("RESULT name=%s ns_per_msg=%.1f msgs_per_s=%.0f "
           "mbytes_per_s=%.2f passes=%" PRIu64 " wall_s=%.3f cpu_s=%.3f\n",
        sb_parser_name(), ns, 1e9 / ns,
        (double) corpus_bytes * (double) passes / wall / 1e6, passes, wall,
        cpu);

    if (opt_per) {
        /* Same total time budget split over the messages. */
        double per_msg_ns = ns;
        for (i = 0; i < nmsgs; i++) {
            uint64_t it =
                (uint64_t) (target / (double) nmsgs * 1e9 / per_msg_ns);
            if (it < 10)
                it = 10;
            run_one(&msgs[i], it / 10 + 1);
            t0 = now_s(CLOCK_MONOTONIC);
            run_one(&msgs[i], it);
            t1 = now_s(CLOCK_MONOTONIC);
            printf("PERMSG name=%s msg=%s bytes=%zu ns_per_msg=%.1f"
                   "\n",
                sb_parser_name(), msgs[i].name, msgs[i].len,
                (t1 - t0) * 1e9 / (double) it);
        }
    }

    sb_parser_fini();
    return 0;
}
