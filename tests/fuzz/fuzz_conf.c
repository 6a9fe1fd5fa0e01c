/* libFuzzer target: the configuration reader, the vhost model and the JSON report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "oa_conf.h"
#include "oa_report.h"
#include "oa_vhost.h"

static void sink(void *ctx, const char *s, apr_size_t len)
{
    *(apr_size_t *)ctx += len + (s[0] != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    oa_conf_opts_t opts;
    oa_conf_t *conf;
    oa_diag_t *err;
    char *text;
    apr_size_t out = 0;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    /* stay hermetic: no Include of whatever the input names on this machine */
    if (size > 1024 * 1024) {
        return 0;
    }
    apr_pool_create(&p, NULL);
    text = apr_pstrmemdup(p, (const char *)data, size);
    if (apr_strnatcasecmp(text, "") && (strstr(text, "nclude") || strstr(text, "NCLUDE"))) {
        apr_pool_destroy(p);
        return 0;
    }
    oa_conf_opts_init(&opts, p);
    opts.server_root = "/nonexistent-oa-fuzz";
    if (oa_conf_read_string(&conf, &err, p, &opts, "fuzz.conf", text) == APR_SUCCESS) {
        oa_model_t *m;
        oa_model_build(&m, p, conf);
        oa_report_vhosts_json(p, m, sink, &out, "fuzz");
    }
    apr_pool_destroy(p);
    return 0;
}
