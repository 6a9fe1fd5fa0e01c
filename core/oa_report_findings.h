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
    const char *srcroot;      /**< absolute directory SARIF URIs and fingerprints are relative
                                   to (SARIF's SRCROOT); NULL: absolute file: URIs */
    const apr_array_header_t *extra_rules;    /**< const oa_rule_t *: more SARIF rules
                                                   (--online), after the rule table's */
    const apr_array_header_t *extra_findings; /**< oa_finding_t * of those rules (SARIF) */
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

/** The whole audit as SARIF 2.1.0. */
void oa_report_findings_sarif(apr_pool_t *p, const oa_audit_t *a, const oa_report_opts_t *o,
                              oa_out_fn *out, void *ctx);

/**
 * A stable fingerprint of each finding (hex SHA-256, in the order of findings): the rule,
 * the file one edits (symlinks resolved, relative to srcroot), the vhost, the directive and
 * the message with its numbers left out, and which occurrence of that it is. Moving a
 * vhost within its file, renewing a certificate or checking out elsewhere keeps it.
 * Each finding keeps its fingerprint (f->fingerprint): computed once, the same in every
 * output even after findings are filtered.
 * @return const char * per finding
 */
apr_array_header_t *oa_report_fingerprints(apr_pool_t *p, const apr_array_header_t *findings,
                                           const char *srcroot);

/** The file one edits for path: symlinks resolved (sites-enabled -> sites-available). */
const char *oa_report_edited_file(apr_pool_t *p, const char *path);

/** path relative to srcroot when below it, else NULL. */
const char *oa_report_relative(apr_pool_t *p, const char *srcroot, const char *path);

/**
 * The document a format gives when the configuration could not be read (exit 2) or
 * parsed (exit 3): the error, and no findings. JSON: docs/json-output.md; SARIF: a run
 * whose invocation failed, with the error as a toolExecutionNotification.
 */
void oa_report_error_json(apr_pool_t *p, const oa_report_opts_t *o, const char *config,
                          const char *server_root, const char *kind, const oa_diag_t *err,
                          oa_out_fn *out, void *ctx);
void oa_report_error_sarif(apr_pool_t *p, const oa_report_opts_t *o, const char *kind,
                           const oa_diag_t *err, oa_out_fn *out, void *ctx);

/**
 * GitLab's Code Quality report: a JSON array of {description, check_name, fingerprint,
 * severity, location {path, lines {begin}}}, paths relative to o->srcroot.
 */
void oa_report_findings_gitlab(apr_pool_t *p, const apr_array_header_t *findings,
                               const oa_report_opts_t *o, oa_out_fn *out, void *ctx);

/** One skipped check's members (inside an open JSON object). */
void oa_report_skip_members(oa_json_t *j, const oa_skip_t *sk);

/** One finding's members (inside an open JSON object). */
void oa_report_finding_members(oa_json_t *j, const oa_finding_t *f);

#endif
