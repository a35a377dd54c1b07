/* Helpers shared by the stir unit tests (header only). */
#ifndef SW_TEST_STIR_TEST_H
#define SW_TEST_STIR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads tests/data/stir/<name> into a malloc'ed NUL-terminated buffer. */
static inline char *
test_read(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/stir/%s", SW_TEST_DATA, name);
    f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t) n + 1);
    if (!buf || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        abort();
    }
    buf[n] = '\0';
    fclose(f);
    if (len) {
        *len = (size_t) n;
    }
    return buf;
}

/* RFC 8225 §7.1 token (stir-reference.md §2.1): verifies with A.2. */
#define VEC_RFC8225_TOKEN                                                      \
    "eyJhbGciOiJFUzI1NiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4" \
    "YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9.eyJkZXN0Ijp7InVyaSI6WyJzaXA6YWxpY2VAZXh" \
    "hbXBsZS5jb20iXX0sImlhdCI6IjE0NDMyMDgzNDUiLCJvcmlnIjp7InRuIjoiMTIxNTU1NTE" \
    "yMTIifX0.rq3pjT1hoRwakEGjHCnWSwUnshd0-zJ6F1VOgFWSjHBr8Qjpjlk-"            \
    "cpFYpFYsojNC"                                                             \
    "pTzO3QfPOlckGaS6hEck7w"

/* libstirshaken test/ref (stir-reference.md §2.3): verifies with sp.pem. */
#define VEC_LIBSTIRSHAKEN_IDENTITY                                             \
    "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1Ijoi" \
    "aHR0cDovL3NoYWtlbi5zaWduYWx3aXJlLmNsb3VkL3NwLnBlbSJ9."                    \
    "eyJhdHRlc3QiOiJBIiwi"                                                     \
    "ZGVzdCI6IntcInRuXCI6XCIwMTI1NjUwMDYwMFwifSIsImlhdCI6MTYwMzQ1ODEzMSwib3Jp" \
    "ZyI6IntcInRuXCI6XCIwMTI1Njc4OTk5OVwifSIsIm9yaWdpZCI6InJlZiJ9.cNI-uIirMOi" \
    "T19OcQag2UYjHWTgTqtr5jhSk3KxflqSC7FbrrYDr51zCEvzDMoETpge7eQeQ6ASVzb1dhVV" \
    "hKQ;info=<http://shaken.signalwire.cloud/sp.pem>;alg=ES256;ppt=shaken"

/* Kamailio secsipid with the §2.5 test PKI: verifies with kam_sp.pem. */
#define VEC_KAMAILIO_IDENTITY                                                  \
    "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1Ijoi" \
    "aHR0cDovLzEyNy4wLjAuMToyODA4MC9zcC5wZW0ifQ.eyJhdHRlc3QiOiJBIiwiZGVzdCI6e" \
    "yJ0biI6WyIrMTIxNTU1NTEyMTMiXX0sImlhdCI6MTc5NTUwMTAyOSwib3JpZyI6eyJ0biI6I" \
    "isxMjE1NTU1MTIxMiJ9LCJvcmlnaWQiOiI3ZTA0ZTViZi1lOWU0LTQ4NmYtODE5Ni1hYmE4M" \
    "jVkNWY0MWEifQ.giWTQRsV34IQ6uEFXC0Bhg-ox6Jbii6ZPKrJG2HH4iS87dY58-"         \
    "Udp6Us0eC"                                                                \
    "8tA_t6DW1E5EwmVDhrRc81sRgUw;info=<http://127.0.0.1:28080/sp.pem>;alg=ES2" \
    "56;ppt=shaken"
#define VEC_KAMAILIO_IAT 1795501029

#endif
