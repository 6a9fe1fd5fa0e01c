/* libFuzzer target: every rule over a parsed configuration (parse, oa_model_build,
 * oa_audit_run) and the findings in every format. Files the input names (includes,
 * certificates, keys, CA paths) resolve inside the confined directory only. */
#include "fuzz_common.h"

#include "oa_audit.h"
#include "oa_conf.h"
#include "oa_pki.h"
#include "oa_report.h"
#include "oa_report_findings.h"
#include "oa_vhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    oa_conf_t *conf;
    oa_diag_t *err;
    apr_size_t out = 0;

    if (size > 256 * 1024) {
        return 0;
    }
    fuzz_init();              /* APR, and the confined directory */
    apr_pool_create(&p, NULL);
    if (fuzz_read_conf(&conf, &err, p, data, size) == APR_SUCCESS) {
        oa_model_t *m;
        oa_audit_t *a;
        oa_audit_opts_t ao;
        oa_report_opts_t ro;
        oa_pki_t *pki = oa_pki_make(p);
        const oa_node_t *at = NULL;
        memset(&ao, 0, sizeof(ao));
        memset(&ro, 0, sizeof(ro));
        ao.now = APR_TIME_C(1800000000) * APR_USEC_PER_SEC;  /* reproducible */
        ro.tool_version = "fuzz";
        ro.docs_uri = "https://example.invalid/rules/";
        oa_pki_confine(pki, fuzz_init());
        oa_model_build(&m, p, conf);
        if (!oa_audit_opts_from_conf(p, &ao, conf, &at)) {
            oa_audit_run(&a, p, m, pki, &ao);
            oa_report_findings_text(p, a, fuzz_sink, &out);
            oa_report_predictions_text(p, a, fuzz_sink, &out);
            oa_report_findings_json(p, a, &ro, fuzz_sink, &out);
            oa_report_findings_sarif(p, a, &ro, fuzz_sink, &out);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
