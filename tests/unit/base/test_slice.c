#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "base/err.h"
#include "base/slice.h"

static void
test_eq_and_caseeq(void **state)
{
    (void) state;
    assert_true(slice_eq(SLICE_LIT("Via"), SLICE_LIT("Via")));
    assert_false(slice_eq(SLICE_LIT("Via"), SLICE_LIT("via")));
    assert_true(slice_caseeq(SLICE_LIT("Via"), SLICE_LIT("vIA")));
    assert_false(slice_caseeq(SLICE_LIT("Via"), SLICE_LIT("Vi")));
    assert_true(slice_eq(SLICE_NULL, SLICE_LIT("")));
    assert_true(slice_caseprefix(SLICE_LIT("SIP/2.0"), SLICE_LIT("sip/")));
    assert_false(slice_caseprefix(SLICE_LIT("SI"), SLICE_LIT("sip/")));
}

static void
test_trim_sub_chr(void **state)
{
    (void) state;
    struct slice t = slice_trim(SLICE_LIT(" \t abc \r\n"));
    assert_true(slice_eq(t, SLICE_LIT("abc")));
    assert_int_equal(slice_trim(SLICE_LIT("   ")).len, 0);
    assert_true(
        slice_eq(slice_sub(SLICE_LIT("abcdef"), 2, 2), SLICE_LIT("cd")));
    assert_true(slice_eq(slice_sub(SLICE_LIT("abc"), 2, 99), SLICE_LIT("c")));
    assert_int_equal(slice_sub(SLICE_LIT("abc"), 9, 1).len, 0);
    assert_int_equal(slice_chr(SLICE_LIT("a;b"), ';'), 1);
    assert_int_equal(slice_chr(SLICE_LIT("ab"), ';'), -1);
    assert_int_equal(slice_chr(SLICE_NULL, ';'), -1);
}

static void
test_numbers(void **state)
{
    uint32_t v = 7;
    uint64_t w;

    (void) state;
    assert_int_equal(slice_to_u32(SLICE_LIT("2147483647"), 2147483647u, &v), 0);
    assert_int_equal(v, 2147483647u);
    assert_int_equal(
        slice_to_u32(SLICE_LIT("2147483648"), 2147483647u, &v), -ERANGE);
    assert_int_equal(slice_to_u32(SLICE_LIT("256"), 255, &v), -ERANGE);
    assert_int_equal(slice_to_u32(SLICE_LIT("255"), 255, &v), 0);
    assert_int_equal(slice_to_u32(SLICE_LIT(""), 255, &v), -EINVAL);
    assert_int_equal(slice_to_u32(SLICE_LIT("-1"), 255, &v), -EINVAL);
    assert_int_equal(slice_to_u32(SLICE_LIT("1 "), 255, &v), -EINVAL);
    assert_int_equal(
        slice_to_u64(SLICE_LIT("18446744073709551615"), UINT64_MAX, &w), 0);
    assert_true(w == UINT64_MAX);
    assert_int_equal(
        slice_to_u64(SLICE_LIT("18446744073709551616"), UINT64_MAX, &w),
        -ERANGE);
}

static void
test_copy(void **state)
{
    char buf[4];

    (void) state;
    assert_int_equal(slice_copy(buf, sizeof(buf), SLICE_LIT("abc")), 0);
    assert_string_equal(buf, "abc");
    assert_int_equal(slice_copy(buf, sizeof(buf), SLICE_LIT("abcd")), -ENOSPC);
    assert_string_equal(buf, "");
}

static void
test_utf8_prefix(void **state)
{
    (void) state;
    assert_int_equal(slice_utf8_prefix(SLICE_LIT("sip:b\xc3\xb6"
                                                 "b@x")),
        10);
    assert_int_equal(slice_utf8_prefix(SLICE_LIT("\xf0\x9f\x93\x9e")), 4);
    assert_int_equal(slice_utf8_prefix(SLICE_LIT("sip:\xff")), 4);
    /* overlong '/', a surrogate, a cut sequence, NUL */
    assert_int_equal(slice_utf8_prefix(SLICE_LIT("a\xc0\xaf")), 1);
    assert_int_equal(slice_utf8_prefix(SLICE_LIT("ab\xed\xa0\x80")), 2);
    assert_int_equal(slice_utf8_prefix(SLICE_LIT("abc\xe2\x82")), 3);
    assert_int_equal(slice_utf8_prefix(slice_make("a\0b", 3)), 1);
    assert_int_equal(slice_utf8_prefix(SLICE_NULL), 0);
}

static const char *const test_names[] = { "first defect", "second defect" };

static void
test_err_str(void **state)
{
    (void) state;
    assert_string_equal(err_str(0), "success");
    assert_string_equal(err_str(-ENOMEM), "Cannot allocate memory");
    assert_string_equal(
        err_str(CONF_E_UNKNOWN_OPTION), "unknown configuration option");
    err_register(APP_E_FIRST, test_names, 2);
    assert_string_equal(err_str(APP_E_FIRST - 1), "first defect");
    assert_string_equal(err_str(APP_E_FIRST - 2), "second defect");
    assert_string_equal(err_str(APP_E_FIRST - 3), "unknown error");
    assert_string_equal(err_str(-4500), "unknown error");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eq_and_caseeq),
        cmocka_unit_test(test_trim_sub_chr),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_utf8_prefix),
        cmocka_unit_test(test_err_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
