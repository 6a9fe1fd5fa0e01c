/*
 * mod_ocsp_audit: audits OCSP stapling of the configuration httpd loaded, with the
 * rule engine ocsp-lint uses (core/). This file is httpd glue only.
 */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_release.h>

#include "oa_conf.h"

module AP_MODULE_DECLARE_DATA ocsp_audit_module;

/* post_config: runs after every (re)read of the configuration, in the parent. */
static int ocsp_audit_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "OA00001: mod_ocsp_audit %s loaded", OA_VERSION);
    return OK;
}

static void ocsp_audit_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(ocsp_audit_post_config, NULL, NULL, APR_HOOK_LAST);
}

AP_DECLARE_MODULE(ocsp_audit) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config creator */
    NULL,                       /* dir config merger */
    NULL,                       /* server config creator */
    NULL,                       /* server config merger */
    NULL,                       /* command table */
    ocsp_audit_register_hooks,  /* set up other request processing hooks */
#if defined(AP_MODULE_FLAG_NONE)
    AP_MODULE_FLAG_NONE         /* flags */
#endif
};
