/*
 * Live probes: a TLS handshake with each SSL vhost as a client makes it, and a polite
 * check of the OCSP responder of each stapled certificate. They run in one child (a
 * mod_watchdog singleton), in persistent threads of their own, and write the status
 * records in shared memory (ocsp_audit_shm.h).
 */
#ifndef OCSP_AUDIT_PROBE_H
#define OCSP_AUDIT_PROBE_H

#include <httpd.h>

#include "oa_audit.h"

typedef struct {
    int enabled;                           /* OcspAuditProbe */
    apr_interval_time_t interval;          /* OcspAuditProbeInterval */
    apr_interval_time_t timeout;           /* OcspAuditProbeTimeout */
    int concurrency;                       /* OcspAuditProbeConcurrency */
    apr_interval_time_t responder_interval; /* OcspAuditResponderInterval */
    int crl;                               /* OcspAuditCRL */
} ocsp_audit_probe_conf_t;

/** How often a failing responder is asked again, at the most (mod_ssl's default
 *  SSLStaplingErrorCacheTimeout). */
#define OCSP_AUDIT_RETRY_DOWN apr_time_from_sec(600)

/**
 * post_config (parent), after an audit at start or restart: the status records for
 * the SSL vhosts and, with probing on, the probe targets and the watchdog callback.
 * Never fails the start: without shared memory or mod_watchdog there is no live status,
 * and that is logged (OA00025).
 */
void ocsp_audit_probe_init(apr_pool_t *pconf, server_rec *s, const oa_audit_t *audit,
                           const ocsp_audit_probe_conf_t *pc);

/**
 * child_init, before mod_watchdog's: the child's prober, and the cleanup that stops
 * and joins its threads before the child's pools and OpenSSL go away.
 */
void ocsp_audit_probe_child_init(apr_pool_t *pchild, server_rec *s);

#endif
