/*
 * The verdict: the first check in the table below that applies decides the state, the
 * reason and the fix; configuration findings then raise the level (an error finding
 * makes any vhost red, a warning makes a green one yellow).
 */
#include <string.h>

#include <apr_strings.h>

#include "oa_audit.h"
#include "oa_pki.h"
#include "oa_probe.h"
#include "oa_verdict.h"

#define HOUR apr_time_from_sec(3600)

const char *oa_level_name(oa_level_e level)
{
    static const char *const names[] = { "good", "warning", "error" };
    return (level >= OA_LEVEL_GOOD && level <= OA_LEVEL_ERROR) ? names[level] : "error";
}

const char *oa_state_name(oa_state_e state)
{
    static const char *const names[] = {
        "stapled", "off", "no-ocsp-url", "self-signed", "at-risk", "no-staple", "bad-staple",
        "revoked", "broken", "fatal", "must-staple-missing", "unreachable", "name-mismatch",
        "pending", "unknown"
    };
    return (state >= OA_STATE_STAPLED && state <= OA_STATE_UNKNOWN) ? names[state] : "unknown";
}

const char *oa_revocation_name(oa_revocation_e r)
{
    static const char *const names[] = {
        "unknown", "staple", "ocsp", "crl", "crl-fresh", "crl-stale", "crl-unreachable",
        "crl-invalid", "revoked", "none"
    };
    return (r >= OA_REVOCATION_UNKNOWN && r <= OA_REVOCATION_NONE) ? names[r] : "unknown";
}

oa_revocation_e oa_revocation_of_crl(oa_crl_verdict_e v)
{
    switch (v) {
    case OA_CRL_OK:
        return OA_REVOCATION_CRL_FRESH;
    case OA_CRL_NONE:
    case OA_CRL_NO_ISSUER:        /* not the CRL's fault: nothing known of it */
    case OA_CRL_CANCELLED:
        return OA_REVOCATION_UNKNOWN;
    case OA_CRL_STALE:
    case OA_CRL_FUTURE:
        return OA_REVOCATION_CRL_STALE;
    case OA_CRL_REVOKED:
        return OA_REVOCATION_REVOKED;
    case OA_CRL_URL:
    case OA_CRL_MALFORMED:
    case OA_CRL_BAD_SIGNATURE:
        return OA_REVOCATION_CRL_INVALID;
    default:                      /* the network's classes, http, too-large */
        return OA_REVOCATION_CRL_UNREACHABLE;
    }
}

const char *oa_name_match_name(oa_name_match_e m)
{
    static const char *const names[] = {
        "not-checked", "covered", "not-covered", "default-vhost", "other-vhost"
    };
    return (m >= OA_NAME_NOT_CHECKED && m <= OA_NAME_OTHER_VHOST) ? names[m] : "not-checked";
}

oa_predict_e oa_predict_from_name(const char *name)
{
    static const struct {
        const char *name;
        oa_predict_e value;
    } rows[] = {
        { "active", OA_PREDICT_ACTIVE }, { "off", OA_PREDICT_OFF },
        { "broken", OA_PREDICT_BROKEN }, { "fatal", OA_PREDICT_FATAL },
        { "unknown", OA_PREDICT_UNKNOWN },
    };
    apr_size_t i;
    for (i = 0; name && i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (!strcmp(name, rows[i].name)) {
            return rows[i].value;
        }
    }
    return OA_PREDICT_NONE;
}

static int has(const char *s)
{
    return s && *s;
}

static void set(oa_verdict_t *v, oa_level_e level, oa_state_e state, const char *reason,
                const char *fix)
{
    v->level = level;
    v->state = state;
    v->reason = reason;
    v->fix = fix;
}

/* a staple clients get and accept */
static int staple_good(const oa_verdict_facts_t *f)
{
    return has(f->staple) && !strcmp(f->staple, "good") && f->staple_verified;
}

/* ------------------------------------------------------------------ the checks */

typedef int (*check_fn)(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f);

