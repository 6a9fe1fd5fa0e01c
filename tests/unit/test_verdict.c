/* The verdict: each situation gets one state and level, whichever host saw it. */
#include "oa_test.h"

#include "oa_verdict.h"

#define T0 (APR_TIME_C(1800000000) * APR_USEC_PER_SEC)

static oa_verdict_facts_t f;
static oa_verdict_t v;

static void fresh(void)
{
    memset(&f, 0, sizeof(f));
    f.now = T0;
}

/* a live probe of a vhost that staples a good, verified response */
static void live_good(void)
{
    fresh();
    f.predicted = OA_PREDICT_ACTIVE;
    f.stapling_on = 1;
    f.live = f.probed = f.staple_asked = 1;
    f.staple = "good";
    f.staple_verified = 1;
    f.responder_checked = f.responder_up = 1;
    f.next_update = T0 + apr_time_from_sec(7200);
}

#define VERDICT(level_, state_) do { \
        oa_verdict_decide(&v, tp, &f); \
        ck_assert_str_eq(oa_state_name(v.state), state_); \
        ck_assert_str_eq(oa_level_name(v.level), level_); \
        ck_assert_ptr_nonnull(v.reason); \
    } while (0)

START_TEST(names)
{
    ck_assert_str_eq(oa_level_name(OA_LEVEL_WARNING), "warning");
    ck_assert_str_eq(oa_state_name(OA_STATE_MUST_STAPLE), "must-staple-missing");
    ck_assert_str_eq(oa_state_name(OA_STATE_UNKNOWN), "unknown");
    ck_assert_int_eq(oa_predict_from_name("broken"), OA_PREDICT_BROKEN);
    ck_assert_int_eq(oa_predict_from_name("nonsense"), OA_PREDICT_NONE);
    ck_assert_int_eq(oa_predict_from_name(NULL), OA_PREDICT_NONE);
}
END_TEST

START_TEST(offline_predictions)
{
    fresh();
    f.predicted = OA_PREDICT_ACTIVE;
    f.stapling_on = 1;
    VERDICT("good", "stapled");
    ck_assert_ptr_null(v.fix);
    f.config_warnings = 1;              /* a warning finding makes it yellow */
    VERDICT("warning", "stapled");
    ck_assert_ptr_nonnull(v.fix);
    fresh();
    f.predicted = OA_PREDICT_OFF;
    VERDICT("good", "off");              /* off is its own state, not "stapled" */
    fresh();
    f.predicted = OA_PREDICT_FATAL;
    f.predict_reason = "mod_ssl cannot query https://x/";
    VERDICT("error", "fatal");
    ck_assert_str_eq(v.reason, "mod_ssl cannot query https://x/");
    fresh();
    f.predicted = OA_PREDICT_BROKEN;
    f.config_errors = 1;                 /* OA201: the issuer is missing */
    VERDICT("error", "broken");
    fresh();
    f.predicted = OA_PREDICT_UNKNOWN;
    VERDICT("warning", "unknown");
}
END_TEST

START_TEST(no_ocsp_url_same_everywhere)
{
    /* the linter's view */
    fresh();
    f.predicted = OA_PREDICT_BROKEN;
    f.stapling_on = 1;
    f.no_ocsp_url = 1;
    f.crl_url = "http://crl.test/int.crl";
    VERDICT("warning", "no-ocsp-url");
    ck_assert_ptr_nonnull(strstr(v.reason, "http://crl.test/int.crl"));
    ck_assert_ptr_nonnull(strstr(v.fix, "SSLUseStapling off"));
    /* the page's: probed, no staple */
    f.live = f.probed = f.staple_asked = 1;
    f.staple = "none";
    VERDICT("warning", "no-ocsp-url");
    /* the probe's: no configuration at all */
    fresh();
    f.live = f.probed = f.staple_asked = 1;
    f.no_ocsp_url = 1;
    f.staple = "none";
    VERDICT("warning", "no-ocsp-url");
    /* mod_md staples others: the advice is about mod_md */
    fresh();
    f.predicted = OA_PREDICT_BROKEN;
    f.stapling_on = f.md_staples = f.no_ocsp_url = 1;
    VERDICT("warning", "no-ocsp-url");
    ck_assert_ptr_nonnull(strstr(v.fix, "MDStapleOthers"));
    /* stapling off and no URL: nothing to do */
    fresh();
    f.predicted = OA_PREDICT_OFF;
    f.no_ocsp_url = 1;
    VERDICT("good", "off");
}
END_TEST

