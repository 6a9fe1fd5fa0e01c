/* The audit: predictions of what mod_ssl does, and which rules fire. */
#include "oa_test.h"

#include "oa_audit.h"
#include "oa_conf.h"
#include "oa_report_findings.h"
#include "oa_vhost.h"

#define MODS \
    "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n" \
    "LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so\n" \
    "LoadModule md_module /usr/lib/apache2/modules/mod_md.so\n"
#define CACHE "SSLStaplingCache shmcb:/tmp/oa-stapling(128000)\n"

static const char *pki_dir;
static oa_audit_t *audit;
static oa_pki_t *pki;
static oa_audit_opts_t aopts;

static void setup(void)
{
    oa_test_setup();
    memset(&aopts, 0, sizeof(aopts));
    audit = NULL;
}

static void run(const char *text)
{
    oa_conf_opts_t opts;
    oa_conf_t *conf;
    oa_model_t *model;
    oa_diag_t *err = NULL;
    oa_conf_opts_init(&opts, tp);
    opts.skip_module_files = 1;   /* made-up module paths */
    opts.server_root = tdir;
    if (oa_conf_read_string(&conf, &err, tp, &opts, "t.conf", text) != APR_SUCCESS) {
        ck_abort_msg("parse error: %s:%d: %s", err->file, err->line, err->message);
    }
    ck_assert_int_eq(oa_model_build(&model, tp, conf), APR_SUCCESS);
    pki = oa_pki_make(tp);
    ck_assert_int_eq(oa_audit_run(&audit, tp, model, pki, &aopts), APR_SUCCESS);
}

static const char *stapling(int i)
{
    ck_assert_int_lt(i, audit->analyses->nelts);
    return APR_ARRAY_IDX(audit->analyses, i, const oa_analysis_t *)->stapling;
}

/* the findings of a rule, as "SEV:LINE" joined by spaces */
static const char *fired(const char *rule)
{
    const char *s = "";
    int i;
    for (i = 0; i < audit->findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(audit->findings, i, const oa_finding_t *);
        if (!strcmp(f->rule->id, rule)) {
            s = apr_psprintf(tp, "%s%s%s:%d", s, *s ? " " : "", oa_severity_name(f->d.severity),
                             f->d.line);
        }
    }
    return s;
}

#define VH_BEGIN "<VirtualHost *:443>\nServerName good.test\nSSLEngine on\n"

START_TEST(active_with_chain)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(audit->startup, "ok");
    ck_assert_str_eq(fired("OA201"), "");
    ck_assert_str_eq(fired("OA202"), "");
    ck_assert_str_eq(fired("OA304"), "");
}
END_TEST

START_TEST(issuer_missing)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\nSSLCertificateKeyFile ${PKI}/good.key\n"
        "</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_BROKEN);
    ck_assert_str_eq(stapling(1), OA_STAPLING_OFF);
    ck_assert_str_eq(fired("OA201"), "error:8 warning:15");
    /* the certificate names a responder: stapling off is a warning */
    ck_assert_str_eq(fired("OA104"), "warning:12");   /* the <VirtualHost> line */
}
END_TEST

START_TEST(issuer_from_ca_file)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLCACertificateFile ${PKI}/chain.pem\n"
        "SSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(APR_ARRAY_IDX(APR_ARRAY_IDX(audit->analyses, 0, const oa_analysis_t *)->certs,
                                   0, const oa_certinfo_t *)->issuer_from, "SSLCACertificateFile");
}
END_TEST

START_TEST(no_ocsp_url_and_force_url)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/noocsp-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/noocsp.key\nSSLUseStapling on\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/noocsp-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/noocsp.key\nSSLUseStapling on\n"
        "SSLStaplingForceURL http://127.0.0.1:9/\n</VirtualHost>\n");
    /* the same certificate: mod_ssl shares its entry, whose URL came from the second
     * vhost's ForceURL; the first has none of its own (AH02621): its handshakes fail */
    ck_assert_str_eq(stapling(0), OA_STAPLING_FATAL);
    ck_assert_str_eq(stapling(1), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(fired("OA203"), "warning:10");
    ck_assert_ptr_nonnull(strstr(APR_ARRAY_IDX(audit->findings, 0, const oa_finding_t *)->d.message,
                                 "CRL distribution point"));
}
END_TEST