static int unreachable(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    if (!f->probed || !(has(f->probe_error) || f->not_tls)) {
        return 0;
    }
    if (f->not_tls) {
        set(v, OA_LEVEL_ERROR, OA_STATE_UNREACHABLE, "this port speaks HTTP, not TLS",
            "probe the HTTPS port, or put SSLEngine on in this vhost");
        return 1;
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_UNREACHABLE,
        apr_psprintf(p, "no TLS handshake: %s", f->probe_error),
        "check that httpd listens on this address and port, that the name resolves here, "
        "and that the vhost's certificate and key load");
    return 1;
}

static int fatal(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    (void)p;
    if (f->status_request_kills) {
        set(v, OA_LEVEL_ERROR, OA_STATE_FATAL, "asking for a staple is what kills the "
            "handshake: every client that asks, as browsers do, fails; without "
            "status_request the handshake succeeds",
            "set SSLStaplingForceURL to the responder's plain http:// URL, or turn stapling "
            "off for this certificate");
        return 1;
    }
    if (f->predicted != OA_PREDICT_FATAL) {
        return 0;
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_FATAL, has(f->predict_reason) ? f->predict_reason
        : "every TLS handshake that asks for a staple, as browsers do, fails",
        "set SSLStaplingForceURL to the responder's plain http:// URL, or turn stapling off "
        "for this certificate");
    return 1;
}

/* a certificate that does not cover the name asked for: every client refuses it, whatever
 * its staple says, so this comes before the staple's checks */
static int name_mismatch(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    const char *names = has(f->served_names) ? f->served_names : "no DNS name";
    const char *who = "", *fix = "serve a certificate that covers the name in the vhost "
                                 "that answers to it";
    if (f->name_match < OA_NAME_NOT_COVERED || !has(f->sni)) {
        return 0;
    }
    if (f->name_match == OA_NAME_DEFAULT_VHOST) {
        /* an inference: a vhost that has the name may serve the default's certificate */
        who = "; a client without SNI gets the same certificate, so the default (first) "
              "vhost of this address answered: no vhost has the name as ServerName or "
              "ServerAlias (or the one that has it serves the default vhost's certificate)";
        fix = "add the name as ServerName or ServerAlias to a vhost whose certificate covers "
              "it, or stop pointing the name at this server";
    }
    else if (f->name_match == OA_NAME_OTHER_VHOST) {
        who = "; it is not the certificate of the default vhost (a client without SNI gets "
              "another one): the vhost that has this name serves a certificate for other names";
        fix = "give the vhost that has this name a certificate that covers it "
              "(SSLCertificateFile)";
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_NAME_MISMATCH,
        apr_psprintf(p, "the certificate served for the name %s does not cover it (its names: "
                     "%s): clients refuse the connection%s", f->sni, names, who), fix);
    return 1;
}

static int revoked(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    (void)p;
    if (!has(f->staple) || strcmp(f->staple, "revoked")) {
        return 0;
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_REVOKED,
        "the staple says the certificate is revoked: clients refuse the connection",
        "replace the certificate");
    return 1;
}

static int crl_revoked(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    if (!f->crl_checked || f->crl != OA_CRL_REVOKED) {
        return 0;
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_REVOKED,
        apr_psprintf(p, "%s (CRL %s)", has(f->crl_message) ? f->crl_message
                     : "the CRL lists the certificate as revoked: clients that check CRLs "
                       "refuse it", has(f->crl_url) ? f->crl_url : "?"),
        "replace the certificate");
    return 1;
}

static int must_staple(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    int offline_none = !f->probed && (f->predicted == OA_PREDICT_OFF
                                      || f->predicted == OA_PREDICT_BROKEN);
    int live_none = f->probed && f->staple_asked && (!has(f->staple)
                                                     || !strcmp(f->staple, "none"));
    (void)p;
    if (!f->must_staple || !(offline_none || live_none)) {
        return 0;
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_MUST_STAPLE,
        "a Must-Staple certificate served without a staple: Firefox refuses the connection",
        "make this vhost staple (SSLUseStapling on, a stapling cache, the issuer in the "
        "chain), or get a certificate without Must-Staple");
    return 1;
}

