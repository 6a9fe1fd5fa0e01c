/**
 * @file oa_audit.h
 * @brief The rule engine: what mod_ssl will do with each SSL vhost's stapling, and
 *        the findings the rules draw from it.
 */
#ifndef OA_AUDIT_H
#define OA_AUDIT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include <openssl/x509.h>

#include "oa_diag.h"
#include "oa_pki.h"
#include "oa_vhost.h"

/** What a client asking for a staple gets, when the responder is reachable. */
#define OA_STAPLING_ACTIVE "active"   /**< a staple is sent */
#define OA_STAPLING_OFF    "off"      /**< stapling is not configured */
#define OA_STAPLING_BROKEN "broken"   /**< configured, but no staple will be sent */
#define OA_STAPLING_FATAL  "fatal"    /**< handshakes that ask for a staple fail */
#define OA_STAPLING_UNKNOWN "unknown" /**< a file it depends on is missing or unreadable
                                            here: not checked */

/** Will httpd start with this configuration? */
#define OA_STARTUP_OK      "ok"
#define OA_STARTUP_FAILS   "fails"    /**< a finding says it refuses to start */
#define OA_STARTUP_UNKNOWN "unknown"  /**< nothing says it fails, but a file httpd reads at
                                           start could not be read here */

/** One certificate of a vhost, as mod_ssl would load and staple it. */
typedef struct oa_certinfo_t {
    const oa_setting_t *cert_setting;   /**< its SSLCertificateFile */
    const oa_setting_t *key_setting;    /**< the SSLCertificateKeyFile of the same position, or NULL */
    const char *cert_path, *key_path;
    const oa_pemfile_t *cert_file, *key_file, *chain_file;
    X509 *leaf;                         /**< NULL when the file gives none */
    STACK_OF(X509) *chain;              /**< what mod_ssl sends after the leaf */
    const char *chain_from;             /**< "SSLCertificateChainFile" or "SSLCertificateFile" */
    X509 *issuer;                       /**< found where mod_ssl looks, or NULL */
    const char *issuer_from;            /**< the directive whose file held it */
    const char *ocsp_url;               /**< from the AIA extension */
    const char *url;                    /**< what mod_ssl will query: ForceURL, else ocsp_url */
    int url_usable;                     /**< 1 plain http with a host, as mod_ssl's client
                                             needs; -1 http without a host; 0 unusable */
    int must_staple;
    int replaced;                       /**< a later certificate of the same key type
                                             replaces it: never served */
    const char *stapling;               /**< OA_STAPLING_* for this certificate */
    const char *why;                    /**< the reason, when not active */
    const char *unknown;                /**< why the issuer could not be judged here (a
                                             chain or CA file is missing), or NULL */
    const struct oa_crl_check_t *crl;   /**< its CRL as checked online (`--online`), or
                                             NULL: the verdict then knows of it */
} oa_certinfo_t;

/** One SSL vhost, analysed. */
typedef struct oa_analysis_t {
    const oa_vhost_t *vh;
    apr_array_header_t *certs;          /**< oa_certinfo_t * */
    int stapling_on;                    /**< SSLUseStapling on (mod_ssl staples) */
    int md_staples;                     /**< mod_md staples this vhost's domain */
    const char *stapling;               /**< the vhost's verdict: its worst certificate */
    const char *why;
    apr_array_header_t *findings;       /**< oa_finding_t * about this vhost */
} oa_analysis_t;

typedef struct oa_rule_t oa_rule_t;
typedef struct oa_audit_t oa_audit_t;

/** A finding: a diagnostic with the rule and vhost it belongs to. */
typedef struct oa_finding_t {
    oa_diag_t d;
    const oa_rule_t *rule;
    const oa_vhost_t *vh;               /**< NULL for server-wide findings */
    const oa_node_t *node;              /**< the directive it is about, or NULL */
    const char *fingerprint;            /**< set by oa_report_fingerprints, or NULL */
    int fatal_startup;                  /**< httpd will refuse to start because of this */
    int suppressed;                     /**< a "# ocsp-lint: disable=" comment silences it */
} oa_finding_t;

struct oa_rule_t {
    const char *id;                     /**< stable: "OA101" */
    const char *slug;                   /**< "stapling-without-cache" */
    oa_severity_e severity;             /**< the usual severity (some findings adjust it) */
    const char *summary;                /**< one line */
    void (*check)(oa_audit_t *a, const oa_rule_t *r);
};

/**
 * A check not made: a file that the configuration names is missing or unreadable where
 * we run (a checkout without private keys, a user who is not root). It is neither a
 * finding nor a pass.
 */
typedef struct oa_skip_t {
    oa_diag_t d;                        /**< the directive's place, and the reason (a note) */
    const char *directive;              /**< "SSLCertificateKeyFile" */
    const char *path;                   /**< the file as looked for (after path maps) */
    oa_file_state_e state;              /**< OA_FILE_MISSING or OA_FILE_UNREADABLE */
    apr_array_header_t *rules;          /**< const oa_rule_t *: the selected rules not run
                                             for it */
    const oa_vhost_t *vh;               /**< NULL when the directive is the main server's */
} oa_skip_t;

