/*
 * Error codes: 0 is success, -errno a system error, -EAGAIN "need more
 * bytes". Protocol defects are per-layer negative codes below -4095, past
 * errno's range; each layer owns a block of 1000 and registers the names of
 * its codes, so err_str() can name any error from any layer.
 */
#ifndef SW_BASE_ERR_H
#define SW_BASE_ERR_H

#include <stddef.h>

enum {
    ERR_BASE_FIRST = -5000, /* base: -5000 .. -5999 (conf, ...) */
    SIP_E_FIRST = -6000,    /* sip:  -6000 .. -6999 */
    STIR_E_FIRST = -7000,   /* stir: -7000 .. -7999 */
    STORE_E_FIRST = -8000,  /* store */
    TRANSPORT_E_FIRST = -9000,
    TXN_E_FIRST = -10000,
    APP_E_FIRST = -11000,
    ERR_BLOCK = 1000,
};

enum base_err {
    CONF_E_UNKNOWN_OPTION = ERR_BASE_FIRST - 1,
    CONF_E_BAD_VALUE = ERR_BASE_FIRST - 2,
    CONF_E_OUT_OF_RANGE = ERR_BASE_FIRST - 3,
    CONF_E_SYNTAX = ERR_BASE_FIRST - 4,
};

/**
 * Registers the names of a layer's codes: names[i] is the text of code
 * first - 1 - i. Called once per layer at start (tables are static).
 */
void err_register(int first, const char *const *names, size_t count);

/** Human text for any code; never NULL. */
const char *err_str(int err);

#endif
