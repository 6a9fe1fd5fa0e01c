/*
 * Live stapling status: probes in mod_watchdog's singleton thread, results in shared
 * memory, the ocsp-audit-status handler and a section in mod_status's page.
 */
#ifndef OCSP_AUDIT_STATUS_H
#define OCSP_AUDIT_STATUS_H

#include <httpd.h>

#include "oa_audit.h"

typedef struct {
    int enabled;                       /* OcspAuditProbe */
    apr_interval_time_t interval;      /* OcspAuditProbeInterval */
    apr_interval_time_t timeout;       /* OcspAuditProbeTimeout */
    int concurrency;                   /* OcspAuditProbeConcurrency */
} ocsp_audit_probe_conf_t;

/**
 * After an audit at start or restart (post_config, parent): size the shared records
 * from the SSL vhosts, carry over what the previous generation knew of the vhosts that
 * still exist, and start the probes. Returns OK or an HTTP error status.
 */
int ocsp_audit_status_init(apr_pool_t *pconf, server_rec *s, const oa_audit_t *audit,
                           const ocsp_audit_probe_conf_t *pc);

/** The handler for SetHandler ocsp-audit-status. */
int ocsp_audit_status_handler(request_rec *r);

/** mod_status's status_hook: a section in server-status and its ?auto. */
int ocsp_audit_status_hook(request_rec *r, int flags);

#endif