static int bad_staple(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    if (!has(f->staple) || !strcmp(f->staple, "none") || !strcmp(f->staple, "trylater")
        || !strcmp(f->staple, "pending") || staple_good(f)) {
        return 0;
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_BAD_STAPLE,
        !strcmp(f->staple, "good")
        ? "the staple does not verify against the issuer: clients reject it"
        : apr_psprintf(p, "the staple says '%s': clients reject it", f->staple),
        "check the responder's signing certificate and this server's clock");
    return 1;
}

static int off(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    (void)p;
    if (f->predicted != OA_PREDICT_OFF && (f->predicted != OA_PREDICT_NONE || f->stapling_on
                                           || !f->probed || f->staple_asked)) {
        return 0;
    }
    set(v, OA_LEVEL_GOOD, OA_STATE_OFF, f->no_ocsp_url
        ? "stapling is off, and the certificate names no OCSP responder anyway: clients "
          "check its CRL" : "stapling is off: clients ask the CA's responder themselves, "
                            "or not at all", NULL);
    return 1;
}

static int self_signed(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    (void)p;
    if (!f->self_signed) {
        return 0;
    }
    set(v, f->stapling_on ? OA_LEVEL_WARNING : OA_LEVEL_GOOD, OA_STATE_SELF_SIGNED,
        "a self-signed certificate: there is no CA to staple for", f->stapling_on
        ? "turn SSLUseStapling off for this vhost" : NULL);
    return 1;
}

static int no_ocsp_url(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    if (!f->no_ocsp_url) {
        return 0;
    }
    set(v, OA_LEVEL_WARNING, OA_STATE_NO_OCSP_URL,
        apr_psprintf(p, "the certificate names no OCSP responder: there is nothing to staple, "
                     "and clients check revocation through its CRL%s%s%s",
                     has(f->crl_url) ? " " : "", has(f->crl_url) ? f->crl_url : "",
                     (f->crl_checked && f->crl == OA_CRL_OK) ? ", which is current" : ""),
        f->md_staples ? "turn mod_md's stapling off for it (MDStapleOthers off, or MDStapling "
                        "off for its domain): mod_md cannot staple it either"
                      : "turn SSLUseStapling off for this vhost, or set SSLStaplingForceURL if "
                        "the CA still runs a responder");
    return 1;
}

static int unknown(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    (void)p;
    if (f->predicted != OA_PREDICT_UNKNOWN || f->probed) {
        return 0;
    }
    set(v, OA_LEVEL_WARNING, OA_STATE_UNKNOWN, has(f->predict_reason) ? f->predict_reason
        : "a file it depends on could not be read", "lint where the files are, or map their "
        "paths (--path-map)");
    return 1;
}

static int broken(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    (void)p;
    if (f->predicted != OA_PREDICT_BROKEN || staple_good(f)) {
        return 0;
    }
    set(v, OA_LEVEL_WARNING, OA_STATE_BROKEN, has(f->predict_reason) ? f->predict_reason
        : "stapling is configured, but mod_ssl will not staple", "see the findings of this "
        "vhost");
    return 1;
}

