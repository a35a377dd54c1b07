#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sip/sip_codes.h"

static void
test_reason_phrases(void **state)
{
    static const struct {
        int code;
        const char *reason;
    } want[] = {
        { 100, "Trying" },
        { 199, "Early Dialog Terminated" },
        { 200, "OK" },
        { 204, "No Notification" },
        { 301, "Moved Permanently" },
        { 302, "Moved Temporarily" },
        { 380, "Alternative Service" },
        { 403, "Forbidden" },
        { 428, "Use Identity Header" },
        { 436, "Bad Identity Info" },
        { 437, "Unsupported Credential" },
        { 438, "Invalid Identity Header" },
        { 481, "Call/Transaction Does Not Exist" },
        { 504, "Server Time-out" },
        { 555, "Push Notification Service Not Supported" },
        { 580, "Precondition Failure" },
        { 607, "Unwanted" },
        { 608, "Rejected" },
    };

    (void) state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(sip_code_reason(want[i].code), want[i].reason);
        assert_non_null(sip_code_find(want[i].code));
    }
}

static void
test_unregistered(void **state)
{
    (void) state;
    /* Unregistered but in range: the class's generic phrase. */
    assert_null(sip_code_find(499));
    assert_string_equal(sip_code_reason(499), "Client Failure");
    assert_string_equal(sip_code_reason(150), "Provisional");
    assert_string_equal(sip_code_reason(299), "Success");
    assert_string_equal(sip_code_reason(399), "Redirection");
    assert_string_equal(sip_code_reason(599), "Server Failure");
    assert_string_equal(sip_code_reason(699), "Global Failure");
    /* Out of range: never NULL. */
    assert_string_equal(sip_code_reason(99), "Unknown");
    assert_string_equal(sip_code_reason(700), "Unknown");
    assert_string_equal(sip_code_reason(-1), "Unknown");
    assert_null(sip_code_generic(SIP_CODE_CLASS_NONE));
    assert_int_equal(
        sip_code_generic(SIP_CODE_CLASS_SERVER_FAILURE)->code, 500);
}

static void
test_classes(void **state)
{
    (void) state;
    assert_string_equal(sip_code_find(438)->section, "6.2.2");
    assert_string_equal(sip_code_find(480)->section, "21.4.18");
    assert_string_equal(sip_code_find(513)->section, "21.5.7");
    assert_int_equal(sip_code_class_of(99), SIP_CODE_CLASS_NONE);
    assert_int_equal(sip_code_class_of(100), SIP_CODE_CLASS_PROVISIONAL);
    assert_int_equal(sip_code_class_of(204), SIP_CODE_CLASS_SUCCESS);
    assert_int_equal(sip_code_class_of(380), SIP_CODE_CLASS_REDIRECTION);
    assert_int_equal(sip_code_class_of(438), SIP_CODE_CLASS_CLIENT_FAILURE);
    assert_int_equal(sip_code_class_of(580), SIP_CODE_CLASS_SERVER_FAILURE);
    assert_int_equal(sip_code_class_of(699), SIP_CODE_CLASS_GLOBAL_FAILURE);
    assert_int_equal(sip_code_class_of(700), SIP_CODE_CLASS_NONE);
    assert_string_equal(
        sip_code_class_name(SIP_CODE_CLASS_CLIENT_FAILURE), "Client Failure");
    assert_string_equal(sip_code_class_name(SIP_CODE_CLASS_NONE), "Invalid");
    assert_string_equal(
        sip_code_class_range(SIP_CODE_CLASS_REDIRECTION), "3xx");
    assert_string_equal(sip_code_class_range(SIP_CODE_CLASS_NONE), "");
}

/* The IANA registry as of RFC 8876 (the newest registration). */
static void
test_registry_complete(void **state)
{
    static const int registered[] = { 100, 180, 181, 182, 183, 199, 200, 202,
        204, 300, 301, 302, 305, 380, 400, 401, 402, 403, 404, 405, 406, 407,
        408, 410, 412, 413, 414, 415, 416, 417, 420, 421, 422, 423, 424, 425,
        428, 429, 430, 433, 436, 437, 438, 439, 440, 469, 470, 480, 481, 482,
        483, 484, 485, 486, 487, 488, 489, 491, 493, 494, 500, 501, 502, 503,
        504, 505, 513, 555, 580, 600, 603, 604, 606, 607, 608 };
    size_t n = sizeof(registered) / sizeof(registered[0]);

    (void) state;
    assert_int_equal(sip_code_count(), n);
    for (size_t i = 0; i < n; i++) {
        const struct sip_code_info *ci = sip_code_at(i);

        assert_non_null(ci);
        assert_int_equal(ci->code, registered[i]);
        assert_ptr_equal(sip_code_find(ci->code), ci);
        assert_int_equal(ci->cls, sip_code_class_of(ci->code));
        assert_true(strlen(ci->reason) > 0);
        assert_true(strncmp(ci->rfc, "RFC ", 4) == 0);
        assert_non_null(ci->section);
        /* RFC 3261 defines its codes in §21.x.y. */
        if (strcmp(ci->rfc, "RFC 3261") == 0) {
            assert_true(strncmp(ci->section, "21.", 3) == 0);
        }
        assert_true(strlen(ci->meaning) > 40);
        assert_true(strlen(ci->when) > 40);
        assert_true(strlen(ci->fix) > 40);
    }
    assert_null(sip_code_at(n));
}

