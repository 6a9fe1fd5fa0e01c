/* libFuzzer target: "# ocsp-lint: disable=..." comments, as a comment line, as the
 * lines above directives of a file (the module's way) and as the reader keeps them. */
#include "fuzz_common.h"

#include "oa_conf.h"
#include "oa_suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *jail = fuzz_init();
    apr_pool_t *p;
    char *text, *line, *last;
    const char *path;
    oa_suppress_cache_t *cache;
    oa_conf_opts_t opts;
    oa_conf_t *conf;
    oa_diag_t *err;
    int n;

    if (size > 64 * 1024) {
        return 0;
    }
    apr_pool_create(&p, NULL);
    text = apr_pstrmemdup(p, (const char *)data, size);
    for (line = apr_strtok(apr_pstrdup(p, text), "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        (void)oa_suppress_parse(p, line);
    }
    /* the module reads the comments back from the file */
    fuzz_put(p, "suppress.conf", text, size);
    path = apr_pstrcat(p, jail, "/suppress.conf", NULL);
    cache = oa_suppress_cache_make(p);
    for (n = 0; n <= 40; n++) {
        (void)oa_suppress_above(cache, path, n);
    }
    (void)oa_suppress_above(cache, path, 1 << 30);
    oa_conf_opts_init(&opts, p);
    opts.server_root = jail;
    opts.confine = jail;
    opts.config_file = path;
    if (oa_conf_read(&conf, &err, p, &opts) == APR_SUCCESS) {
        oa_suppress_mark_tree(oa_suppress_cache_make(p), conf->first);
    }
    apr_pool_destroy(p);
    return 0;
}
