/*
 * OA4xx: stapling settings that work but hurt; OA5xx: who staples (mod_md).
 * Defaults from modssl_init_stapling: responder timeout 10 s, response time skew
 * 300 s, no maximum age, cache 3600 s, error cache 600 s, responder errors returned
 * to clients and tryLater faked when the responder cannot be reached.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "oa_rules.h"

static int on_or_default(const oa_setting_t *s)
{
    return !s || oa_flag_on(s);
}

/*
 * OA401 and OA402. What mod_ssl does while the responder fails (stapling_renew_response,
 * stapling_cb): with SSLStaplingFakeTryLater on it makes up a tryLater response and
 * caches it as if it were good, for SSLStaplingStandardCacheTimeout (an hour by
 * default), and staples it, whatever SSLStaplingReturnResponderErrors says. With
 * either turned off, nothing is cached and every handshake that asks for a staple
 * queries the responder again and waits up to SSLStaplingResponderTimeout. Neither
 * setting is safe; mod_md's stapling (MDStapling on) fetches in the background and
 * keeps the last good response. Explicit values are reported where they are written,
 * the defaults once per server.
 */
void oa_rule_responder_errors_to_clients(oa_audit_t *a, const oa_rule_t *r)
{
    int i, defaults = 0;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *s = oa_vhost_get(an->vh, "SSLStaplingReturnResponderErrors");
        int on = on_or_default(s);
        if (!an->stapling_on || an->md_staples || (!s && defaults++)) {
            continue;
        }
        oa_audit_report(a, r, s ? OA_SEV_WARNING : OA_SEV_NOTE, an->vh,
                        s ? s->node : oa_vhost_get(an->vh, "SSLUseStapling")->node,
                        "consider mod_md's stapling (MDStapling on, also for certificates "
                        "mod_md does not manage): it fetches in the background and keeps the "
                        "last good response",
                        on ? "SSLStaplingReturnResponderErrors is on%s: error responses (a "
                             "tryLater or an unauthorized from the responder, a response that "
                             "does not fit) are stapled, and Must-Staple clients refuse them"
                           : "SSLStaplingReturnResponderErrors is off%s: while the responder "
                             "returns errors, every handshake that asks for a staple queries it "
                             "again and waits up to SSLStaplingResponderTimeout",
                        s ? "" : " (the default, for every vhost that staples)");
    }
}

void oa_rule_fake_trylater(oa_audit_t *a, const oa_rule_t *r)
{
    int i, defaults = 0;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *s = oa_vhost_get(an->vh, "SSLStaplingFakeTryLater");
        const oa_setting_t *std = oa_vhost_get(an->vh, "SSLStaplingStandardCacheTimeout");
        int on = on_or_default(s);
        if (!an->stapling_on || an->md_staples || (!s && defaults++)) {
            continue;
        }
        oa_audit_report(a, r, s ? OA_SEV_WARNING : OA_SEV_NOTE, an->vh,
                        s ? s->node : oa_vhost_get(an->vh, "SSLUseStapling")->node,
                        "consider mod_md's stapling (MDStapling on): it fetches in the "
                        "background and keeps the last good response",
                        on ? "SSLStaplingFakeTryLater is on%s: when the responder cannot be "
                             "reached (DNS, firewall, outage), mod_ssl staples a made-up tryLater "
                             "and keeps it as if it were good for %s seconds "
                             "(SSLStaplingStandardCacheTimeout), even once the responder is back"
                           : "SSLStaplingFakeTryLater is off%s: when the responder cannot be "
                             "reached, every handshake that asks for a staple tries it again "
                             "and waits up to SSLStaplingResponderTimeout",
                        s ? "" : " (the default, for every vhost that staples)",
                        std && std->argv->nelts ? APR_ARRAY_IDX(std->argv, 0, const char *)
                                                : "3600");
    }
}

/* OA403: mod_ssl reads the timeout with atoi, and waits that long inside handshakes. */
void oa_rule_responder_timeout(oa_audit_t *a, const oa_rule_t *r)
{
    int i;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *s = oa_vhost_get(an->vh, "SSLStaplingResponderTimeout");
        const char *v;
        char *end;
        long strict;
        int lax;
        if (!s || !an->stapling_on || an->md_staples || !s->argv->nelts) {
            continue;
        }
        v = APR_ARRAY_IDX(s->argv, 0, const char *);
        lax = atoi(v);
        strict = strtol(v, &end, 10);
        if (lax < 0) {
            continue;   /* httpd refuses it: OA105 */
        }
        if (*end || end == v) {
            oa_audit_report(a, r, lax <= 0 ? OA_SEV_ERROR : OA_SEV_WARNING, an->vh, s->node,
                            "write the timeout as a whole number of seconds, e.g. 5",
                            "SSLStaplingResponderTimeout '%s' is read by httpd as %d second(s) "
                            "(atoi)%s", v, lax, lax <= 0 ? ": the responder is never waited "
                            "for, so stapling fails" : "");
        }
        else if (strict <= 0) {
            oa_audit_report(a, r, OA_SEV_ERROR, an->vh, s->node, "set it to a few seconds, e.g. 5",
                            "SSLStaplingResponderTimeout %ld: the responder is never waited for, "
                            "so stapling fails", strict);
        }
        else if (strict > 10) {
            oa_audit_report(a, r, OA_SEV_WARNING, an->vh, s->node, "keep it at 10 seconds or less",
                            "SSLStaplingResponderTimeout %ld: when the responder hangs, TLS "
                            "handshakes that need a fresh staple wait up to %ld seconds", strict,
                            strict);
        }
    }
}

