/* libFuzzer target: Debian's envvars (shell assignments, never executed) and the
 * variables it gives a configuration's ${VAR}. */
#include "fuzz_common.h"

#include "oa_conf.h"
#include "oa_envvars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *jail = fuzz_init();
    apr_pool_t *p;
    apr_table_t *vars;
    oa_conf_opts_t opts;
    oa_conf_t *conf;
    oa_diag_t *err;

    if (size > 256 * 1024) {
        return 0;
    }
    apr_pool_create(&p, NULL);
    vars = apr_table_make(p, 8);
    oa_envvars_parse(vars, p, apr_pstrmemdup(p, (const char *)data, size));
    oa_conf_opts_init(&opts, p);
    opts.server_root = jail;
    opts.confine = jail;
    opts.env = vars;
    (void)oa_conf_read_string(&conf, &err, p, &opts, "fuzz.conf",
                              "ServerName ${APACHE_SERVER_NAME}\n"
                              "ErrorLog ${APACHE_LOG_DIR}/error.log\n"
                              "IncludeOptional ${APACHE_CONFDIR}/*.conf\n"
                              "<IfDefine ${APACHE_DEFINE}>\nServerAdmin x\n</IfDefine>\n");
    apr_pool_destroy(p);
    return 0;
}