START_TEST(unusable_urls_are_fatal)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n"
        "SSLStaplingForceURL https://127.0.0.1:9/\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n"
        "SSLStaplingForceURL ocsp.example.com\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/httpsocsp-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/httpsocsp.key\nSSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_FATAL);
    ck_assert_str_eq(stapling(1), OA_STAPLING_FATAL);
    ck_assert_str_eq(stapling(2), OA_STAPLING_FATAL);
    ck_assert_str_eq(fired("OA204"), "error:11 error:19 error:24");
}
END_TEST

START_TEST(must_staple)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/muststaple-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/muststaple.key\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/muststaple-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/muststaple.key\nSSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA205"), "error:8");
    ck_assert_str_eq(stapling(1), OA_STAPLING_ACTIVE);
}
END_TEST

START_TEST(startup_failures)
{
    run(MODS VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA101"), "error:9");
    ck_assert_str_eq(audit->startup, "fails");
    ck_assert_ptr_nonnull(strstr(audit->startup_reason, "OA101"));

    run(MODS VH_BEGIN CACHE "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA102"), "error:7");
    ck_assert_str_eq(audit->startup, "fails");

    run("LoadModule ssl_module /x/mod_ssl.so\nSSLStaplingCache shmcb:/tmp/x(128000)\n");
    ck_assert_str_eq(fired("OA103"), "error:2");
    run(MODS "SSLStaplingCache shmcb:/tmp/x(100)\n");
    ck_assert_str_eq(fired("OA103"), "error:4");
    run(MODS "SSLStaplingCache redis:x\n");
    ck_assert_str_eq(fired("OA103"), "error:4");
    run(MODS "SSLStaplingCache shmcb:/tmp/x(128000)\n");
    ck_assert_str_eq(fired("OA103"), "");

    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/other.key\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA304"), "error:9");
    ck_assert_str_eq(audit->startup, "fails");

    aopts.require_files = 1;   /* as on the server itself */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/missing.pem\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA305"), "error:8");
    ck_assert_str_eq(audit->startup, "fails");
    ck_assert_int_eq(audit->skipped->nelts, 0);
    aopts.require_files = 0;

    run(MODS CACHE "<VirtualHost *:443>\nSSLUseStapling yes\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA105"), "error:6");
    /* httpd reads only the first word of a flag */
    run(MODS CACHE "<VirtualHost *:443>\nSSLUseStapling on # with a comment\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA105"), "");
}
END_TEST

START_TEST(inheritance_from_main_server)
{
    run(MODS CACHE "SSLUseStapling on\nSSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\n"
        "<VirtualHost *:443>\nSSLEngine on\n</VirtualHost>\n"
        "<VirtualHost *:443>\nSSLEngine on\nSSLUseStapling off\n</VirtualHost>\n");
    ck_assert_int_eq(audit->analyses->nelts, 2);
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(stapling(1), OA_STAPLING_OFF);
}
END_TEST

START_TEST(chain_order_rules)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\nSSLCertificateKeyFile ${PKI}/good.key\n"
        "SSLCertificateChainFile ${PKI}/other-int.pem\nSSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_BROKEN);
    ck_assert_str_eq(fired("OA202"), "warning:10 error:10");
    ck_assert_str_eq(fired("OA405"), "note:10");
}
END_TEST

START_TEST(settings_rules)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n"
        "SSLStaplingResponderTimeout 5s\nSSLStaplingErrorCacheTimeout 86400\n"
        "SSLStaplingResponseMaxAge 60\nSSLStaplingReturnResponderErrors on\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n"
        "SSLStaplingResponderTimeout 0\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA403"), "warning:11 error:22");
    ck_assert_str_eq(fired("OA404"), "warning:12 warning:13");
    ck_assert_str_eq(fired("OA401"), "warning:14 note:21");
    ck_assert_str_eq(fired("OA402"), "note:10");
}
END_TEST

