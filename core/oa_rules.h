/*
 * The rules' check functions (internal to core/): one file per family.
 */
#ifndef OA_RULES_H
#define OA_RULES_H

#include "oa_audit.h"

/* oa_rules_server.c */
void oa_rule_stapling_without_cache(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_stapling_cache_in_vhost(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_stapling_cache_provider(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_stapling_off(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_invalid_stapling_argument(oa_audit_t *a, const oa_rule_t *r);
/* oa_rules_chain.c */
void oa_rule_issuer_not_found(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_chain_order(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_no_ocsp_url(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_unusable_responder_url(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_must_staple_not_stapled(oa_audit_t *a, const oa_rule_t *r);
/* oa_rules_cert.c */
void oa_rule_certificate_expired(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_certificate_not_yet_valid(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_certificate_expiring(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_key_mismatch(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_certificate_unreadable(oa_audit_t *a, const oa_rule_t *r);
/* oa_rules_settings.c */
void oa_rule_responder_errors_to_clients(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_fake_trylater(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_responder_timeout(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_stapling_cache_timeouts(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_deprecated_chain_file(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_md_stapling_owner(oa_audit_t *a, const oa_rule_t *r);
/* oa_rules_revocation.c */
void oa_rule_no_revocation_info(oa_audit_t *a, const oa_rule_t *r);
void oa_rule_must_staple_without_ocsp_url(oa_audit_t *a, const oa_rule_t *r);

/* the analysis of a vhost's i-th certificate */
#define OA_CERT(an, i) APR_ARRAY_IDX((an)->certs, (i), const oa_certinfo_t *)
#define OA_ANALYSIS(a, i) APR_ARRAY_IDX((a)->analyses, (i), const oa_analysis_t *)

#endif /* OA_RULES_H */
