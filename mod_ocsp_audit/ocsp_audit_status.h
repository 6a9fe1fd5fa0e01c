/*
 * The live status page: the ocsp-audit-status handler and a section in mod_status's
 * page, both rendering the shared records (ocsp_audit_shm.h).
 */
#ifndef OCSP_AUDIT_STATUS_H
#define OCSP_AUDIT_STATUS_H

#include <httpd.h>

/** Where the rule pages are (OcspAuditDocsURL), for links on the page. */
const char *ocsp_audit_docs_url(server_rec *s);

/** The handler for SetHandler ocsp-audit-status. */
int ocsp_audit_status_handler(request_rec *r);

/** mod_status's status_hook: a section in server-status and its ?auto. */
int ocsp_audit_status_hook(request_rec *r, int flags);

#endif
