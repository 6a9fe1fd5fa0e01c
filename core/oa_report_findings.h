/**
 * @file oa_report_findings.h
 * @brief The audit's findings and predictions: text (gcc style), JSON and SARIF 2.1.0.
 */
#ifndef OA_REPORT_FINDINGS_H
#define OA_REPORT_FINDINGS_H

#include "oa_audit.h"
#include "oa_json.h"

typedef struct oa_report_opts_t {
    const char *tool_version;
    const char *docs_uri;     /**< base URI of the rule pages (".../rules/"), for SARIF helpUri */
    void (*extra)(oa_json_t *j, void *ctx); /**< more members for the JSON object, or NULL */
    void *extra_ctx;
} oa_report_opts_t;

/** file:line: severity: message [OA101 slug] + hint lines; parse diagnostics first. */
void oa_report_findings_text(apr_pool_t *p, const oa_audit_t *a, oa_out_fn *out, void *ctx);

/** One line per SSL vhost: its predicted stapling and why. */
void oa_report_predictions_text(apr_pool_t *p, const oa_audit_t *a, oa_out_fn *out, void *ctx);

/** The whole audit as JSON (docs/json-output.md). */
void oa_report_findings_json(apr_pool_t *p, const oa_audit_t *a, const oa_report_opts_t *o,
                             oa_out_fn *out, void *ctx);

/**
 * The audit's JSON shape for a config httpd refuses to read: startup "fails", the reason
 * as "file:line: message", the error itself, no findings and no vhosts.
 */
void oa_report_parse_error_json(apr_pool_t *p, const oa_conf_t *conf, const oa_diag_t *err,
                                const oa_report_opts_t *o, oa_out_fn *out, void *ctx);

/** The whole audit as SARIF 2.1.0. */
void oa_report_findings_sarif(apr_pool_t *p, const oa_audit_t *a, const oa_report_opts_t *o,
                              oa_out_fn *out, void *ctx);

/** One finding's members (inside an open JSON object). */
void oa_report_finding_members(oa_json_t *j, const oa_finding_t *f);

#endif