static void
test_generic_complete(void **state)
{
    (void) state;
    for (int cls = SIP_CODE_CLASS_PROVISIONAL;
         cls <= SIP_CODE_CLASS_GLOBAL_FAILURE; cls++) {
        const struct sip_code_info *g = sip_code_generic(cls);

        assert_non_null(g);
        assert_int_equal(g->code, cls * 100);
        assert_int_equal(g->cls, cls);
        assert_string_equal(g->reason, sip_code_class_name(cls));
        assert_string_equal(g->section, "8.1.3.2");
        assert_true(strlen(g->meaning) > 40);
        assert_true(strlen(g->when) > 20);
        assert_true(strlen(g->fix) > 20);
    }
}

static void
test_nearest(void **state)
{
    int out[3];

    (void) state;
    assert_int_equal(sip_code_nearest(439, out, 3), 3);
    assert_int_equal(out[0], 439);
    assert_int_equal(out[1], 438);
    assert_int_equal(out[2], 440);
    assert_int_equal(sip_code_nearest(999, out, 2), 2);
    assert_int_equal(out[0], 608);
    assert_int_equal(out[1], 607);
    assert_int_equal(sip_code_nearest(0, out, 1), 1);
    assert_int_equal(out[0], 100);
    /* 498: 500 is 2 away, 501 is 3, 494 is 4. */
    assert_int_equal(sip_code_nearest(498, out, 3), 3);
    assert_int_equal(out[0], 500);
    assert_int_equal(out[1], 501);
    assert_int_equal(out[2], 494);
}

static void
test_pairs(void **state)
{
    (void) state;
    assert_non_null(sip_code_pair_find(301, 302));
    assert_ptr_equal(
        sip_code_pair_find(302, 301), sip_code_pair_find(301, 302));
    assert_null(sip_code_pair_find(100, 608));
    for (size_t i = 0; i < sip_code_pair_count(); i++) {
        const struct sip_code_pair *p = sip_code_pair_at(i);

        assert_true(p->a < p->b);
        assert_non_null(sip_code_find(p->a));
        assert_non_null(sip_code_find(p->b));
        assert_true(strlen(p->difference) > 40);
        assert_true(strlen(p->choose) > 40);
        /* One note per pair, so lookups are unambiguous. */
        assert_ptr_equal(sip_code_pair_find(p->b, p->a), p);
    }
    /* The pairs people confuse most must have hand-written notes. */
    static const int wanted[][2] = { { 301, 302 }, { 301, 438 }, { 302, 305 },
        { 401, 403 }, { 401, 407 }, { 404, 480 }, { 486, 600 }, { 603, 607 },
        { 603, 608 }, { 436, 437 }, { 436, 438 }, { 437, 438 }, { 408, 504 },
        { 488, 606 }, { 420, 421 }, { 484, 485 }, { 500, 503 } };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        assert_non_null(sip_code_pair_find(wanted[i][0], wanted[i][1]));
    }
}

static void
test_sentence_and_effect(void **state)
{
    (void) state;
    assert_int_equal(sip_code_sentence_len("One. Two."), 4);
    assert_int_equal(sip_code_sentence_len("No stop"), 7);
    /* "e.g." and a full stop before a digit or lower case end nothing. */
    assert_int_equal(sip_code_sentence_len("Say e.g. Foo here. Next"), 18);
    assert_int_equal(sip_code_sentence_len("RFC 3261 §8.1.3.2. Next"), 19);
    assert_int_equal(sip_code_sentence_len("a. b. C"), 5);
    for (size_t i = 0; i < sip_code_count(); i++) {
        const struct sip_code_info *ci = sip_code_at(i);
        size_t n = sip_code_sentence_len(ci->meaning);

        /* Every meaning opens with a sentence short enough for a summary. */
        assert_true(n > 10 && n <= strlen(ci->meaning));
        assert_int_equal(ci->meaning[n - 1], '.');
    }
    assert_string_equal(sip_code_class_effect(SIP_CODE_CLASS_NONE), "");
    for (int c = SIP_CODE_CLASS_PROVISIONAL; c <= SIP_CODE_CLASS_GLOBAL_FAILURE;
         c++) {
        assert_true(strlen(sip_code_class_effect(c)) > 20);
    }
    assert_non_null(strstr(
        sip_code_class_effect(SIP_CODE_CLASS_GLOBAL_FAILURE), "forking stops"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_phrases),
        cmocka_unit_test(test_unregistered),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_registry_complete),
        cmocka_unit_test(test_generic_complete),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_sentence_and_effect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
