/*
 * Replays a corpus through a libFuzzer entry point in builds without
 * libFuzzer (gcc, sanitizers): every file under the given directories or
 * the given files, once each. CTest runs this so every build exercises
 * every regression input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* Exact-size heap copy so ASan sees reads past the end. */
    uint8_t *buf = malloc(n > 0 ? (size_t) n : 1);
    if (!buf || (n > 0 && fread(buf, 1, (size_t) n, f) != (size_t) n)) {
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t) n);
    free(buf);
    return 0;
}

static int
run_path(const char *path, int *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (run_path(sub, count) != 0) {
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int
main(int argc, char **argv)
{
    int count = 0, rc = 0;

    for (int i = 1; i < argc; i++) {
        if (run_path(argv[i], &count) != 0) {
            rc = 1;
        }
    }
    printf("replayed %d inputs\n", count);
    return rc || count == 0;
}
