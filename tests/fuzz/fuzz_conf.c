/* libFuzzer target: the configuration reader, the vhost model and the JSON report.
 * Include, IncludeOptional, IfFile and ServerRoot are fuzzed too: they only see the
 * confined directory of fuzz_common.h. */
#include "fuzz_common.h"

#include "oa_conf.h"
#include "oa_report.h"
#include "oa_vhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    oa_conf_t *conf;
    oa_diag_t *err;
    apr_size_t out = 0;

    if (size > 1024 * 1024) {
        return 0;
    }
    fuzz_init();              /* APR, and the confined directory */
    apr_pool_create(&p, NULL);
    if (fuzz_read_conf(&conf, &err, p, data, size) == APR_SUCCESS) {
        oa_model_t *m;
        oa_model_build(&m, p, conf);
        oa_report_vhosts_json(p, m, fuzz_sink, &out, "fuzz");
        oa_report_vhosts_text(p, m, fuzz_sink, &out);
    }
    else {
        oa_report_diag_text(p, err, fuzz_sink, &out);
    }
    apr_pool_destroy(p);
    return 0;
}