START_TEST(live_states)
{
    live_good();
    VERDICT("good", "stapled");
    ck_assert_ptr_null(v.fix);

    live_good();
    f.chain_lacks_issuer = 1;
    VERDICT("warning", "stapled");

    live_good();                          /* the responder went down: the cache lasts */
    f.responder_up = 0;
    f.responder_error = "refused";
    f.stops_at = f.next_update;
    VERDICT("warning", "at-risk");
    ck_assert(v.stops_at == f.next_update);
    ck_assert_ptr_nonnull(strstr(v.reason, "graceful restart"));
    f.now = f.stops_at - apr_time_from_sec(600);   /* within the hour: red */
    VERDICT("error", "at-risk");

    live_good();                          /* a faked tryLater is at risk too */
    f.staple = "trylater";
    f.responder_up = 0;
    VERDICT("warning", "at-risk");
    ck_assert_ptr_nonnull(strstr(v.reason, "made-up"));
    ck_assert(v.stops_at == 0);
    f.responder_trylater = 1;             /* the responder's own tryLater, stapled */
    VERDICT("warning", "at-risk");
    ck_assert_ptr_nonnull(strstr(v.reason, "responder answers tryLater"));
    ck_assert_ptr_nonnull(strstr(v.reason, "SSLStaplingErrorCacheTimeout"));
    ck_assert_ptr_nonnull(strstr(v.fix, "MDStapling on"));
    ck_assert(v.stops_at == 0);

    live_good();
    f.staple = "revoked";
    VERDICT("error", "revoked");

    live_good();
    f.staple_verified = 0;
    VERDICT("error", "bad-staple");

    live_good();
    f.staple = "none";
    VERDICT("error", "no-staple");
    f.predicted = OA_PREDICT_NONE;        /* a probe: off or not fetched, it cannot tell */
    f.stapling_on = 0;
    VERDICT("warning", "no-staple");

    live_good();                          /* not asked: the responder is down */
    f.staple_asked = 0;
    f.responder_up = 0;
    f.stops_at = f.next_update;
    VERDICT("warning", "at-risk");
    f.staple = "pending";                 /* ... and no good staple was ever seen */
    f.staple_verified = 0;
    f.stops_at = 0;
    VERDICT("error", "no-staple");

    live_good();
    f.probe_error = "connection refused";
    VERDICT("error", "unreachable");
    live_good();
    f.not_tls = 1;
    VERDICT("error", "unreachable");
    ck_assert_str_eq(v.reason, "this port speaks HTTP, not TLS");

    fresh();                               /* the page before the first round */
    f.predicted = OA_PREDICT_ACTIVE;
    f.live = 1;
    VERDICT("good", "pending");
}
END_TEST

START_TEST(name_mismatch)
{
    live_good();                          /* the name is covered: nothing to say */
    f.sni = "good.test";
    f.name_match = OA_NAME_COVERED;
    VERDICT("good", "stapled");

    live_good();                          /* no vhost has the name: the default answered */
    f.sni = "stray.test";
    f.served_names = "good.test";
    f.name_match = OA_NAME_DEFAULT_VHOST;
    VERDICT("error", "name-mismatch");
    ck_assert_ptr_nonnull(strstr(v.reason, "for the name stray.test does not cover it"));
    ck_assert_ptr_nonnull(strstr(v.reason, "its names: good.test"));
    ck_assert_ptr_nonnull(strstr(v.reason, "the default (first) vhost of this address answered"));
    ck_assert_ptr_nonnull(strstr(v.fix, "ServerAlias"));
    f.staple = "revoked";                 /* refused before its staple is read */
    VERDICT("error", "name-mismatch");

    live_good();                          /* a vhost has the name, with a wrong certificate */
    f.sni = "wrong.test";
    f.name_match = OA_NAME_OTHER_VHOST;
    VERDICT("error", "name-mismatch");
    ck_assert_ptr_nonnull(strstr(v.reason, "its names: no DNS name"));
    ck_assert_ptr_nonnull(strstr(v.fix, "SSLCertificateFile"));
    f.name_match = OA_NAME_NOT_COVERED;
    VERDICT("error", "name-mismatch");
    f.probe_error = "connection refused"; /* no handshake comes first */
    VERDICT("error", "unreachable");

    ck_assert_str_eq(oa_state_name(OA_STATE_NAME_MISMATCH), "name-mismatch");
    ck_assert_str_eq(oa_state_name(OA_STATE_PENDING), "pending");
    ck_assert_str_eq(oa_name_match_name(OA_NAME_DEFAULT_VHOST), "default-vhost");
    ck_assert_str_eq(oa_name_match_name(OA_NAME_OTHER_VHOST), "other-vhost");
}
END_TEST

START_TEST(self_signed_and_must_staple)
{
    fresh();
    f.live = f.probed = f.staple_asked = 1;
    f.self_signed = 1;
    f.staple = "none";
    f.predicted = OA_PREDICT_OFF;
    VERDICT("good", "self-signed");        /* the more specific: nothing to staple */
    f.predicted = OA_PREDICT_NONE;         /* the probe of a self-signed default vhost */
    VERDICT("good", "self-signed");
    f.stapling_on = 1;
    VERDICT("warning", "self-signed");

    fresh();
    f.must_staple = 1;
    f.predicted = OA_PREDICT_OFF;
    VERDICT("error", "must-staple-missing");
    live_good();
    f.must_staple = 1;
    VERDICT("good", "stapled");
    f.staple = "none";
    VERDICT("error", "must-staple-missing");
}
END_TEST

