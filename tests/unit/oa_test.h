/* Shared fixtures for the libcheck suites: a fresh pool per test, temp files. */
#ifndef OA_TEST_H
#define OA_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_file_io.h>

static apr_pool_t *tp;
static char tdir[256];

static inline void oa_test_setup(void)
{
    apr_initialize();
    apr_pool_create(&tp, NULL);
    strcpy(tdir, "/tmp/oa_unit_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tdir));
}

static inline void oa_test_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tdir);
    }
    apr_pool_destroy(tp);
    apr_terminate();
}

/* write tdir/rel (creating directories), return the absolute path */
static inline const char *oa_test_write(const char *rel, const char *text)
{
    const char *path = apr_pstrcat(tp, tdir, "/", rel, NULL);
    char *dir = apr_pstrdup(tp, path);
    FILE *f;
    *strrchr(dir, '/') = '\0';
    apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, tp);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return path;
}

/* A test PKI (tools/make-test-pki.sh) for a whole suite, made before it runs: no
 * ck_assert here (it records progress even on success). Removed by oa_test_remove_pki. */
static inline const char *oa_test_make_pki(void)
{
    static char dir[] = "/tmp/oa_unit_pki_XXXXXX";
    char cmd[512];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(EXIT_FAILURE);
    }
    snprintf(cmd, sizeof(cmd), "sh '%s/tools/make-test-pki.sh' '%s' http://127.0.0.1:9/ >/dev/null",
             OA_TEST_SRCDIR, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not make the test PKI: %s\n", cmd);
        exit(EXIT_FAILURE);
    }
    return dir;
}

static inline void oa_test_remove_pki(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
}

static inline int oa_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
