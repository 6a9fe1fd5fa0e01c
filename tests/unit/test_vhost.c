/* The vhost model: identity of each vhost and mod_ssl's merge of the main server. */
#include "oa_test.h"

#include "oa_conf.h"
#include "oa_vhost.h"

#define PRELUDE \
    "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n" \
    "LoadModule md_module /usr/lib/apache2/modules/mod_md.so\n" \
    "LoadModule macro_module /usr/lib/apache2/modules/mod_macro.so\n"

static oa_model_t *model;

static void setup(void)
{
    oa_test_setup();
    model = NULL;
}

static void build(const char *text)
{
    oa_conf_opts_t opts;
    oa_conf_t *conf;
    oa_diag_t *err;
    oa_conf_opts_init(&opts, tp);
    opts.skip_module_files = 1;   /* made-up module paths */
    opts.server_root = tdir;
    ck_assert_int_eq(oa_conf_read_string(&conf, &err, tp, &opts, "t.conf", text), APR_SUCCESS);
    ck_assert_int_eq(oa_model_build(&model, tp, conf), APR_SUCCESS);
}

static const oa_vhost_t *vh(int i)
{
    ck_assert_int_lt(i, model->vhosts->nelts);
    return APR_ARRAY_IDX(model->vhosts, i, const oa_vhost_t *);
}

static const char *val(const oa_vhost_t *v, const char *d)
{
    const oa_setting_t *s = oa_vhost_get(v, d);
    return s ? s->value : NULL;
}

START_TEST(identity)
{
    build(PRELUDE "ServerName main.example:80\n"
          "<VirtualHost *:443>\nServerName https://a.example:443\nServerAlias www.a.example\n"
          "ServerAlias x.a.example y.a.example\n</VirtualHost>\n"
          "<VirtualHost 192.0.2.1:8443 [2001:db8::1]:8443>\n</VirtualHost>\n"
          "<VirtualHost *:80>\n</VirtualHost>\n");
    ck_assert_int_eq(model->vhosts->nelts, 4);
    ck_assert(vh(0)->is_main);
    ck_assert_str_eq(vh(0)->name, "main.example");
    ck_assert_str_eq(vh(1)->name, "a.example");
    ck_assert_str_eq(vh(1)->name_source, "ServerName");
    ck_assert_int_eq(vh(1)->aliases->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(vh(1)->aliases, 2, const char *), "y.a.example");
    ck_assert_int_eq(vh(1)->line, 5);
    ck_assert_int_eq(vh(2)->addresses->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(vh(2)->addresses, 1, const char *), "[2001:db8::1]:8443");
    /* no ServerName of its own and a specific address: not the main server's name but
     * the address's (reverse lookup), as `apache2 -S` shows it; 192.0.2.0/24 has none */
    ck_assert_str_eq(vh(2)->name, "bogus_host_without_reverse_dns");
    ck_assert_str_eq(vh(2)->name_source, "address");
    /* on a wildcard address the main server's name */
    ck_assert_str_eq(vh(3)->name, "main.example");
    ck_assert_str_eq(vh(3)->name_source, "main");
}
END_TEST

START_TEST(name_from_address_without_main_name)
{
    build("<VirtualHost 192.0.2.1:8443>\n</VirtualHost>\n<VirtualHost *:1>\n</VirtualHost>\n");
    ck_assert_str_eq(vh(1)->name, "bogus_host_without_reverse_dns");
    ck_assert_str_eq(vh(1)->name_source, "address");
    ck_assert_str_eq(APR_ARRAY_IDX(vh(1)->resolved, 0, const char *), "192.0.2.1:8443");
    ck_assert_str_eq(vh(2)->name_source, "none");
}
END_TEST

START_TEST(merge_from_main)
{
    build(PRELUDE "SSLUseStapling on\nSSLStaplingResponderTimeout 5\nSSLEngine on\n"
          "SSLCertificateChainFile /main/chain.pem\n"
          "SSLStaplingCache shmcb:/tmp/x(32768)\n"
          "<VirtualHost *:443>\nSSLUseStapling off\nSSLCertificateFile /v/cert.pem\n</VirtualHost>\n"
          "<VirtualHost *:8443>\nSSLEngine off\n</VirtualHost>\n");
    ck_assert_str_eq(val(vh(1), "SSLUseStapling"), "off");
    ck_assert(!oa_vhost_get(vh(1), "SSLUseStapling")->inherited);
    ck_assert_str_eq(val(vh(1), "SSLStaplingResponderTimeout"), "5");
    ck_assert(oa_vhost_get(vh(1), "SSLStaplingResponderTimeout")->inherited);
    ck_assert_str_eq(val(vh(1), "SSLCertificateChainFile"), "/main/chain.pem");
    ck_assert(vh(1)->ssl);
    ck_assert(!vh(2)->ssl);
    ck_assert(oa_flag_on(oa_vhost_get(vh(2), "SSLUseStapling")));
    ck_assert_str_eq(oa_model_global(model, "SSLStaplingCache")->value, "shmcb:/tmp/x(32768)");
    ck_assert_ptr_null(oa_vhost_get(vh(1), "SSLStaplingCache"));
}
END_TEST