static int at_risk(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    int down = f->responder_checked && !f->responder_up;
    if (has(f->staple) && !strcmp(f->staple, "trylater") && f->responder_trylater) {
        /* mod_ssl keeps a responder's error response for SSLStaplingErrorCacheTimeout */
        set(v, OA_LEVEL_WARNING, OA_STATE_AT_RISK,
            "the OCSP responder answers tryLater and mod_ssl staples that answer: no client "
            "gets a usable staple now (Must-Staple clients refuse the connection), and mod_ssl "
            "asks again only when SSLStaplingErrorCacheTimeout (600 s by default) has passed",
            "ask the CA why its responder answers tryLater, or use mod_md's stapling "
            "(MDStapling on), which keeps a good response on disk through a responder's "
            "outage");
        return 1;
    }
    if (has(f->staple) && !strcmp(f->staple, "trylater")) {
        set(v, OA_LEVEL_WARNING, OA_STATE_AT_RISK,
            "clients get a tryLater response (mod_ssl's made-up one when the responder "
            "cannot be reached): Must-Staple clients refuse it",
            "make the responder reachable from this server (DNS, firewall, proxy), or use "
            "mod_md's stapling (MDStapling on), which keeps the last good response");
        return 1;
    }
    if (!down || !staple_good(f)) {
        return 0;
    }
    v->stops_at = f->stops_at ? f->stops_at : f->next_update;
    set(v, (v->stops_at && v->stops_at < f->now + HOUR) ? OA_LEVEL_ERROR : OA_LEVEL_WARNING,
        OA_STATE_AT_RISK,
        apr_psprintf(p, "the OCSP responder is down (%s): clients get the cached staple "
                     "until %s, then none; a graceful restart empties mod_ssl's stapling "
                     "cache and stops stapling at once",
                     has(f->responder_error) ? f->responder_error : "no answer",
                     v->stops_at ? oa_time_str(p, v->stops_at) : "its nextUpdate"),
        "make the responder reachable from this server (DNS, firewall, SSLOCSPProxyURL), "
        "avoid reloads until it answers, or use mod_md's stapling, which keeps responses "
        "on disk");
    return 1;
}

static int no_staple(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    int down = f->responder_checked && !f->responder_up;
    if (f->probed && !f->staple_asked && down && !staple_good(f)) {
        /* not asked (asking would make mod_ssl wait on the dead responder), and no good
         * staple known from before: clients get none, or a made-up tryLater */
        set(v, OA_LEVEL_ERROR, OA_STATE_NO_STAPLE,
            apr_psprintf(p, "the OCSP responder is down (%s) and no good staple is known: "
                         "clients that ask get none, or a made-up tryLater (the probe no "
                         "longer asks, so that mod_ssl does not wait on the responder)",
                         has(f->responder_error) ? f->responder_error : "no answer"),
            "make the responder reachable from this server (DNS, firewall, SSLOCSPProxyURL)");
        return 1;
    }
    if (!f->probed || !f->staple_asked || (has(f->staple) && strcmp(f->staple, "none"))) {
        return 0;
    }
    if (f->predicted == OA_PREDICT_NONE && !down) {
        /* a probe of a server whose configuration it does not have: it cannot tell
         * stapling off from a response mod_ssl could not fetch */
        set(v, OA_LEVEL_WARNING, OA_STATE_NO_STAPLE, "no staple: stapling is off on this "
            "server, or mod_ssl could not fetch a response",
            "turn SSLUseStapling on (with SSLStaplingCache), or look for AH0221x/AH0195x "
            "lines in the server's error log");
        return 1;
    }
    set(v, OA_LEVEL_ERROR, OA_STATE_NO_STAPLE, down
        ? apr_psprintf(p, "no staple although stapling is on: the OCSP responder is down (%s)",
                       has(f->responder_error) ? f->responder_error : "no answer")
        : "no staple although stapling is on", down
        ? "make the responder reachable from this server (DNS, firewall, SSLOCSPProxyURL)"
        : "check the error log for AH0221x/AH0195x lines of mod_ssl");
    return 1;
}

static int stapled(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    (void)p;
    if (!f->probed && f->live) {
        set(v, OA_LEVEL_GOOD, OA_STATE_PENDING, "not probed yet", NULL);
        return 1;
    }
    if (!f->probed) {
        set(v, OA_LEVEL_GOOD, OA_STATE_STAPLED, f->md_staples
            ? "mod_md will staple it" : "mod_ssl will staple it", NULL);
        return 1;
    }
    if (f->chain_lacks_issuer) {
        set(v, OA_LEVEL_WARNING, OA_STATE_STAPLED,
            "it staples, but the served chain lacks the issuer: clients that do not have "
            "the intermediate cached cannot build the chain",
            "put the intermediate certificate(s) after the leaf in SSLCertificateFile");
        return 1;
    }
    set(v, OA_LEVEL_GOOD, OA_STATE_STAPLED, "a good, verified staple", NULL);
    return 1;
}