START_TEST(mod_md_owns_stapling)
{
    run(MODS "MDomain good.test\nMDStapling on\n" VH_BEGIN
        "SSLCertificateFile ${PKI}/good-fullchain.pem\nSSLCertificateKeyFile ${PKI}/good.key\n"
        "</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(fired("OA501"), "note:5");
    ck_assert_str_eq(fired("OA104"), "");
    ck_assert_str_eq(fired("OA101"), "");
}
END_TEST

START_TEST(shared_by_certificate)
{
    /* the second vhost lacks the chain, the first serves the same certificate with it:
     * mod_ssl shares the certificate's OCSP data, so both staple (AH02217 all the same) */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\nSSLCertificateKeyFile ${PKI}/good.key\n"
        "SSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(stapling(1), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(fired("OA201"), "error:15");
    /* no OCSP URL; only the first vhost forces one: the second's handshakes fail */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/noocsp-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/noocsp.key\nSSLUseStapling on\n"
        "SSLStaplingForceURL http://127.0.0.1:9/\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/noocsp-fullchain.pem\nSSLCertificateKeyFile ${PKI}/noocsp.key\n"
        "SSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(stapling(1), OA_STAPLING_FATAL);
    /* a chain file with a stale intermediate first and the right one after it */
    {
        const char *cf = apr_pstrcat(tp, tdir, "/mixed-chain.pem", NULL);
        const char *cmd = apr_psprintf(tp, "cat '%s/other-int.pem' '%s/int.pem' > '%s'", pki_dir,
                                       pki_dir, cf);
        ck_assert_int_eq(system(cmd), 0);
        run(apr_pstrcat(tp, MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
                        "SSLCertificateKeyFile ${PKI}/good.key\nSSLCertificateChainFile ", cf,
                        "\nSSLUseStapling on\n</VirtualHost>\n", NULL));
        ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
        ck_assert_str_eq(fired("OA202"), "warning:10");   /* out of order, but it certifies */
    }
}
END_TEST

START_TEST(http_url_without_host)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n"
        "SSLStaplingForceURL http:///ocsp\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_BROKEN);
    /* no host: every fetch fails, no real staple is ever sent (a warning, not fatal) */
    ck_assert_str_eq(fired("OA204"), "warning:11");
}
END_TEST

START_TEST(md_staples_others_by_default)
{
    /* server-level MDStapling on: mod_md staples certificates it does not manage too */
    run(MODS "MDStapling on\n" VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\n</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(fired("OA501"), "note:4");
    run(MODS "MDStapling on\nMDStapleOthers off\n" VH_BEGIN
        "SSLCertificateFile ${PKI}/good-fullchain.pem\nSSLCertificateKeyFile ${PKI}/good.key\n"
        "</VirtualHost>\n");
    ck_assert_str_eq(stapling(0), OA_STAPLING_OFF);
}
END_TEST

START_TEST(negative_numbers_refused)
{
    run(MODS CACHE "SSLStaplingResponderTimeout -1\nSSLStaplingResponseMaxAge -5\n");
    ck_assert_str_eq(fired("OA105"), "error:5 error:6");
    ck_assert_str_eq(audit->startup, "fails");
}
END_TEST

START_TEST(suppression_and_selection)
{
    run(MODS CACHE "# ocsp-lint: disable=issuer-not-found,OA104 the CA is internal\n" VH_BEGIN
        "SSLCertificateFile ${PKI}/good.pem\nSSLCertificateKeyFile ${PKI}/good.key\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA201"), "");
    ck_assert_str_eq(fired("OA104"), "");
    ck_assert_int_eq(audit->suppressed, 2);

    aopts.select = apr_array_make(tp, 1, sizeof(const char *));
    APR_ARRAY_PUSH(aopts.select, const char *) = "OA104";
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\nSSLCertificateKeyFile ${PKI}/good.key\n"
        "</VirtualHost>\n");
    ck_assert_int_eq(audit->findings->nelts, 1);
    ck_assert_str_eq(fired("OA104"), "warning:5");
}
END_TEST

/* the reasons and rules of the skipped checks, "DIRECTIVE:LINE:state:RULES" joined by spaces */
static const char *skipped(void)
{
    const char *s = "";
    int i, k;
    for (i = 0; i < audit->skipped->nelts; i++) {
        const oa_skip_t *sk = APR_ARRAY_IDX(audit->skipped, i, const oa_skip_t *);
        const char *rules = "";
        for (k = 0; k < sk->rules->nelts; k++) {
            rules = apr_pstrcat(tp, rules, k ? "," : "",
                                APR_ARRAY_IDX(sk->rules, k, const oa_rule_t *)->id, NULL);
        }
        s = apr_psprintf(tp, "%s%s%s:%d:%s:%s", s, *s ? " " : "", sk->directive, sk->d.line,
                         oa_file_state_name(sk->state), rules);
    }
    return s;
}