START_TEST(certkeys_positional_merge)
{
    const apr_array_header_t *a;
    build(PRELUDE "SSLCertificateFile /m/rsa.pem\nSSLCertificateFile /m/ecc.pem\n"
          "SSLCertificateKeyFile /m/rsa.key\n"
          "<VirtualHost *:443>\nSSLCertificateFile /v/rsa.pem\n</VirtualHost>\n"
          "<VirtualHost *:444>\n</VirtualHost>\n");
    a = oa_vhost_get_all(vh(1), "SSLCertificateFile");
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, const oa_setting_t *)->value, "/v/rsa.pem");
    ck_assert(!APR_ARRAY_IDX(a, 0, const oa_setting_t *)->inherited);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 1, const oa_setting_t *)->value, "/m/ecc.pem");
    ck_assert(APR_ARRAY_IDX(a, 1, const oa_setting_t *)->inherited);
    ck_assert_int_eq(oa_vhost_get_all(vh(2), "SSLCertificateFile")->nelts, 2);
    ck_assert_int_eq(oa_vhost_get_all(vh(1), "SSLCertificateKeyFile")->nelts, 1);
}
END_TEST

START_TEST(only_server_level_counts)
{
    build(PRELUDE "<VirtualHost *:443>\nSSLEngine on\n<Location /x>\nOptions None\n</Location>\n"
          "<IfModule mod_ssl.c>\nSSLUseStapling on\n</IfModule>\n</VirtualHost>\n");
    ck_assert_int_eq(vh(1)->aliases->nelts, 0);
    ck_assert_str_eq(val(vh(1), "SSLUseStapling"), "on");   /* spliced from the true <IfModule> */
}
END_TEST

START_TEST(cache_in_vhost_stays_in_vhost)
{
    build(PRELUDE "<VirtualHost *:443>\nSSLStaplingCache shmcb:/x(1)\n</VirtualHost>\n");
    ck_assert_ptr_null(oa_model_global(model, "SSLStaplingCache"));
    ck_assert_str_eq(val(vh(1), "SSLStaplingCache"), "shmcb:/x(1)");
}
END_TEST

START_TEST(mod_md_domains)
{
    build(PRELUDE "MDomain a.example www.a.example auto\n"
          "<MDomainSet b.example>\nMDStapling on\n</MDomainSet>\n"
          "<VirtualHost *:443>\nServerName a.example\n</VirtualHost>\n"
          "<VirtualHost *:443>\nServerName other.example\nServerAlias b.example\n</VirtualHost>\n"
          "<VirtualHost *:443>\nServerName c.example\n</VirtualHost>\n");
    ck_assert_ptr_nonnull(vh(1)->md);
    ck_assert_int_eq(vh(1)->md->names->nelts, 2);
    ck_assert(!oa_flag_on(vh(1)->md->stapling));
    ck_assert_ptr_nonnull(vh(2)->md);
    ck_assert(oa_flag_on(vh(2)->md->stapling));
    ck_assert_ptr_null(vh(3)->md);
}
END_TEST

START_TEST(md_global_stapling)
{
    build(PRELUDE "MDStapling on\nMDomain a.example\n"
          "<VirtualHost *:443>\nServerName a.example\n</VirtualHost>\n");
    ck_assert(oa_flag_on(vh(1)->md->stapling));
}
END_TEST

START_TEST(probe_targets)
{
    const char *h;
    int port;
    build("<VirtualHost *:8443>\n</VirtualHost>\n<VirtualHost 192.0.2.7:444 *:1>\n</VirtualHost>\n"
          "<VirtualHost [::1]:9443>\n</VirtualHost>\n<VirtualHost _default_>\n</VirtualHost>\n");
    oa_vhost_probe_target(tp, vh(1), &h, &port);
    ck_assert_str_eq(h, "127.0.0.1");
    ck_assert_int_eq(port, 8443);
    oa_vhost_probe_target(tp, vh(2), &h, &port);
    ck_assert_str_eq(h, "192.0.2.7");
    ck_assert_int_eq(port, 444);
    oa_vhost_probe_target(tp, vh(3), &h, &port);
    ck_assert_str_eq(h, "::1");
    ck_assert_int_eq(port, 9443);
    oa_vhost_probe_target(tp, vh(4), &h, &port);
    ck_assert_str_eq(h, "127.0.0.1");
    ck_assert_int_eq(port, 443);
}
END_TEST

START_TEST(macro_vhost_location)
{
    build(PRELUDE "<Macro V $n>\n<VirtualHost *:443>\nServerName $n\n</VirtualHost>\n</Macro>\n"
          "Use V a.example\nUse V b.example\n");
    ck_assert_int_eq(model->vhosts->nelts, 3);
    ck_assert_int_eq(vh(1)->line, 9);
    ck_assert_int_eq(vh(2)->line, 10);
    ck_assert_str_eq(vh(2)->name, "b.example");
    ck_assert_str_eq(vh(2)->node->macro, "v");
    ck_assert_int_eq(vh(2)->node->macro_line, 5);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_vhost");
    TCase *tc = tcase_create("model");
    tcase_add_checked_fixture(tc, setup, oa_test_teardown);
    tcase_add_test(tc, identity);
    tcase_add_test(tc, name_from_address_without_main_name);
    tcase_add_test(tc, merge_from_main);
    tcase_add_test(tc, certkeys_positional_merge);
    tcase_add_test(tc, only_server_level_counts);
    tcase_add_test(tc, cache_in_vhost_stays_in_vhost);
    tcase_add_test(tc, mod_md_domains);
    tcase_add_test(tc, md_global_stapling);
    tcase_add_test(tc, macro_vhost_location);
    tcase_add_test(tc, probe_targets);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
