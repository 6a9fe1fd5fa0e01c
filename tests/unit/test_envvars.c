/* Debian's envvars: assignments read without running a shell. */
#include "oa_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <apr_strings.h>

#include "oa_envvars.h"

START_TEST(debian_envvars)
{
    apr_table_t *v = apr_table_make(tp, 8);
    unsetenv("APACHE_CONFDIR");
    oa_envvars_parse(v, tp,
        "# envvars - default environment variables for apache2ctl\n"
        "unset HOME\n"
        "if [ \"${APACHE_CONFDIR##/etc/apache2-}\" != \"${APACHE_CONFDIR}\" ] ; then\n"
        "\tSUFFIX=\"-${APACHE_CONFDIR##/etc/apache2-}\"\n"
        "else\n"
        "\tSUFFIX=\n"
        "fi\n"
        "export APACHE_RUN_USER=www-data\n"
        "export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid\n"
        "export APACHE_LOG_DIR=/var/log/apache2${SUFFIX}\n"
        "export LANG='C'\n"
        "QUOTED=\"a b\"  # comment\n"
        "MIXED=x'$y'\"$APACHE_RUN_USER\"\n"
        "not an assignment\n");
    ck_assert_str_eq(apr_table_get(v, "SUFFIX"), "");
    ck_assert_str_eq(apr_table_get(v, "APACHE_RUN_USER"), "www-data");
    ck_assert_str_eq(apr_table_get(v, "APACHE_PID_FILE"), "/var/run/apache2/apache2.pid");
    ck_assert_str_eq(apr_table_get(v, "APACHE_LOG_DIR"), "/var/log/apache2");
    ck_assert_str_eq(apr_table_get(v, "LANG"), "C");
    ck_assert_str_eq(apr_table_get(v, "QUOTED"), "a b");
    ck_assert_str_eq(apr_table_get(v, "MIXED"), "x$ywww-data");
    ck_assert_ptr_null(apr_table_get(v, "not"));
}
END_TEST

START_TEST(read_file_and_errors)
{
    apr_table_t *v = apr_table_make(tp, 8);
    const char *path = oa_test_write("envvars", "export A=1\nB=${A}2\n");
    ck_assert_int_eq(oa_envvars_read(v, tp, path), APR_SUCCESS);
    ck_assert_str_eq(apr_table_get(v, "B"), "12");
    ck_assert_int_ne(oa_envvars_read(v, tp, "/nonexistent-oa/envvars"), APR_SUCCESS);
    ck_assert_int_ne(oa_envvars_read(v, tp, tdir), APR_SUCCESS); /* a directory */
}
END_TEST

START_TEST(several_assignments_on_a_line)
{
    apr_table_t *v = apr_table_make(tp, 8);
    oa_envvars_parse(v, tp, "export A=1 B=2\nC=3 D=\"$A$B\"; export E=5;F=x\n"
                     "if [ x ]; then H=1; fi\n");
    ck_assert_str_eq(apr_table_get(v, "A"), "1");
    ck_assert_str_eq(apr_table_get(v, "B"), "2");
    ck_assert_str_eq(apr_table_get(v, "C"), "3");
    ck_assert_str_eq(apr_table_get(v, "D"), "12");
    ck_assert_str_eq(apr_table_get(v, "E"), "5");   /* after ';': another command */
    ck_assert_str_eq(apr_table_get(v, "F"), "x");
    ck_assert_ptr_null(apr_table_get(v, "H"));      /* conditionals are not evaluated */
}
END_TEST

/* 200,000 expansions on one line: quadratic string building took minutes and gigabytes */
START_TEST(long_line_is_linear)
{
    apr_table_t *v = apr_table_make(tp, 8);
    apr_size_t n = 200000, i;
    char *text = apr_palloc(tp, 2 * n + 16), *t = text;
    t += sprintf(t, "X=y\nL=\"");
    for (i = 0; i < n; i++) {
        *t++ = '$';
        *t++ = 'X';
    }
    strcpy(t, "\"\n");
    oa_envvars_parse(v, tp, text);
    ck_assert_uint_eq(strlen(apr_table_get(v, "L")), n);
}
END_TEST

START_TEST(fifo_refused_without_opening)
{
    apr_table_t *v = apr_table_make(tp, 8);
    const char *path = apr_pstrcat(tp, tdir, "/fifo", NULL);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    /* opening a FIFO for reading would wait for a writer forever */
    ck_assert_int_eq(oa_envvars_read(v, tp, path), OA_ENVVARS_NOT_REGULAR);
    ck_assert_int_eq(oa_envvars_read(v, tp, "/dev/null"), OA_ENVVARS_NOT_REGULAR);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_envvars");
    TCase *tc = tcase_create("envvars");
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, debian_envvars);
    tcase_add_test(tc, read_file_and_errors);
    tcase_add_test(tc, several_assignments_on_a_line);
    tcase_add_test(tc, long_line_is_linear);
    tcase_add_test(tc, fifo_refused_without_opening);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