static const check_fn checks[] = {
    unreachable, fatal, name_mismatch, revoked, crl_revoked, must_staple, bad_staple,
    self_signed, off, no_ocsp_url, unknown, broken, at_risk, no_staple, stapled
};

/* how clients learn of a revocation: the staple, else the CRL as checked, else the paths
 * the certificate names */
static oa_revocation_e revocation(const oa_verdict_t *v, const oa_verdict_facts_t *f)
{
    if (v->state == OA_STATE_REVOKED) {
        return OA_REVOCATION_REVOKED;
    }
    if (!f->cert_known || f->self_signed || v->state == OA_STATE_UNREACHABLE
        || v->state == OA_STATE_PENDING) {
        return OA_REVOCATION_UNKNOWN;
    }
    if (f->probed ? staple_good(f) : f->predicted == OA_PREDICT_ACTIVE) {
        return OA_REVOCATION_STAPLE;
    }
    if (f->crl_checked && oa_revocation_of_crl(f->crl) != OA_REVOCATION_UNKNOWN) {
        return oa_revocation_of_crl(f->crl);
    }
    if (!f->no_ocsp_url) {
        return OA_REVOCATION_OCSP;
    }
    return has(f->crl_url) ? OA_REVOCATION_CRL_UNCHECKED : OA_REVOCATION_NONE;
}

/* A CRL that is not healthy is a warning wherever it is: the only revocation path of a
 * certificate without an OCSP responder, and the one clients without OCSP use. Said after
 * the state's reason, with what to do. */
static void crl_trouble(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    const char *what, *fix;
    oa_revocation_e path = f->crl_checked ? oa_revocation_of_crl(f->crl)
                                          : OA_REVOCATION_UNKNOWN;
    if (path == OA_REVOCATION_UNKNOWN || path == OA_REVOCATION_CRL_FRESH
        || path == OA_REVOCATION_REVOKED || !f->cert_known
        || v->state == OA_STATE_UNREACHABLE) {
        return;
    }
    switch (path) {
    case OA_REVOCATION_CRL_STALE:
        what = f->crl == OA_CRL_FUTURE ? "not valid yet" : "stale";
        fix = f->crl == OA_CRL_FUTURE ? "check this server's clock, else tell the CA"
            : "tell the CA: its CRL is not being renewed";
        break;
    case OA_REVOCATION_CRL_INVALID:
        what = "not a valid CRL of the issuer";
        fix = "tell the CA: clients cannot check revocation through this CRL";
        break;
    default:
        what = "unreachable";
        fix = "check that this server reaches the CRL's host (DNS, firewall, proxy), "
              "else tell the CA";
    }
    v->reason = apr_psprintf(p, "%s; its CRL %s is %s (%s)", v->reason,
                             has(f->crl_url) ? f->crl_url : "", what,
                             has(f->crl_message) ? f->crl_message : oa_crl_verdict_name(f->crl));
    v->fix = v->fix ? apr_psprintf(p, "%s; for the CRL: %s", v->fix, fix) : fix;
    if (v->level < OA_LEVEL_WARNING) {
        v->level = OA_LEVEL_WARNING;
    }
}

void oa_verdict_decide(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f)
{
    apr_size_t i;
    memset(v, 0, sizeof(*v));
    for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        if (checks[i](v, p, f)) {
            break;
        }
    }
    v->revocation = revocation(v, f);
    crl_trouble(v, p, f);
    if (f->config_errors && v->level < OA_LEVEL_ERROR) {
        v->level = OA_LEVEL_ERROR;
        if (!v->fix) {
            v->fix = "see the configuration's findings for this vhost";
        }
    }
    else if (f->config_warnings && v->level == OA_LEVEL_GOOD) {
        v->level = OA_LEVEL_WARNING;
        if (!v->fix) {
            v->fix = "see the configuration's findings for this vhost";
        }
    }
}

