/* The rule table: stable IDs (never reused), slugs, severities. docs/rules/ID.md each. */
#include "oa_rules.h"

#define RULE(id, slug, sev, summary, fn) \
    static const oa_rule_t rule_##fn = { id, slug, sev, summary, oa_rule_##fn };

RULE("OA101", "stapling-without-cache", OA_SEV_ERROR,
     "SSLUseStapling on without SSLStaplingCache: httpd refuses to start", stapling_without_cache)
RULE("OA102", "stapling-cache-in-vhost", OA_SEV_ERROR,
     "SSLStaplingCache inside <VirtualHost>: httpd refuses to start", stapling_cache_in_vhost)
RULE("OA103", "stapling-cache-provider", OA_SEV_ERROR,
     "SSLStaplingCache provider not loaded or its argument invalid", stapling_cache_provider)
RULE("OA104", "stapling-off", OA_SEV_WARNING,
     "SSL vhost without stapling whose certificate names an OCSP responder", stapling_off)
RULE("OA105", "invalid-stapling-argument", OA_SEV_ERROR,
     "a stapling directive with arguments mod_ssl refuses", invalid_stapling_argument)
RULE("OA201", "issuer-not-found", OA_SEV_ERROR,
     "the issuer of the certificate is nowhere mod_ssl looks (AH02217)", issuer_not_found)
RULE("OA202", "chain-order", OA_SEV_WARNING,
     "the chain does not chain: order, stale or unrelated intermediates", chain_order)
RULE("OA203", "no-ocsp-url", OA_SEV_WARNING,
     "stapling on for a certificate without OCSP responder URL (AH02218)", no_ocsp_url)
RULE("OA204", "unusable-responder-url", OA_SEV_ERROR,
     "an OCSP responder URL mod_ssl cannot query: stapled handshakes fail", unusable_responder_url)
RULE("OA205", "must-staple-not-stapled", OA_SEV_ERROR,
     "a Must-Staple certificate on a vhost that will not staple", must_staple_not_stapled)
RULE("OA208", "no-revocation-info", OA_SEV_WARNING,
     "a certificate with neither an OCSP URL nor a CRL distribution point", no_revocation_info)
RULE("OA209", "must-staple-without-ocsp-url", OA_SEV_ERROR,
     "a Must-Staple certificate without an OCSP URL: every Firefox connection fails",
     must_staple_without_ocsp_url)
RULE("OA301", "certificate-expired", OA_SEV_ERROR,
     "a certificate sent to clients has expired", certificate_expired)
RULE("OA302", "certificate-not-yet-valid", OA_SEV_ERROR,
     "a certificate sent to clients is not valid yet", certificate_not_yet_valid)
RULE("OA303", "certificate-expiring", OA_SEV_WARNING,
     "a certificate sent to clients expires soon", certificate_expiring)
RULE("OA304", "key-mismatch", OA_SEV_ERROR,
     "the private key does not match the certificate, or there is none", key_mismatch)
RULE("OA305", "certificate-unreadable", OA_SEV_ERROR,
     "a certificate, key or chain file is missing, unreadable or not PEM", certificate_unreadable)
RULE("OA401", "responder-errors-to-clients", OA_SEV_NOTE,
     "responder errors are stapled to clients (SSLStaplingReturnResponderErrors)",
     responder_errors_to_clients)
RULE("OA402", "fake-trylater", OA_SEV_NOTE,
     "unreachable responders produce stapled tryLater responses (SSLStaplingFakeTryLater)",
     fake_trylater)
RULE("OA403", "responder-timeout", OA_SEV_WARNING,
     "SSLStaplingResponderTimeout that blocks handshakes or that httpd reads as 0",
     responder_timeout)
RULE("OA404", "stapling-cache-timeouts", OA_SEV_WARNING,
     "cache lifetimes and response age limits that serve stale staples or refetch needlessly",
     stapling_cache_timeouts)
RULE("OA405", "deprecated-chain-file", OA_SEV_NOTE,
     "SSLCertificateChainFile is deprecated", deprecated_chain_file)
RULE("OA501", "md-stapling-owner", OA_SEV_NOTE,
     "mod_md staples the domain; mod_ssl's stapling settings do not apply", md_stapling_owner)

static const oa_rule_t *const rules[] = {
    &rule_stapling_without_cache, &rule_stapling_cache_in_vhost, &rule_stapling_cache_provider,
    &rule_stapling_off, &rule_invalid_stapling_argument,
    &rule_issuer_not_found, &rule_chain_order, &rule_no_ocsp_url, &rule_unusable_responder_url,
    &rule_must_staple_not_stapled,
    &rule_no_revocation_info, &rule_must_staple_without_ocsp_url,
    &rule_certificate_expired, &rule_certificate_not_yet_valid, &rule_certificate_expiring,
    &rule_key_mismatch, &rule_certificate_unreadable,
    &rule_responder_errors_to_clients, &rule_fake_trylater, &rule_responder_timeout,
    &rule_stapling_cache_timeouts, &rule_deprecated_chain_file,
    &rule_md_stapling_owner,
    NULL
};

const oa_rule_t *const *oa_rules(void)
{
    return rules;
}