/* OA404: cache lifetimes and response age limits that serve stale staples or refetch. */
void oa_rule_stapling_cache_timeouts(oa_audit_t *a, const oa_rule_t *r)
{
    int i;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *std = oa_vhost_get(an->vh, "SSLStaplingStandardCacheTimeout");
        const oa_setting_t *err = oa_vhost_get(an->vh, "SSLStaplingErrorCacheTimeout");
        const oa_setting_t *age = oa_vhost_get(an->vh, "SSLStaplingResponseMaxAge");
        const oa_setting_t *skew = oa_vhost_get(an->vh, "SSLStaplingResponseTimeSkew");
        if (!an->stapling_on || an->md_staples) {
            continue;
        }
        if (std && std->argv->nelts) {
            int v = atoi(APR_ARRAY_IDX(std->argv, 0, const char *));
            if (v >= 0 && v < 60) {
                oa_audit_report(a, r, OA_SEV_WARNING, an->vh, std->node, "keep the default, 3600",
                                "SSLStaplingStandardCacheTimeout %d: good responses are refetched "
                                "every %d second(s), loading the responder and slowing handshakes",
                                v, v);
            }
        }
        if (err && err->argv->nelts) {
            int v = atoi(APR_ARRAY_IDX(err->argv, 0, const char *));
            if (v > 3600) {   /* negative values are OA105's */
                oa_audit_report(a, r, OA_SEV_WARNING, an->vh, err->node, "keep the default, 600",
                                "SSLStaplingErrorCacheTimeout %d: after one failed fetch, no good "
                                "staple is sent for %d minutes even when the responder is back",
                                v, v / 60);
            }
        }
        if (age && age->argv->nelts) {
            int v = atoi(APR_ARRAY_IDX(age->argv, 0, const char *));
            if (v >= 0 && v < 3600) {
                oa_audit_report(a, r, OA_SEV_WARNING, an->vh, age->node,
                                "leave SSLStaplingResponseMaxAge unset, or at least a day (86400)",
                                "SSLStaplingResponseMaxAge %d: responses older than that are "
                                "refused, but CAs produce them hours in advance: stapling breaks",
                                v);
            }
        }
        if (skew && skew->argv->nelts) {
            int v = atoi(APR_ARRAY_IDX(skew->argv, 0, const char *));
            if (v > 3600) {
                oa_audit_report(a, r, OA_SEV_WARNING, an->vh, skew->node, "keep the default, 300",
                                "SSLStaplingResponseTimeSkew %d: responses up to %d minutes past "
                                "their nextUpdate are still stapled (stale status)", v, v / 60);
            }
            else if (v >= 0 && v < 60) {
                oa_audit_report(a, r, OA_SEV_WARNING, an->vh, skew->node, "keep the default, 300, "
                                "and keep the clock synchronised (NTP)",
                                "SSLStaplingResponseTimeSkew %d: a clock a little off makes "
                                "fresh responses look not yet valid, and they are refused", v);
            }
        }
    }
}

/* OA405: where it is written; a main-server one that vhosts inherit, once */
void oa_rule_deprecated_chain_file(oa_audit_t *a, const oa_rule_t *r)
{
    int i, inherited_reported = 0;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *c = oa_vhost_get(an->vh, "SSLCertificateChainFile");
        if (!c || (c->inherited && inherited_reported++)) {
            continue;
        }
        oa_audit_report(a, r, OA_SEV_NOTE, c->inherited ? NULL : an->vh, c->node,
                        "append the chain to the file of SSLCertificateFile (leaf first) and "
                        "remove SSLCertificateChainFile",
                        "SSLCertificateChainFile is deprecated since httpd 2.4.8; a renewal that "
                        "updates only the certificate file leaves a stale chain behind");
    }
}

/* OA501: mod_md staples the domain: mod_ssl's stapling settings do not apply to it. */
void oa_rule_md_stapling_owner(oa_audit_t *a, const oa_rule_t *r)
{
    static const char *const ssl_settings[] = {
        "SSLUseStapling", "SSLStaplingForceURL", "SSLStaplingResponderTimeout",
        "SSLStaplingReturnResponderErrors", "SSLStaplingFakeTryLater", NULL
    };
    int i, k;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *s = NULL;
        if (!an->md_staples) {
            continue;
        }
        for (k = 0; ssl_settings[k] && !s; k++) {
            s = oa_vhost_get(an->vh, ssl_settings[k]);
        }
        {
            const oa_setting_t *on = an->vh->md ? an->vh->md->stapling
                                                : oa_model_global(a->model, "MDStapling");
            oa_audit_report(a, r, OA_SEV_NOTE, an->vh, s ? s->node : on->node,
                            "configure stapling for this certificate with mod_md's MDStapling* "
                            "directives",
                            "mod_md staples %s (MDStapling on, %s:%d%s)%s",
                            oa_vhost_label(a->pool, an->vh), on->node->file, on->node->line,
                            an->vh->md ? "" : ", and MDStapleOthers is on: mod_md staples "
                            "certificates it does not manage too",
                            s ? apr_psprintf(a->pool, ": %s and the other SSLStapling* settings "
                                             "do not apply to it", s->directive) : "");
        }
    }
}