/* the revocation column: the staple, else the CRL as checked, else what the certificate
 * names; a CRL in trouble is a warning, a CRL that lists the certificate an error */
START_TEST(revocation_paths)
{
    ck_assert_str_eq(oa_revocation_name(OA_REVOCATION_CRL_UNCHECKED), "crl");
    ck_assert_str_eq(oa_revocation_name(OA_REVOCATION_NONE), "none");
    ck_assert_int_eq(oa_revocation_of_crl(OA_CRL_TIMEOUT), OA_REVOCATION_CRL_UNREACHABLE);
    ck_assert_int_eq(oa_revocation_of_crl(OA_CRL_TOO_LARGE), OA_REVOCATION_CRL_UNREACHABLE);
    ck_assert_int_eq(oa_revocation_of_crl(OA_CRL_FUTURE), OA_REVOCATION_CRL_STALE);
    ck_assert_int_eq(oa_revocation_of_crl(OA_CRL_BAD_SIGNATURE), OA_REVOCATION_CRL_INVALID);
    ck_assert_int_eq(oa_revocation_of_crl(OA_CRL_NO_ISSUER), OA_REVOCATION_UNKNOWN);

    live_good();
    f.cert_known = 1;
    VERDICT("good", "stapled");
    ck_assert_str_eq(oa_revocation_name(v.revocation), "staple");
    f.crl_url = "http://ca.test/int.crl";
    f.crl_checked = 1;
    f.crl = OA_CRL_OK;
    VERDICT("good", "stapled");                     /* both paths healthy */
    ck_assert_str_eq(oa_revocation_name(v.revocation), "staple");
    f.crl = OA_CRL_STALE;
    f.crl_message = "the CRL's nextUpdate is past";
    VERDICT("warning", "stapled");                  /* stapled, but the CRL is stale */
    ck_assert_ptr_nonnull(strstr(v.reason, "its CRL http://ca.test/int.crl is stale"));
    ck_assert_ptr_nonnull(strstr(v.fix, "tell the CA"));
    f.crl = OA_CRL_REVOKED;
    f.crl_message = "the CRL lists the certificate (serial 1F) as revoked";
    VERDICT("error", "revoked");                    /* a good staple does not outweigh it */
    ck_assert_str_eq(oa_revocation_name(v.revocation), "revoked");
    ck_assert_ptr_nonnull(strstr(v.reason, "(CRL http://ca.test/int.crl)"));

    /* no OCSP URL, stapling off: the CRL is the only path */
    fresh();
    f.live = f.probed = 1;
    f.cert_known = f.no_ocsp_url = 1;
    f.staple = "none";
    f.crl_url = "http://ca.test/int.crl";
    VERDICT("good", "off");
    ck_assert_str_eq(oa_revocation_name(v.revocation), "crl");
    f.crl_checked = 1;
    f.crl = OA_CRL_OK;
    VERDICT("good", "off");                         /* a healthy CRL: not an error */
    ck_assert_str_eq(oa_revocation_name(v.revocation), "crl-fresh");
    f.crl = OA_CRL_REFUSED;
    f.crl_message = "connection refused";
    VERDICT("warning", "off");
    ck_assert_str_eq(oa_revocation_name(v.revocation), "crl-unreachable");
    ck_assert_ptr_nonnull(strstr(v.fix, "reaches the CRL's host"));
    f.crl = OA_CRL_NO_ISSUER;                       /* not the CRL's fault */
    VERDICT("good", "off");
    ck_assert_str_eq(oa_revocation_name(v.revocation), "crl");
    f.crl_checked = 0;
    f.crl_url = NULL;
    VERDICT("good", "off");
    ck_assert_str_eq(oa_revocation_name(v.revocation), "none");

    /* self-signed: no CA, no path to judge */
    fresh();
    f.live = f.probed = 1;
    f.cert_known = f.self_signed = f.no_ocsp_url = 1;
    f.staple = "none";
    VERDICT("good", "self-signed");
    ck_assert_str_eq(oa_revocation_name(v.revocation), "unknown");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_verdict");
    TCase *tc = tcase_create("verdict");
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, names);
    tcase_add_test(tc, offline_predictions);
    tcase_add_test(tc, no_ocsp_url_same_everywhere);
    tcase_add_test(tc, live_states);
    tcase_add_test(tc, name_mismatch);
    tcase_add_test(tc, self_signed_and_must_staple);
    tcase_add_test(tc, revocation_paths);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
