/*
 * httpd's parsed configuration (ap_conftree, the loaded modules, the defines) as
 * core's oa_conf_t, so that the linter's rule engine runs on what httpd loaded.
 */
#ifndef OCSP_AUDIT_CONFTREE_H
#define OCSP_AUDIT_CONFTREE_H

#include <httpd.h>

#include "oa_conf.h"

/** The configuration httpd just read, in core's model. */
oa_conf_t *ocsp_audit_conf_from_httpd(apr_pool_t *p, server_rec *s);

#endif