START_TEST(missing_files_are_not_checked)
{
    /* a checkout without the private key: the match is not checked, nothing fails */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/absent.key\nSSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA304"), "");
    ck_assert_str_eq(fired("OA305"), "");
    ck_assert_str_eq(skipped(), "SSLCertificateKeyFile:9:missing:OA304,OA305");
    ck_assert_str_eq(stapling(0), OA_STAPLING_ACTIVE);
    ck_assert_str_eq(audit->startup, OA_STARTUP_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(audit->startup_reason, "absent.key is missing here"));

    /* without the certificate: every certificate check is skipped, the stapling unknown */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/absent.pem\n"
        "SSLCertificateKeyFile ${PKI}/absent.key\nSSLUseStapling on\n</VirtualHost>\n");
    ck_assert_int_eq(audit->findings->nelts, 2);   /* OA401 and OA402 need no file */
    ck_assert_str_eq(skipped(), "SSLCertificateFile:8:missing:OA104,OA201,OA202,OA203,OA204,"
                     "OA205,OA208,OA209,OA301,OA302,OA303,OA304,OA305 "
                     "SSLCertificateKeyFile:9:missing:OA304,OA305");
    ck_assert_str_eq(stapling(0), OA_STAPLING_UNKNOWN);
    ck_assert_str_eq(audit->startup, OA_STARTUP_UNKNOWN);

    /* the chain file absent: the issuer may be there, OA201 is not claimed */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLCertificateChainFile ${PKI}/absent.pem\n"
        "SSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA201"), "");
    ck_assert_str_eq(fired("OA305"), "");
    ck_assert_str_eq(stapling(0), OA_STAPLING_UNKNOWN);
    ck_assert_str_eq(skipped(), "SSLCertificateChainFile:10:missing:OA201,OA202,OA301,OA302,"
                     "OA303,OA305");

    /* a CA directory that is not here: the issuer may be there, neither OA201 nor OA305 */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLCACertificatePath ${PKI}/absent-dir\n"
        "SSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA201"), "");
    ck_assert_str_eq(fired("OA305"), "");
    ck_assert_str_eq(stapling(0), OA_STAPLING_UNKNOWN);
    ck_assert_str_eq(skipped(), "SSLCACertificatePath:10:missing:OA201,OA305");
    aopts.require_files = 1;
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\nSSLCACertificatePath ${PKI}/absent-dir\n"
        "SSLUseStapling on\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA305"), "error:10");
    ck_assert_str_eq(fired("OA201"), "error:8");
    aopts.require_files = 0;

    /* readable and wrong is still an error, and the prediction says so */
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/other.key\nSSLCertificateChainFile ${PKI}/absent.pem\n"
        "</VirtualHost>\n");
    ck_assert_str_eq(fired("OA304"), "error:9");
    ck_assert_str_eq(audit->startup, OA_STARTUP_FAILS);

    /* the skipped rules are the selected ones */
    aopts.skip = apr_array_make(tp, 1, sizeof(const char *));
    APR_ARRAY_PUSH(aopts.skip, const char *) = "OA305";
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/absent.key\n</VirtualHost>\n");
    ck_assert_str_eq(skipped(), "SSLCertificateKeyFile:9:missing:OA304");
}
END_TEST

START_TEST(rule_families)
{
    oa_audit_opts_t o;
    memset(&o, 0, sizeof(o));
    ck_assert_ptr_null(oa_audit_opts_add_rules(tp, &o, 0, "OA2"));
    ck_assert(oa_audit_selected(&o, oa_rule_find("OA201")));
    ck_assert(oa_audit_selected(&o, oa_rule_find("OA205")));
    ck_assert(!oa_audit_selected(&o, oa_rule_find("OA101")));
    ck_assert(!oa_audit_selected(&o, oa_rule_find("OA301")));
    ck_assert_ptr_null(oa_audit_opts_add_rules(tp, &o, 1, "oa20"));
    ck_assert(!oa_audit_selected(&o, oa_rule_find("OA201")));
    ck_assert(!oa_audit_selected(&o, oa_rule_find("OA303")));
    ck_assert_ptr_nonnull(oa_audit_opts_add_rules(tp, &o, 0, "OA9"));
    ck_assert_ptr_nonnull(oa_audit_opts_add_rules(tp, &o, 0, "OA2x"));
    ck_assert_ptr_nonnull(oa_audit_opts_add_rules(tp, &o, 0, "OA20123"));
    ck_assert(oa_rule_family_known("OA4") && !oa_rule_family_known("OA6")
              && !oa_rule_family_known("O"));
}
END_TEST

