/**
 * @file oa_report_verdicts.h
 * @brief The linter's verdict of each SSL vhost (core/oa_verdict.h) in the text and SARIF
 *        outputs, in the words JSON, the probe and the status page use.
 */
#ifndef OA_REPORT_VERDICTS_H
#define OA_REPORT_VERDICTS_H

#include <apr_pools.h>

#include "oa_audit.h"
#include "oa_json.h"
#include "oa_verdict.h"

/** "    verdict: LEVEL, STATE: REASON\n" and "    fix: FIX\n" (when there is one): the
 *  lines `ocsp-lint -v` and `ocsp-lint probe` print; "LEVEL, STATE" between on and off
 *  (a terminal's colour, or ""). */
void oa_report_verdict_text(apr_pool_t *p, const oa_verdict_t *v, const char *on,
                            const char *off, oa_out_fn *out, void *ctx);

/** "vhosts": [{name, file, line, level, state, reason, fix, revocation}, ...] into an
 *  object already open (SARIF: the run's property bag). */
void oa_report_verdicts_members(oa_json_t *j, apr_pool_t *p, const oa_audit_t *a);

#endif /* OA_REPORT_VERDICTS_H */
