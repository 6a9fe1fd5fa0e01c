/* Escaping peers' and certificates' strings for text output. */
#include "oa_test.h"

#include "oa_text.h"

START_TEST(plain_text_is_kept)
{
    const char *s = "CN=good.test, O=Ex\\, Inc. http://ocsp.test/?a=b";
    ck_assert_ptr_eq(oa_text_escape(tp, s), s);
    ck_assert_str_eq(oa_text_escape(tp, NULL), "");
    ck_assert_str_eq(oa_text_escape(tp, ""), "");
    /* printable UTF-8 stays: e acute, a CJK character, an emoji */
    ck_assert_str_eq(oa_text_escape(tp, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\x92"),
                     "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\x92");
}
END_TEST

START_TEST(controls_are_escaped)
{
    ck_assert_str_eq(oa_text_escape(tp, "a\033[31mred\033[0m"), "a\\x1b[31mred\\x1b[0m");
    ck_assert_str_eq(oa_text_escape(tp, "one\ntwo\r\tx"), "one\\ntwo\\r\\tx");
    ck_assert_str_eq(oa_text_escape(tp, "\001\037\177"), "\\x01\\x1f\\x7f");
    /* C1 controls as UTF-8 (CSI U+009B, NEL U+0085) and bidi overrides */
    ck_assert_str_eq(oa_text_escape(tp, "\xc2\x9b" "2J\xc2\x85"), "\\u009b2J\\u0085");
    ck_assert_str_eq(oa_text_escape(tp, "a\xe2\x80\xae" "b\xe2\x81\xa6" "c"),
                     "a\\u202eb\\u2066c");
    /* U+00A0 and U+2028 are not controls a terminal acts on: kept */
    ck_assert_str_eq(oa_text_escape(tp, "\xc2\xa0\xe2\x80\xa8"), "\xc2\xa0\xe2\x80\xa8");
}
END_TEST

START_TEST(invalid_utf8_is_escaped_bytewise)
{
    /* a lone 8-bit CSI, a truncated sequence, an overlong '/', a surrogate */
    ck_assert_str_eq(oa_text_escape(tp, "\x9b" "2J"), "\\x9b2J");
    ck_assert_str_eq(oa_text_escape(tp, "x\xc3"), "x\\xc3");
    ck_assert_str_eq(oa_text_escape(tp, "\xc0\xaf"), "\\xc0\\xaf");
    ck_assert_str_eq(oa_text_escape(tp, "\xed\xa0\x80"), "\\xed\\xa0\\x80");
    ck_assert_int_eq(oa_utf8_len((const unsigned char *)"\xf4\x90\x80\x80"), 0);
    ck_assert_int_eq(oa_utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf"), 4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_text");
    TCase *tc = tcase_create("text");
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, plain_text_is_kept);
    tcase_add_test(tc, controls_are_escaped);
    tcase_add_test(tc, invalid_utf8_is_escaped_bytewise);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