START_TEST(skipping_a_rule_keeps_the_prediction)
{
    /* --skip OA305 on a certificate file that is there but not PEM: not reported, but
     * httpd still refuses to start, and the other certificate rules are not switched off */
    const char *bad = oa_test_write("garbage.pem", "not a certificate\n");
    aopts.skip = apr_array_make(tp, 1, sizeof(const char *));
    APR_ARRAY_PUSH(aopts.skip, const char *) = "OA305";
    run(apr_psprintf(tp, MODS CACHE VH_BEGIN "SSLCertificateFile %s\n</VirtualHost>\n"
                     VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
                     "SSLCertificateKeyFile ${PKI}/good.key\n</VirtualHost>\n", bad));
    ck_assert_str_eq(fired("OA305"), "");
    ck_assert_str_eq(fired("OA201"), "warning:13");
    ck_assert_str_eq(audit->startup, OA_STARTUP_FAILS);
    ck_assert_ptr_nonnull(strstr(audit->startup_reason, "[OA305, not reported: the rule is "
                                 "not selected]"));
}
END_TEST

/* the fingerprints of the findings, joined by spaces */
static const char *fingerprints(void)
{
    apr_array_header_t *fps = oa_report_fingerprints(tp, audit->findings, tdir);
    const char *s = "";
    int i;
    for (i = 0; i < fps->nelts; i++) {
        s = apr_pstrcat(tp, s, i ? " " : "", APR_ARRAY_IDX(fps, i, const char *), NULL);
    }
    return s;
}

START_TEST(fingerprints_survive_moves)
{
    const char *vh = VH_BEGIN "SSLCertificateFile ${PKI}/good.pem\n"
                     "SSLCertificateKeyFile ${PKI}/good.key\n</VirtualHost>\n";
    const char *before, *after;
    run(apr_pstrcat(tp, MODS CACHE, vh, NULL));
    ck_assert_int_gt(audit->findings->nelts, 0);
    before = fingerprints();
    ck_assert_int_eq((int)strlen(before), audit->findings->nelts * 65 - 1);
    /* the same vhost five lines further down: the same fingerprints */
    run(apr_pstrcat(tp, MODS CACHE "\n\n# moved\n\n\n", vh, NULL));
    after = fingerprints();
    ck_assert_str_eq(before, after);
    /* kept once computed, even when the findings are filtered afterwards */
    ck_assert_str_eq(APR_ARRAY_IDX(audit->findings, 0, const oa_finding_t *)->fingerprint,
                     apr_pstrndup(tp, after, 64));
    /* another vhost name: other fingerprints */
    run(apr_pstrcat(tp, MODS CACHE "<VirtualHost *:443>\nServerName other.test\nSSLEngine on\n"
                    "SSLCertificateFile ${PKI}/good.pem\nSSLCertificateKeyFile ${PKI}/good.key\n"
                    "</VirtualHost>\n", NULL));
    ck_assert_str_ne(before, fingerprints());
    /* twice the same vhost: two distinct fingerprints (which occurrence it is) */
    run(apr_pstrcat(tp, MODS CACHE, vh, vh, NULL));
    {
        apr_array_header_t *fps = oa_report_fingerprints(tp, audit->findings, tdir);
        int i, k;
        for (i = 0; i < fps->nelts; i++) {
            for (k = i + 1; k < fps->nelts; k++) {
                ck_assert_str_ne(APR_ARRAY_IDX(fps, i, const char *),
                                 APR_ARRAY_IDX(fps, k, const char *));
            }
        }
    }
}
END_TEST

