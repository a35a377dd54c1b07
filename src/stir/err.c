#include <stdarg.h>
#include <stdio.h>

#include "stir/stir_int.h"

static const char *const names[] = {
    "bad base64url",
    "malformed PASSporT JSON",
    "malformed Identity header",
    "bad signature encoding",
    "signature does not validate",
    "unsupported key type",
    "certificate does not parse",
    "certificate untrusted",
    "malformed TNAuthList",
    "bad PASSporT claims",
    "not a telephone number",
    "value too long",
    "crypto library failure",
    "message lacks a header needed",
};

void
stir_err_init(void)
{
    err_register(STIR_E_FIRST, names, sizeof(names) / sizeof(names[0]));
}

const char *
stir_code_phrase(int code)
{
    switch (code) {
    case STIR_PASS:
        return "OK";
    case STIR_STALE:
        return "Stale Date";
    case STIR_USE_IDENTITY:
        return "Use Identity Header";
    case STIR_BAD_INFO:
        return "Bad Identity Info";
    case STIR_BAD_CRED:
        return "Unsupported Credential";
    case STIR_INVALID:
        return "Invalid Identity Header";
    default:
        return "Unknown";
    }
}

void
stir__why(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!dst || size == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}
