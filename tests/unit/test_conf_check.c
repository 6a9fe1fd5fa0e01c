/* oa_conf_check.c: where a directive is allowed, its arity and values, on nodes read from
 * strings; the messages are apache2 -t's (the integration suite compares them live). */
#include "oa_test.h"

#include "oa_conf.h"
#include "oa_conf_check.h"

#define MODS \
    "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n" \
    "LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so\n" \
    "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n" \
    "LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n" \
    "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n" \
    "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"

static oa_diag_t *err;

/* the error reading MODS + text gives, or NULL */
static const char *refusal(const char *text)
{
    oa_conf_opts_t opts;
    oa_conf_t *conf;
    oa_conf_opts_init(&opts, tp);
    opts.server_root = tdir;
    opts.skip_module_files = 1;
    err = NULL;
    if (oa_conf_read_string(&conf, &err, tp, &opts, "t.conf",
                            apr_pstrcat(tp, MODS, text, NULL)) == APR_SUCCESS) {
        return NULL;
    }
    return err->message;
}

START_TEST(contexts)
{
    ck_assert_str_eq(refusal("Require all granted\n"), "Require not allowed here");
    ck_assert_int_eq(err->line, 7);
    ck_assert_str_eq(refusal("<VirtualHost *:1>\nRequire all granted\n</VirtualHost>\n"),
                     "Require not allowed in <VirtualHost> context");
    ck_assert_str_eq(refusal("<Directory /x>\nSSLUseStapling on\n</Directory>\n"),
                     "SSLUseStapling not allowed in <Directory> context");
    /* the section as httpd names it, not as probed */
    ck_assert_str_eq(refusal("<directorymatch /x>\nServerName a\n</directorymatch>\n"),
                     "ServerName not allowed in <DirectoryMatch> context");
    ck_assert_str_eq(refusal("<VirtualHost *:1>\nListen 8080\n</VirtualHost>\n"),
                     "Listen cannot occur within <VirtualHost> section");
    /* ap_check_cmd_context looks at every section above; <Directory> before <Files> */
    ck_assert_str_eq(refusal("<Directory /x>\n<Files y>\nAlias /a\n</Files>\n</Directory>\n"),
                     "Alias cannot occur within <Directory> section");
    /* Alias: the test depends on the number of arguments */
    ck_assert_str_eq(refusal("<Location /a>\nAlias /a /srv/a\n</Location>\n"),
                     "Alias cannot occur within directory context");
    ck_assert_ptr_null(refusal("<Location /a>\nAlias /srv/a\n</Location>\n"));
    ck_assert_str_eq(refusal("<VirtualHost *:1>\nScriptAlias /srv/cgi\n</VirtualHost>\n"),
                     "Alias must have two arguments when used globally");
    ck_assert_ptr_null(refusal("<VirtualHost *:1>\nAlias /a /srv/a\n</VirtualHost>\n"));
    /* a handler's own test only at its own level */
    ck_assert_ptr_null(refusal("<VirtualHost *:1>\n<Directory /x>\nRewriteBase /a\n"
                               "</Directory>\n</VirtualHost>\n"));
    ck_assert_str_eq(refusal("<VirtualHost *:1>\nRewriteBase /a\n</VirtualHost>\n"),
                     "RewriteBase: only valid in per-directory config files");
    /* OA102 says it: the read goes on */
    ck_assert_ptr_null(refusal("<VirtualHost *:1>\nSSLStaplingCache shmcb:/x(1)\n"
                               "</VirtualHost>\n"));
}
END_TEST

START_TEST(arity)
{
    ck_assert_int_eq(oa_check_args_how("ServerName"), OA_ARGS_TAKE1);
    ck_assert_int_eq(oa_check_args_how("KeepAlive"), OA_ARGS_FLAG);
    ck_assert_int_eq(oa_check_args_how("Options"), OA_ARGS_RAW);
    ck_assert_str_eq(refusal("ServerName \"\"\n"),
                     "ServerName takes one argument, The hostname and port of the server");
    ck_assert_str_eq(refusal("KeepAlive maybe\n"), "KeepAlive must be On or Off");
    ck_assert_ptr_null(refusal("KeepAlive ON\nRewriteEngine on ignored\n"));
    ck_assert_ptr_nonnull(strstr(refusal("ErrorDocument 404\n"), "takes two arguments"));
}
END_TEST

START_TEST(values)
{
    ck_assert_str_eq(refusal("Listen 127.0.0.1:81\nListen 127.0.0.1:81 https\n"),
                     "Cannot define multiple Listeners on the same IP:port");
    ck_assert_int_eq(err->line, 8);
    ck_assert_ptr_null(refusal("Listen 127.0.0.1:81\nListen 127.0.0.2:81\nListen 0.0.0.0:82\n"
                               "Listen 82\n"));
    ck_assert_str_eq(refusal("Listen *:83\nListen 83\n"),
                     "Cannot define multiple Listeners on the same IP:port");
    ck_assert_str_eq(refusal("Listen localhost\n"), "Port must be specified");
    ck_assert_str_eq(refusal("Options +Indexes FollowSymLinks\n"),
                     "Either all Options must start with + or -, or no Option may.");
    ck_assert_ptr_null(refusal("Options All -Indexes\n"));
    ck_assert_str_eq(refusal("Options Indexes All\n"),
                     "'Options All' must be the first option given.");
    ck_assert_str_eq(refusal("LogLevel info nosuch:debug\n"), "Cannot find module nosuch");
    ck_assert_ptr_null(refusal("LogLevel info ssl:warn rewrite_module:trace3 mod_alias.c:debug\n"));
    ck_assert_str_eq(refusal("SSLProtocol TLSv1.0\n"), "SSLProtocol: Illegal protocol 'TLSv1.0'");
    ck_assert_ptr_null(refusal("SSLProtocol all -SSLv2 -SSLv3\n"));
    ck_assert_str_eq(refusal("KeepAliveTimeout 1.5\n"), "KeepAliveTimeout has wrong format");
    ck_assert_ptr_null(refusal("KeepAliveTimeout 500ms\n"));
    ck_assert_str_eq(refusal("SendBufferSize 100\n"),
                     "SendBufferSize must be >= 512 bytes, or 0 for system default.");
    ck_assert_ptr_nonnull(strstr(refusal("SSLSessionCache dbm:/x\n"),
                                 "SSLSessionCache: 'dbm' session cache not supported"));
    ck_assert_ptr_null(refusal("SSLSessionCache shmcb:/x(512000)\n"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_conf_check");
    TCase *tc = tcase_create("checks");
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, contexts);
    tcase_add_test(tc, arity);
    tcase_add_test(tc, values);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
