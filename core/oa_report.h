/**
 * @file oa_report.h
 * @brief Output of the vhost inventory and of diagnostics: text and JSON.
 */
#ifndef OA_REPORT_H
#define OA_REPORT_H

#include "oa_json.h"
#include "oa_vhost.h"

/** Human-readable inventory: one block per vhost with its effective settings. */
void oa_report_vhosts_text(apr_pool_t *p, const oa_model_t *m, oa_out_fn *out, void *ctx);

/** The inventory as JSON (docs/json-output.md). */
void oa_report_vhosts_json(apr_pool_t *p, const oa_model_t *m, oa_out_fn *out, void *ctx,
                           const char *version);

/** Write one vhost's identity and settings as members of the open JSON object (the
 *  inventory's vhost: settings with their provenance). */
void oa_report_vhost_members(oa_json_t *j, const oa_vhost_t *vh);

/** The same without the settings (the audit's vhost: name, addresses, place, ssl, md). */
void oa_report_vhost_summary(oa_json_t *j, const oa_vhost_t *vh);

/** gcc-style "file:line: severity: message" (+ hint line). */
void oa_report_diag_text(apr_pool_t *p, const oa_diag_t *d, oa_out_fn *out, void *ctx);

/** A diagnostic as a JSON object (inside an array). */
void oa_report_diag_json(oa_json_t *j, const oa_diag_t *d);

#endif /* OA_REPORT_H */
