/* The JSON writer: structure, escaping, always valid UTF-8. */
#include "oa_test.h"

#include "oa_json.h"

static char *buf;

static void to_buf(void *ctx, const char *s, apr_size_t len)
{
    buf = apr_pstrcat(tp, buf, apr_pstrmemdup(tp, s, len), NULL);
}

START_TEST(structure_compact)
{
    oa_json_t *j;
    buf = apr_pstrdup(tp, "");
    j = oa_json_make(tp, to_buf, NULL, 0);
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "a", "x");
    oa_json_int(j, "n", -42);
    oa_json_bool(j, "t", 1);
    oa_json_null(j, "z");
    oa_json_str(j, "s", NULL);
    oa_json_arr_open(j, "arr");
    oa_json_int(j, NULL, 1);
    oa_json_obj_open(j, NULL);
    oa_json_obj_close(j);
    oa_json_arr_open(j, NULL);
    oa_json_arr_close(j);
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    ck_assert_str_eq(buf, "{\"a\":\"x\",\"n\":-42,\"t\":true,\"z\":null,\"s\":null,\"arr\":[1,{},[]]}");
}
END_TEST

START_TEST(escaping)
{
    ck_assert_str_eq(oa_json_quote(tp, "a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    ck_assert_str_eq(oa_json_quote(tp, "caf\xc3\xa9"), "\"caf\xc3\xa9\"");        /* valid UTF-8 kept */
    ck_assert_str_eq(oa_json_quote(tp, "caf\xe9!"), "\"caf\\ufffd!\"");           /* Latin-1 byte */
    ck_assert_str_eq(oa_json_quote(tp, "\xc0\xaf"), "\"\\ufffd\\ufffd\"");        /* overlong */
    ck_assert_str_eq(oa_json_quote(tp, "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
}
END_TEST

START_TEST(pretty)
{
    oa_json_t *j;
    buf = apr_pstrdup(tp, "");
    j = oa_json_make(tp, to_buf, NULL, 1);
    oa_json_obj_open(j, NULL);
    oa_json_arr_open(j, "v");
    oa_json_str(j, NULL, "a");
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
    ck_assert_str_eq(buf, "{\n  \"v\": [\n    \"a\"\n  ]\n}\n");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_json");
    TCase *tc = tcase_create("json");
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, structure_compact);
    tcase_add_test(tc, escaping);
    tcase_add_test(tc, pretty);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
