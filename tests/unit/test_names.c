/* Case-insensitive lookup in a constant table: the same answers as a strcasecmp scan. */
#include "oa_test.h"

#include <strings.h>

#include "oa_names.h"

static const char *const small[] = { "Include", "SSLEngine", "sslengine", "ServerName", "" };
#define N_SMALL (sizeof(small) / sizeof(small[0]))

static const char *small_at(size_t i)
{
    return small[i];
}

/* more rows than an index holds: looked up by a scan, with the same answers */
#define N_BIG (OA_NAMES_SLOTS / 2 + 1)
static char big[N_BIG][16];

static const char *big_at(size_t i)
{
    return big[i];
}

static int scan(const char *const *t, size_t n, const char *name)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (!strcasecmp(t[i], name)) {
            return (int)i;
        }
    }
    return -1;
}

START_TEST(as_a_scan)
{
    static oa_names_t ix = OA_NAMES_INIT(N_SMALL, small_at);
    const char *probes[] = { "include", "INCLUDE", "SSLEngine", "SSLENGINE", "servername",
                             "ServerNam", "ServerNames", "", "Includ\xc3\xa9", "x" };
    size_t i;
    for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        ck_assert_int_eq(oa_names_find(&ix, probes[i]), scan(small, N_SMALL, probes[i]));
    }
    ck_assert_int_eq(oa_names_find(&ix, "sslENGINE"), 1);    /* the first of two rows */
}
END_TEST

START_TEST(too_big_to_index)
{
    static oa_names_t ix = OA_NAMES_INIT(N_BIG, big_at);
    size_t i;
    for (i = 0; i < N_BIG; i++) {
        snprintf(big[i], sizeof(big[i]), "Name%zu", i);
    }
    ck_assert_int_eq(oa_names_find(&ix, "name0"), 0);
    ck_assert_int_eq(oa_names_find(&ix, "NAME2048"), 2048);
    ck_assert_int_eq(oa_names_find(&ix, "name2049"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_names");
    TCase *tc = tcase_create("names");
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, as_a_scan);
    tcase_add_test(tc, too_big_to_index);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