START_TEST(report_paths)
{
    ck_assert_str_eq(oa_report_relative(tp, "/src/repo", "/src/repo/conf/a.conf"), "conf/a.conf");
    ck_assert_str_eq(oa_report_relative(tp, "/src/repo/", "/src/repo/conf/a.conf"), "conf/a.conf");
    ck_assert_ptr_null(oa_report_relative(tp, "/src/repo", "/src/repository/a.conf"));
    ck_assert_ptr_null(oa_report_relative(tp, "/src/repo", "/src/repo"));
    ck_assert_ptr_null(oa_report_relative(tp, NULL, "/src/repo/a.conf"));
    ck_assert_str_eq(oa_report_relative(tp, "/", "/etc/a.conf"), "etc/a.conf");
    /* the file one edits: the target of a sites-enabled symlink */
    {
        const char *target = oa_test_write("sites-available/a.conf", "x\n");
        const char *link = apr_pstrcat(tp, tdir, "/a-link.conf", NULL);
        ck_assert_int_eq(symlink(target, link), 0);
        ck_assert_str_eq(oa_report_edited_file(tp, link), target);
        ck_assert_str_eq(oa_report_edited_file(tp, "/no/such/file"), "/no/such/file");
    }
}
END_TEST

START_TEST(certificates_read_once)
{
    int i;
    const char *text = MODS CACHE;
    for (i = 0; i < 200; i++) {
        text = apr_pstrcat(tp, text, VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
                           "SSLCertificateKeyFile ${PKI}/good.key\nSSLUseStapling on\n</VirtualHost>\n",
                           NULL);
    }
    run(text);
    ck_assert_int_eq(audit->analyses->nelts, 200);
    ck_assert_int_eq(oa_pki_files_read(pki), 2);
}
END_TEST

START_TEST(expiry_rules)
{
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/expired-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/expired.key\n</VirtualHost>\n"
        VH_BEGIN "SSLCertificateFile ${PKI}/soon-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/soon.key\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA301"), "error:8");
    ck_assert_str_eq(fired("OA303"), "warning:14");
    aopts.expiry_days = 3;
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/soon-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/soon.key\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA303"), "");
    aopts.expiry_days = 0;
    aopts.now = apr_time_now() - APR_TIME_C(400) * 86400 * APR_USEC_PER_SEC;
    run(MODS CACHE VH_BEGIN "SSLCertificateFile ${PKI}/good-fullchain.pem\n"
        "SSLCertificateKeyFile ${PKI}/good.key\n</VirtualHost>\n");
    ck_assert_str_eq(fired("OA302"), "error:8 error:8");   /* the leaf and the intermediate */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_audit");
    TCase *tc = tcase_create("audit");
    int rc;
    pki_dir = oa_test_make_pki();
    setenv("PKI", pki_dir, 1);
    tcase_add_checked_fixture(tc, setup, oa_test_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, active_with_chain);
    tcase_add_test(tc, issuer_missing);
    tcase_add_test(tc, issuer_from_ca_file);
    tcase_add_test(tc, no_ocsp_url_and_force_url);
    tcase_add_test(tc, unusable_urls_are_fatal);
    tcase_add_test(tc, must_staple);
    tcase_add_test(tc, startup_failures);
    tcase_add_test(tc, inheritance_from_main_server);
    tcase_add_test(tc, chain_order_rules);
    tcase_add_test(tc, settings_rules);
    tcase_add_test(tc, mod_md_owns_stapling);
    tcase_add_test(tc, suppression_and_selection);
    tcase_add_test(tc, md_staples_others_by_default);
    tcase_add_test(tc, shared_by_certificate);
    tcase_add_test(tc, http_url_without_host);
    tcase_add_test(tc, negative_numbers_refused);
    tcase_add_test(tc, certificates_read_once);
    tcase_add_test(tc, missing_files_are_not_checked);
    tcase_add_test(tc, skipping_a_rule_keeps_the_prediction);
    tcase_add_test(tc, fingerprints_survive_moves);
    tcase_add_test(tc, report_paths);
    tcase_add_test(tc, expiry_rules);
    tcase_add_test(tc, rule_families);
    suite_add_tcase(s, tc);
    rc = oa_test_run(s);
    oa_test_remove_pki(pki_dir);
    return rc;
}