typedef struct oa_audit_opts_t {
    apr_time_t now;                     /**< 0: the current time */
    int expiry_days;                    /**< warn when a certificate expires within (default 14) */
    apr_array_header_t *select;         /**< rule IDs or slugs to run; NULL: all */
    apr_array_header_t *skip;           /**< rule IDs or slugs not to run */
    int require_files;                  /**< a missing file is an error (OA305, httpd fails),
                                             as when run on the server itself; default: its
                                             checks are skipped. Unreadable files are always
                                             skipped: httpd reads them as root. */
    int show_suppressed;                /**< the reports also list the findings that
                                             comments silence (a->silenced), marked so */
} oa_audit_opts_t;

struct oa_audit_t {
    apr_pool_t *pool;
    const oa_model_t *model;
    oa_pki_t *pki;
    const oa_audit_opts_t *opts;
    apr_time_t now;
    apr_array_header_t *analyses;       /**< oa_analysis_t *, SSL vhosts in model order */
    apr_array_header_t *findings;       /**< every oa_finding_t *, in report order */
    int suppressed;                     /**< findings silenced by comments */
    apr_array_header_t *silenced;       /**< those oa_finding_t *, in report order: not
                                             reported (unless show_suppressed), but httpd
                                             still fails on them, so they count for startup */
    int baselined;                      /**< findings left out because a baseline has them
                                             (set by the host, ocsp-lint --baseline) */
    apr_array_header_t *skipped;        /**< oa_skip_t *: checks not made, in report order */
    apr_array_header_t *unselected;     /**< oa_finding_t * of rules not selected (--skip,
                                             --select): not reported, but httpd still fails
                                             on them, so they count for startup */
    const char *startup;                /**< OA_STARTUP_* */
    const char *startup_reason;
    apr_hash_t *skip_seen;              /**< internal: one oa_skip_t per directive and file */
    oa_analysis_t **by_index;           /**< internal: the analysis of vhost index i, or NULL
                                             (see oa_audit_analysis) */
};

/** The rule table, NULL-terminated (sorted by ID). */
const oa_rule_t *const *oa_rules(void);

/** A rule by ID or slug (case-insensitive), or NULL. */
const oa_rule_t *oa_rule_find(const char *id_or_slug);

/** Is word a family of rules that exist: "OA2" for OA2xx, "OA20" for OA20x? */
int oa_rule_family_known(const char *word);

/** The first word of a rule list ("OA201,chain-order OA3", commas or spaces) that names no
 *  rule: not an ID, a slug or a family, nor "all" when all_ok. NULL: every word does. */
const char *oa_rule_list_unknown(apr_pool_t *p, const char *list, int all_ok);

/**
 * Setters shared by ocsp-lint's flags and the module's directives: NULL, or the error
 * message (the module returns it to httpd, the linter prints it).
 */
/** Add a comma-separated list of rule IDs or slugs to opts->select or opts->skip. */
const char *oa_audit_opts_add_rules(apr_pool_t *p, oa_audit_opts_t *opts, int skip,
                                    const char *list);
/** The expiry warning threshold in days (1 to 3650). */
const char *oa_audit_opts_set_expiry(oa_audit_opts_t *opts, const char *days);

/**
 * Take mod_ocsp_audit's own settings from a configuration (OcspAuditSelect,
 * OcspAuditSkip, OcspAuditExpiryDays at server level), so that ocsp-lint reads a
 * config the way the module does. Values already in opts (from the command line) win.
 * @return NULL, or the error with *pat the directive's node
 */
const char *oa_audit_opts_from_conf(apr_pool_t *p, oa_audit_opts_t *opts, const oa_conf_t *conf,
                                    const oa_node_t **pat);

/** Analyse every SSL vhost of the model and run the selected rules. */
apr_status_t oa_audit_run(oa_audit_t **paudit, apr_pool_t *p, const oa_model_t *model,
                          oa_pki_t *pki, const oa_audit_opts_t *opts);

/** For rules: report a finding at a node (NULL: the vhost's or the config's place). */
oa_finding_t *oa_audit_report(oa_audit_t *a, const oa_rule_t *r, oa_severity_e sev,
                              const oa_vhost_t *vh, const oa_node_t *at, const char *hint,
                              const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/** The file a setting names (its first argument), as read here: below ServerRoot when
 *  relative, then through the configuration's path maps. */
const char *oa_audit_path(const oa_audit_t *a, const oa_setting_t *s);

/**
 * Is this file's content unknown here (missing, or unreadable by us), so that the checks
 * that need it are skipped rather than failed? Records the skipped checks (once per
 * directive and file) when it is.
 */
int oa_audit_file_skipped(oa_audit_t *a, const oa_vhost_t *vh, const oa_setting_t *s,
                          const oa_pemfile_t *f);

/** The same for a directory (SSLCACertificatePath): can it be looked at here? */
int oa_audit_dir_skipped(oa_audit_t *a, const oa_vhost_t *vh, const oa_setting_t *s,
                         const char *dir);

/** The analysis of an SSL vhost of the audit's model, or NULL (not SSL, or another model's
 *  vhost); constant time. */
oa_analysis_t *oa_audit_analysis(const oa_audit_t *a, const oa_vhost_t *vh);

/** Is rule r selected by opts (--select, --skip)? */
int oa_audit_selected(const oa_audit_opts_t *opts, const oa_rule_t *r);

/** How a vhost is called in messages: "good.test (*:443)". */
const char *oa_vhost_label(apr_pool_t *p, const oa_vhost_t *vh);

#endif /* OA_AUDIT_H */