/* ------------------------------------------------------------------ the hosts' facts */

void oa_verdict_of_analysis(oa_verdict_t *v, apr_pool_t *p, const oa_analysis_t *an,
                            apr_time_t now)
{
    oa_verdict_facts_t f;
    int i;
    memset(&f, 0, sizeof(f));
    f.now = now;
    f.predicted = oa_predict_from_name(an->stapling);
    f.predict_reason = an->why;
    f.stapling_on = an->stapling_on || an->md_staples;
    f.md_staples = an->md_staples;
    for (i = 0; i < an->findings->nelts; i++) {
        const oa_finding_t *fd = APR_ARRAY_IDX(an->findings, i, const oa_finding_t *);
        f.config_errors += fd->d.severity == OA_SEV_ERROR;
        f.config_warnings += fd->d.severity == OA_SEV_WARNING;
    }
    for (i = 0; i < an->certs->nelts; i++) {
        const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, i, const oa_certinfo_t *);
        if (ci->leaf && !ci->replaced) {      /* the served certificate */
            f.cert_known = 1;
            f.no_ocsp_url = !ci->url;
            f.crl_url = oa_x509_crl_url(p, ci->leaf);
            f.self_signed = oa_x509_self_signed(ci->leaf);
            f.must_staple = ci->must_staple;
            if (ci->crl) {                    /* --online */
                f.crl_checked = 1;
                f.crl = ci->crl->verdict;
                f.crl_message = ci->crl->message;
            }
            break;
        }
    }
    oa_verdict_decide(v, p, &f);
}

/* "a, b, c" */
static const char *join(apr_pool_t *p, const apr_array_header_t *words)
{
    const char *out = NULL;
    int i;
    for (i = 0; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);
        out = out ? apr_pstrcat(p, out, ", ", w, NULL) : w;
    }
    return out;
}

void oa_verdict_of_probe(oa_verdict_t *v, apr_pool_t *p, const oa_tls_probe_t *tls,
                         const oa_responder_check_t *resp, const oa_crl_check_t *crl,
                         apr_time_t now)
{
    oa_verdict_facts_t f;
    memset(&f, 0, sizeof(f));
    f.now = now;
    f.live = f.probed = 1;
    f.probe_error = tls->error;
    f.not_tls = tls->not_tls;
    f.status_request_kills = tls->status_request_kills;
    f.staple_asked = tls->staple_asked;
    f.staple = tls->error ? NULL : tls->staple_state;
    f.staple_verified = tls->staple_present && tls->staple.verified;
    f.next_update = tls->staple.next_update;
    if (tls->leaf) {
        f.cert_known = 1;
        f.self_signed = tls->self_signed;
        f.chain_lacks_issuer = !tls->chain_complete;
        f.no_ocsp_url = !oa_x509_ocsp_url(p, tls->leaf);
        f.crl_url = oa_x509_crl_url(p, tls->leaf);
        f.must_staple = tls->must_staple;
        f.sni = tls->sni;
        f.name_match = tls->name_match;
        f.served_names = join(p, oa_x509_dns_names(p, tls->leaf));
    }
    if (crl) {
        f.crl_checked = 1;
        f.crl = crl->verdict;
        f.crl_message = crl->message;
        f.crl_url = crl->url ? crl->url : f.crl_url;
    }
    if (resp && resp->verdict) {
        f.responder_checked = 1;
        f.responder_up = !resp->error_class && strcmp(resp->verdict, "trylater")
                         && strcmp(resp->verdict, "error-status");
        f.responder_error = resp->message;
        f.responder_trylater = !strcmp(resp->verdict, "trylater");
        if (!f.responder_up && f.staple && !strcmp(f.staple, "good")) {
            f.stops_at = f.next_update;
        }
    }
    oa_verdict_decide(v, p, &f);
}
