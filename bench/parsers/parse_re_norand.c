/*
 * parse_re_norand.c - diagnostic column: libre with its per-message
 * rand_u64() made nearly free.
 *
 * sip_msg_decode() stamps every message with msg->tag = rand_u64(), which
 * in Debian's OpenSSL build of libre is two RAND_bytes() calls into
 * OpenSSL 3's DRBG.  That is not parsing work, so this column defines
 * RAND_bytes() in the executable (ELF interposition wins over libcrypto's
 * for libre's call too) as a 64-bit xorshift, to show what libre's parser
 * proper costs.  Everything else is parse_re.c unchanged.  Not a
 * configuration anybody ships: read "re" as the real figure.
 */
#define RE_COLUMN_NAME "re_norand"
#define RE_COLUMN_NOTE ", RAND_bytes replaced by xorshift (diagnostic)"
#include "parse_re.c"

int RAND_bytes(unsigned char *buf, int num);

int
RAND_bytes(unsigned char *buf, int num)
{
    static uint64_t x = 0x9e3779b97f4a7c15ull;
    int i;

    for (i = 0; i < num; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char) x;
    }
    return 1;
}
