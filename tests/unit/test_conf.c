/* The configuration reader: every construct checked against what httpd does. */
#include "oa_test.h"

#include "oa_conf.h"
#include "oa_modules.h"
#include "oa_suppress.h"

/* Modules most tests load: SSL, macro, version is built in. */
#define PRELUDE \
    "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n" \
    "LoadModule macro_module /usr/lib/apache2/modules/mod_macro.so\n" \
    "LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so\n"

static oa_conf_opts_t opts;
static oa_conf_t *conf;
static oa_diag_t *err;

static void setup(void)
{
    oa_test_setup();
    oa_conf_opts_init(&opts, tp);
    opts.skip_module_files = 1;   /* made-up module paths */
    opts.server_root = tdir;
    conf = NULL;
    err = NULL;
}

static apr_status_t parse(const char *text)
{
    return oa_conf_read_string(&conf, &err, tp, &opts, "test.conf", text);
}

static apr_status_t parse_file(const char *rel)
{
    opts.config_file = rel;
    return oa_conf_read(&conf, &err, tp, &opts);
}

/* the n-th node in document order */
static const oa_node_t *nth(int n)
{
    const oa_node_t *x = conf->first;
    while (x && n-- > 0) {
        x = oa_node_next_preorder(x);
    }
    return x;
}

static int count_nodes(void)
{
    int n = 0;
    const oa_node_t *x;
    for (x = conf->first; x; x = oa_node_next_preorder(x)) {
        n++;
    }
    return n;
}

static const oa_diag_t *diag(int i)
{
    return i < conf->diags->nelts ? APR_ARRAY_IDX(conf->diags, i, const oa_diag_t *) : NULL;
}

START_TEST(comments_blank_continuation)
{
    ck_assert_int_eq(parse("# comment\n\n   \nServerName a\\\n.example\\\n.org\nServerAdmin x@y\n"),
                     APR_SUCCESS);
    ck_assert_str_eq(nth(0)->directive, "ServerName");
    ck_assert_str_eq(nth(0)->args, "a.example.org");
    ck_assert_int_eq(nth(0)->line, 6);   /* httpd counts the last physical line */
    ck_assert_int_eq(nth(1)->line, 7);
    ck_assert_int_eq(count_nodes(), 2);
}
END_TEST

START_TEST(backslash_space_is_no_continuation)
{
    /* (Protocols: ServerAdmin takes one argument, and httpd refuses "a \\") */
    ck_assert_int_eq(parse("Protocols http/1.1 \\ \nServerName b\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "http/1.1 \\");
    ck_assert_str_eq(nth(1)->args, "b");
}
END_TEST

START_TEST(crlf_lines)
{
    ck_assert_int_eq(parse("ServerName a\r\nServerAdmin b\\\r\nc\r\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "a");
    ck_assert_str_eq(nth(1)->args, "bc");
}
END_TEST

START_TEST(quoting_like_getword_conf)
{
    apr_array_header_t *a = oa_conf_split_args(tp, "\"a b\" 'c \\' d' e\\\\f \"g\\\"h\" i\\\"j");
    ck_assert_int_eq(a->nelts, 5);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, const char *), "a b");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 1, const char *), "c ' d");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 2, const char *), "e\\f");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 3, const char *), "g\"h");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 4, const char *), "i\\\"j");
}
END_TEST

START_TEST(sections_case_insensitive)
{
    ck_assert_int_eq(parse("<virtualhost *:443 [::1]:8443>\nservername A\n</VIRTUALHOST>\n"),
                     APR_SUCCESS);
    ck_assert_str_eq(nth(0)->directive, "<virtualhost");
    ck_assert_str_eq(nth(0)->args, "*:443 [::1]:8443");
    ck_assert_ptr_eq(nth(1)->parent, nth(0));
    ck_assert_int_eq(nth(1)->line, 2);
}
END_TEST

START_TEST(section_errors)
{
    ck_assert_int_eq(parse("<VirtualHost *:1>\n</Directory>\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Expected </VirtualHost> but saw </Directory>");
    ck_assert_int_eq(err->line, 2);

    ck_assert_int_eq(parse("ServerName x\n<VirtualHost *:1>\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "test.conf:2: <VirtualHost> was not closed.");
    ck_assert_int_eq(err->line, 2);

    ck_assert_int_eq(parse("</VirtualHost>\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "</VirtualHost> without matching <VirtualHost> section");

    ck_assert_int_eq(parse("<VirtualHost *:1\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "<VirtualHost> directive missing closing '>'");

    ck_assert_int_eq(parse("<VirtualHost *:1>\n</VirtualHost >\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "</VirtualHost> directive missing closing '>'");
}
END_TEST

START_TEST(true_if_unclosed_at_eof_is_accepted)
{
    /* httpd says "Syntax OK" to this */
    ck_assert_int_eq(parse("<IfModule mod_so.c>\nServerName a\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "a");
    /* a false one is an error */
    ck_assert_int_eq(parse("<IfModule !mod_so.c>\nServerName a\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Expected </IfModule> before end of configuration");
}
END_TEST

START_TEST(define_and_variables)
{
    setenv("OA_TEST_ENV", "from-env", 1);
    ck_assert_int_eq(parse("Define name a.example\nDefine port 8443\n"
                           "<VirtualHost *:${port}>\nServerName ${name}\n"
                           "ServerAdmin ${OA_TEST_ENV}\nServerAlias ${nope} $x ${map:key}\n"
                           "</VirtualHost>\nUnDefine name\nServerName ${name}\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "*:8443");
    ck_assert_str_eq(nth(1)->args, "a.example");
    ck_assert_str_eq(nth(2)->args, "from-env");
    ck_assert_str_eq(nth(3)->args, "${nope} $x ${map:key}");
    ck_assert_str_eq(nth(4)->args, "${name}");
    /* undefined: a warning each, none for ${map:key} (mod_rewrite's syntax) */
    ck_assert_int_eq(conf->diags->nelts, 2);
    ck_assert_str_eq(diag(0)->message, "Config variable ${nope} is not defined");
    ck_assert_int_eq(diag(0)->line, 6);
    ck_assert_int_eq(diag(0)->severity, OA_SEV_WARNING);
    ck_assert_int_eq(diag(1)->line, 9);
}
END_TEST

START_TEST(values_not_rescanned)
{
    ck_assert_int_eq(parse("Define a ${b}\nDefine b x\nServerName ${a}\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "${b}");
}
END_TEST

START_TEST(opts_env_before_process_env)
{
    setenv("OA_TEST_ENV2", "process", 1);
    opts.env = apr_table_make(tp, 2);
    apr_table_set(opts.env, "OA_TEST_ENV2", "envvars");
    ck_assert_int_eq(parse("ServerName ${OA_TEST_ENV2}\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "envvars");
}
END_TEST

START_TEST(ifdefine)
{
    APR_ARRAY_PUSH(opts.defines, const char *) = "CLI";
    ck_assert_int_eq(parse("<IfDefine CLI>\nServerName a\n</IfDefine>\n"
                           "<IfDefine !CLI>\nServerName b\n</IfDefine>\n"
                           "Define Later\n<IfDefine Later>\n<IfDefine !Nope>\nServerName c\n"
                           "</IfDefine>\n</IfDefine>\n"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 2);
    ck_assert_str_eq(nth(0)->args, "a");
    ck_assert_str_eq(nth(1)->args, "c");
    ck_assert_ptr_null(nth(1)->parent);   /* spliced: no node for <IfDefine> */
    ck_assert(oa_conf_is_defined(conf, "Later"));
}
END_TEST

START_TEST(false_section_soaks_without_resolving)
{
    ck_assert_int_eq(parse("<IfDefine NO>\n<VirtualHost *:1>\nServerName ${undef}\n"
                           "</VirtualHost>\nBogusDirective x\n</IfDefine>\nServerName ok\n"),
                     APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 1);
    ck_assert_int_eq(conf->diags->nelts, 0);
    ck_assert_int_eq(parse("<IfDefine NO>\n<Foo>\n</Bar>\n</IfDefine>\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Expected </Foo> but saw </Bar>");
    ck_assert_int_eq(err->line, 3);
}
END_TEST

START_TEST(ifmodule_by_name_and_id)
{
    ck_assert_int_eq(parse(PRELUDE "<IfModule mod_ssl.c>\nServerName a\n</IfModule>\n"
                           "<IfModule ssl_module>\nServerName b\n</IfModule>\n"
                           "<IfModule !mod_ssl.c>\nServerName c\n</IfModule>\n"
                           "<IfModule mod_rewrite.c>\nServerName d\n</IfModule>\n"
                           "<IfModule !rewrite_module>\nServerName e\n</IfModule>\n"
                           "<IfModule version_module>\nServerName f\n</IfModule>\n"
                           "<IfModule mod_version.c>\nServerName g\n</IfModule>\n"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 5);
    ck_assert_str_eq(nth(0)->args, "a");
    ck_assert_str_eq(nth(1)->args, "b");
    ck_assert_str_eq(nth(2)->args, "e");
    ck_assert_str_eq(nth(3)->args, "f");
    ck_assert_str_eq(nth(4)->args, "g");
    ck_assert(oa_conf_has_module(conf, "ssl_module"));
    ck_assert(oa_conf_has_module(conf, "mod_ssl.c"));
    ck_assert(!oa_conf_has_module(conf, "mod_rewrite.c"));
}
END_TEST

START_TEST(loadmodule_missing_file)
{
    opts.skip_module_files = 0;
    ck_assert_int_eq(parse("ServerName a\nLoadModule foo_module modules/mod_foo.so\n"),
                     APR_EGENERAL);
    ck_assert_int_eq(err->line, 2);
    ck_assert_str_eq(err->message, apr_psprintf(tp, "Cannot load modules/mod_foo.so into "
                     "server: %s/modules/mod_foo.so: cannot open shared object file: No such "
                     "file or directory", tdir));
    ck_assert_int_eq(parse("LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n"),
                     APR_SUCCESS);
    ck_assert_int_eq(parse("ServerRoot \"\"\n"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "ServerRoot takes one argument"));
}
END_TEST

START_TEST(loadmodule_twice_and_builtin)
{
    ck_assert_int_eq(parse(PRELUDE "LoadModule ssl_module modules/mod_ssl.so\n"), APR_SUCCESS);
    ck_assert_int_eq(conf->diags->nelts, 1);
    ck_assert_str_eq(diag(0)->message, "module ssl_module is already loaded, skipping");
    ck_assert_int_eq(parse("LoadModule version_module x.so\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "module version_module is built-in and can't be loaded");
}
END_TEST

START_TEST(ifversion)
{
    opts.httpd_version[0] = 2;
    opts.httpd_version[1] = 4;
    opts.httpd_version[2] = 62;
    ck_assert_int_eq(parse("<IfVersion >= 2.4>\nServerName a\n</IfVersion>\n"
                           "<IfVersion < 2.4.10>\nServerName b\n</IfVersion>\n"
                           "<IfVersion 2.4.62>\nServerName c\n</IfVersion>\n"
                           "<IfVersion = 2.4>\nServerName d\n</IfVersion>\n"
                           "<IfVersion ~ ^2\\.4\\.>\nServerName e\n</IfVersion>\n"
                           "<IfVersion /^2\\.2/>\nServerName f\n</IfVersion>\n"
                           "<IfVersion !< 2.4.62>\nServerName g\n</IfVersion>\n"
                           "<IfVersion > 2>\nServerName h\n</IfVersion>\n"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 5);
    ck_assert_str_eq(nth(0)->args, "a");
    ck_assert_str_eq(nth(1)->args, "c");
    ck_assert_str_eq(nth(2)->args, "e");
    ck_assert_str_eq(nth(3)->args, "g");
    ck_assert_str_eq(nth(4)->args, "h");
    ck_assert_int_eq(parse("<IfVersion >= 2.x>\n</IfVersion>\n"), APR_EGENERAL);
}
END_TEST

START_TEST(iffile_ifdirective_ifsection)
{
    oa_test_write("present.txt", "x");
    ck_assert_int_eq(parse(PRELUDE "<IfFile present.txt>\nServerName a\n</IfFile>\n"
                           "<IfFile !/nonexistent/x>\nServerName b\n</IfFile>\n"
                           "<IfDirective SSLUseStapling>\nServerName c\n</IfDirective>\n"
                           "<IfDirective RewriteEngine>\nServerName d\n</IfDirective>\n"
                           "<IfSection VirtualHost>\nServerName e\n</IfSection>\n"
                           "<IfSection !Proxy>\nServerName f\n</IfSection>\n"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 5);
    ck_assert_str_eq(nth(0)->args, "a");
    ck_assert_str_eq(nth(1)->args, "b");
    ck_assert_str_eq(nth(2)->args, "c");
    ck_assert_str_eq(nth(3)->args, "e");
    ck_assert_str_eq(nth(4)->args, "f");
    ck_assert_int_eq(parse("<IfFile>\n</IfFile>\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "<IfFile> directive requires additional arguments");
}
END_TEST

START_TEST(invalid_command_when_module_missing)
{
    ck_assert_int_gt(oa_directive_count(), 100);
    ck_assert_int_eq(parse("ServerName a\nSSLEngine on\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Invalid command 'SSLEngine', perhaps misspelled or defined "
                     "by a module not included in the server configuration");
    ck_assert_int_eq(err->line, 2);
    ck_assert_ptr_nonnull(strstr(err->hint, "mod_ssl.c"));
    ck_assert_int_eq(parse("Bogus x\n"), APR_EGENERAL);
    /* looked up once the tree is read, as httpd does: LoadModule may come later
     * (RHEL's httpd.conf has Listen before Include conf.modules.d/) */
    ck_assert_int_eq(parse("SSLEngine on\nListen 80\n" PRELUDE
                           "LoadModule mpm_event_module /x/mod_mpm_event.so\n"), APR_SUCCESS);
    /* a section httpd would run while reading but does not know yet stays in the tree,
     * and is known when the tree is processed (apache2 -t: Syntax OK) */
    ck_assert_int_eq(parse("<Macro M>\nServerName x\n</Macro>\n" PRELUDE), APR_SUCCESS);
    /* and an unknown directive above it is the error httpd reports */
    ck_assert_int_eq(parse("Bogus\n<Macro M>\nServerName x\n</Macro>\n"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "Invalid command 'Bogus'"));
    ck_assert_int_eq(err->line, 1);
    ck_assert_int_eq(parse("<Macro M>\nServerName x\n</Macro>\n"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "Invalid command '<Macro'"));
    ck_assert_int_eq(err->line, 1);
    /* a module we do not know may provide anything */
    ck_assert_int_eq(parse("LoadModule thirdparty_module /x/mod_thirdparty.so\nBogus x\n"), APR_SUCCESS);
}
END_TEST

START_TEST(macro_use_and_locations)
{
    ck_assert_int_eq(parse(PRELUDE "<Macro VHost $name $port>\n# a comment\n"
                           "<VirtualHost *:$port>\n  ServerName $name\n</VirtualHost>\n</Macro>\n"
                           "Use VHost a.example 8443\nuse vhost \"b.example\" 9443\n"
                           "UndefMacro VHost\n"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 4);
    ck_assert_str_eq(nth(0)->args, "*:8443");
    ck_assert_int_eq(nth(0)->line, 10);
    ck_assert_str_eq(nth(0)->macro, "vhost");
    ck_assert_int_eq(nth(0)->macro_line, 6);
    ck_assert_str_eq(nth(1)->args, "a.example");
    ck_assert_int_eq(nth(1)->macro_line, 7);
    ck_assert_str_eq(nth(3)->args, "b.example");
    ck_assert_int_eq(nth(3)->line, 11);
}
END_TEST

START_TEST(macro_section_spans_use)
{
    /* a macro may open a section that the file closes, as with httpd's array config */
    ck_assert_int_eq(parse(PRELUDE "<Macro Open $a>\n<VirtualHost $a>\n</Macro>\n"
                           "Use Open *:1\nServerName inside\n</VirtualHost>\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(1)->args, "inside");
    ck_assert_ptr_eq(nth(1)->parent, nth(0));
}
END_TEST

START_TEST(macro_errors)
{
    ck_assert_int_eq(parse(PRELUDE "<Macro M $a>\nUse M $a\n</Macro>\nUse M x\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "recursive use of macro 'm' is invalid");
    ck_assert_int_eq(parse(PRELUDE "<Macro M $a $b>\nServerName $a$b\n</Macro>\nUse M x\n"),
                     APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "used with 1 arguments instead of 2"));
    ck_assert_int_eq(parse(PRELUDE "Use Nope\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "no macro defined before Use");
    ck_assert_int_eq(parse(PRELUDE "<Macro M>\nServerName x\n"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "expected token not found: </Macro>"));
    ck_assert_int_eq(parse("<Macro M>\n</Macro>\n"), APR_EGENERAL); /* mod_macro not loaded */
}
END_TEST

START_TEST(macro_longest_parameter_and_at_escape)
{
    ck_assert_int_eq(parse(PRELUDE "<Macro M $n $name @q>\nServerName $name.$n\nServerAdmin @q\n"
                           "</Macro>\nUse M short long \"a \\\"b\"\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "long.short");
    ck_assert_str_eq(nth(1)->args, "\"a \\\"b\"");
}
END_TEST

START_TEST(nested_macro)
{
    ck_assert_int_eq(parse(PRELUDE "<Macro Inner $x>\nServerAlias $x\n</Macro>\n"
                           "<Macro Outer $y>\n<VirtualHost *:1>\nServerName $y\nUse Inner www.$y\n"
                           "</VirtualHost>\n</Macro>\nUse Outer a.example\n"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 3);
    ck_assert_str_eq(nth(2)->args, "www.a.example");
    ck_assert_str_eq(nth(2)->macro, "inner");
    ck_assert_int_eq(nth(2)->line, 13);   /* the outermost Use */
}
END_TEST

START_TEST(confine_hides_files_outside)
{
    /* a file outside the confined directory (the parent of tdir/in) exists, but not for
     * the reader: Include fails as for a missing file, IncludeOptional finds nothing */
    const char *outside = oa_test_write("out.conf", "ServerAdmin outside\n");
    oa_test_write("in/inside.conf", "ServerAdmin inside\n");
    opts.server_root = apr_pstrcat(tp, tdir, "/in", NULL);
    opts.confine = opts.server_root;
    ck_assert_int_eq(parse(apr_psprintf(tp, "Include inside.conf\nIncludeOptional %s\n"
                                        "IncludeOptional ../*.conf\n<IfFile %s>\n"
                                        "ServerAdmin iffile\n</IfFile>\n", outside, outside)),
                     APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 1);
    ck_assert_str_eq(nth(0)->args, "inside");
    ck_assert_int_ne(parse(apr_psprintf(tp, "Include %s\n", outside)), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(err->message, "out.conf"));
    ck_assert_int_ne(parse("ServerRoot /\n"), APR_SUCCESS);
    opts.confine = NULL;
    ck_assert_int_eq(parse(apr_psprintf(tp, "Include %s\n", outside)), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 1);
}
END_TEST

START_TEST(include_glob_order_and_dirs)
{
    oa_test_write("main.conf", "ServerName main\nInclude sites/*.conf\nInclude dir\n"
                  "Include conf.d/*/vh.conf\nIncludeOptional nothing/*.conf\n"
                  "IncludeOptional missing.conf\n");
    oa_test_write("sites/b.conf", "ServerAdmin b\n");
    oa_test_write("sites/a.conf", "ServerAdmin a\n");
    oa_test_write("sites/.hidden.conf", "ServerAdmin hidden\n");
    oa_test_write("sites/c.txt", "ServerAdmin txt\n");
    oa_test_write("dir/z", "ServerAdmin dz\n");
    oa_test_write("dir/sub/y", "ServerAdmin dsy\n");
    oa_test_write("conf.d/x/vh.conf", "ServerAdmin x\n");
    oa_test_write("conf.d/w/vh.conf", "ServerAdmin w\n");
    ck_assert_int_eq(parse_file("main.conf"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 7);
    ck_assert_str_eq(nth(1)->args, "a");
    ck_assert_str_eq(nth(2)->args, "b");
    ck_assert_str_eq(nth(3)->args, "dsy");
    ck_assert_str_eq(nth(4)->args, "dz");
    ck_assert_str_eq(nth(5)->args, "w");
    ck_assert_str_eq(nth(6)->args, "x");
    ck_assert_int_eq(conf->files->nelts, 7);
    ck_assert_ptr_nonnull(strstr(nth(1)->file, "/sites/a.conf"));
}
END_TEST

START_TEST(include_errors)
{
    oa_test_write("m1.conf", "ServerName x\nInclude /nonexistent-oa/x.conf\n");
    ck_assert_int_eq(parse_file("m1.conf"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Could not open configuration file /nonexistent-oa/x.conf: "
                     "No such file or directory");
    ck_assert_int_eq(err->line, 2);
    oa_test_write("m2.conf", "Include /etc/*.nomatch-oa\n");
    ck_assert_int_eq(parse_file("m2.conf"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Include/IncludeOptional: No matches for the wildcard "
                     "'*.nomatch-oa' in '/etc', failing");
    oa_test_write("m3.conf", "Include /nonexistent-oa/*.conf\n");
    ck_assert_int_eq(parse_file("m3.conf"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Include/IncludeOptional: Could not open directory "
                     "/nonexistent-oa: No such file or directory");
    /* sections must close in the file that opened them */
    oa_test_write("m4.conf", "Include open.conf\n</VirtualHost>\n");
    oa_test_write("open.conf", "<VirtualHost *:1>\n");
    ck_assert_int_eq(parse_file("m4.conf"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "<VirtualHost> was not closed."));
    ck_assert_ptr_nonnull(strstr(err->file, "open.conf"));
}
END_TEST

START_TEST(include_cycle)
{
    oa_test_write("a.conf", "ServerName a\nInclude b.conf\n");
    oa_test_write("b.conf", "Include a.conf\n");
    ck_assert_int_eq(parse_file("a.conf"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "Include cycle:"));
    ck_assert_ptr_nonnull(strstr(err->message, "b.conf:1 includes"));
    ck_assert_ptr_nonnull(strstr(err->message, "a.conf:2 includes"));
}
END_TEST

START_TEST(include_cycle_through_wildcards_ends)
{
    oa_test_write("w/one.conf", "Include w/*.conf\n");
    oa_test_write("w/two.conf", "Include w/*.conf\n");
    oa_test_write("wm.conf", "Include w/*.conf\n");
    ck_assert_int_eq(parse_file("wm.conf"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "Include cycle:"));
}
END_TEST

START_TEST(long_lines)
{
    apr_size_t n = 2 * 1024 * 1024;
    char *big = apr_palloc(tp, n + 32);
    memcpy(big, "ServerAdmin ", 12);
    memset(big + 12, 'a', n);
    strcpy(big + 12 + n, "\nServerName x\n");
    ck_assert_int_eq(parse(big), APR_SUCCESS);   /* httpd accepts up to 16 MB */
    ck_assert_int_eq(strlen(nth(0)->args), n);
    ck_assert_int_eq(nth(1)->line, 2);
}
END_TEST

START_TEST(too_long_line)
{
    apr_size_t n = 17 * 1024 * 1024;
    FILE *f;
    const char *path = apr_pstrcat(tp, tdir, "/huge.conf", NULL);
    f = fopen(path, "wb");
    fputs("ServerName x\nServerAdmin ", f);
    {
        char chunk[65536];
        apr_size_t i;
        memset(chunk, 'a', sizeof(chunk));
        for (i = 0; i < n / sizeof(chunk); i++) {
            fwrite(chunk, 1, sizeof(chunk), f);
        }
    }
    fclose(f);
    ck_assert_int_eq(parse_file("huge.conf"), APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(err->message, "Line too long"));
    ck_assert_int_eq(err->line, 2);
}
END_TEST

START_TEST(binary_file)
{
    static const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0\nmore\n";
    FILE *f = fopen(apr_pstrcat(tp, tdir, "/bin.conf", NULL), "wb");
    fwrite(elf, 1, sizeof(elf) - 1, f);
    fclose(f);
    ck_assert_int_eq(parse_file("bin.conf"), APR_EGENERAL);
    ck_assert_int_eq(err->line, 1);
    ck_assert_ptr_nonnull(strstr(err->message, "Invalid command '\\x7fELF\\x02\\x01\\x01"));
    ck_assert_ptr_nonnull(strstr(err->hint, "binary data"));
}
END_TEST

START_TEST(deep_nesting)
{
    int i, n = 3000;
    char *s = apr_pstrdup(tp, "");
    const char *open = "<IfModule mod_so.c>\n", *close = "</IfModule>\n";
    apr_size_t ol = strlen(open), cl = strlen(close);
    char *buf = apr_palloc(tp, (ol + cl) * (apr_size_t)n + 64), *o = buf;
    (void)s;
    for (i = 0; i < n; i++, o += ol) {
        memcpy(o, open, ol);
    }
    o += apr_snprintf(o, 64, "ServerName deep\n");
    for (i = 0; i < n; i++, o += cl) {
        memcpy(o, close, cl);
    }
    *o = '\0';
    ck_assert_int_eq(parse(buf), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 1);
    /* 3000 real sections deep (httpd accepts <Files> in <Files>): a tree 3000 deep,
     * walked without recursion */
    o = buf;
    for (i = 0; i < n; i++) {
        o += apr_snprintf(o, 64, "<Files f%d>\n", i % 10);
    }
    o += apr_snprintf(o, 64, "Options None\n");
    for (i = 0; i < n; i++) {
        o += apr_snprintf(o, 64, "</Files>\n");
    }
    *o = '\0';
    ck_assert_int_eq(parse(buf), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), n + 1);
    /* but <Location> in <Location> is refused, as httpd does */
    ck_assert_int_eq(parse("<Location /a>\n<Location /b>\n</Location>\n</Location>\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "<Location not allowed in <Location> context");
    ck_assert_int_eq(err->line, 2);
    ck_assert_int_eq(parse("<Location /a>\n<Files x>\n</Files>\n</Location>\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "<Files> cannot occur within <Location> section");
}
END_TEST

START_TEST(nul_byte_ends_the_line)
{
    static const char text[] = "ServerAdmin a@b.test\0junk\nServerName x.test\n";
    FILE *f = fopen(apr_pstrcat(tp, tdir, "/nul.conf", NULL), "wb");
    fwrite(text, 1, sizeof(text) - 1, f);
    fclose(f);
    ck_assert_int_eq(parse_file("nul.conf"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "a@b.test");
    ck_assert_int_eq(conf->diags->nelts, 1);
    ck_assert_ptr_nonnull(strstr(diag(0)->message, "NUL byte"));
}
END_TEST

START_TEST(long_include_chain_is_not_a_cycle)
{
    int i;
    oa_test_write("chain/main.conf", "Include chain/1.conf\n");
    for (i = 1; i <= 129; i++) {
        oa_test_write(apr_psprintf(tp, "chain/%d.conf", i),
                      i < 129 ? apr_psprintf(tp, "Include chain/%d.conf\n", i + 1) : "ServerAdmin x\n");
    }
    ck_assert_int_eq(parse_file("chain/main.conf"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "Exceeded maximum include depth of 128, There appears to be "
                     "a recursion.");
}
END_TEST

START_TEST(missing_main_config)
{
    ck_assert_int_eq(APR_STATUS_IS_ENOENT(parse_file("nope.conf")), 1);
    ck_assert_ptr_nonnull(strstr(err->message, "Could not open configuration file"));
}
END_TEST

START_TEST(serverroot_directive)
{
    oa_test_write("root2/inc.conf", "ServerAdmin in-root2\n");
    ck_assert_int_eq(parse(apr_pstrcat(tp, "ServerRoot ", tdir, "/root2\nInclude inc.conf\n",
                                       NULL)), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "in-root2");
    ck_assert_int_eq(parse("ServerRoot /nonexistent-oa\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "ServerRoot must be a valid directory");
}
END_TEST

START_TEST(core_checks_of_modelled_directives)
{
    ck_assert_int_eq(parse("ServerAlias x\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "ServerAlias only used in <VirtualHost>");
    ck_assert_int_eq(parse("ServerName \"\"\n"), APR_EGENERAL);
    ck_assert_str_eq(err->message, "ServerName takes one argument, The hostname and port of the server");
    ck_assert_int_eq(parse("<VirtualHost *:1>\n<VirtualHost *:2>\n</VirtualHost>\n</VirtualHost>\n"),
                     APR_EGENERAL);
    ck_assert_str_eq(err->message, "<VirtualHost> cannot occur within <VirtualHost> section");
    ck_assert_int_eq(err->line, 2);
}
END_TEST

START_TEST(cond_section_argument_like_httpd)
{
    /* '!' off the raw argument, then one word; the rest of the line is ignored */
    ck_assert_int_eq(parse(PRELUDE "<IfModule !\"mod_macro.c\">\nServerAdmin a\n</IfModule>\n"
                           "<IfModule mod_macro.c ignored words>\nServerAdmin b\n</IfModule>\n"
                           "<IfFile ! \"/no such file\">\nServerAdmin c\n</IfFile>\n"), APR_SUCCESS);
    ck_assert_int_eq(count_nodes(), 2);
    ck_assert_str_eq(nth(0)->args, "b");
    ck_assert_str_eq(nth(1)->args, "c");
    /* an unclosed false section is reported where it starts */
    ck_assert_int_eq(parse("ServerAdmin x\n<IfDefine NOPE>\nServerAdmin y\n\n"), APR_EGENERAL);
    ck_assert_int_eq(err->line, 2);
}
END_TEST

START_TEST(suppression_comment)
{
    ck_assert_int_eq(parse("# ocsp-lint: disable=OA203,stapling-off because reasons\n"
                           "<VirtualHost *:1>\nServerAdmin x\n</VirtualHost>\n"
                           "# ocsp-lint: disable=OA101\n\nServerAdmin y\nServerAdmin z\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->suppress, "OA203,stapling-off");
    ck_assert_ptr_null(nth(1)->suppress);
    ck_assert_str_eq(nth(2)->suppress, "OA101");
    ck_assert_ptr_null(nth(3)->suppress);
}
END_TEST

START_TEST(suppress_comment_by_reading_lines)
{
    /* the module's way (httpd keeps no comments) agrees with the reader's */
    const char *f = oa_test_write("s.conf", "# ocsp-lint: disable=OA101 why\n\n# other\n"
                                  "ServerAdmin a\nServerAdmin b\n# ocsp-lint: disable=x,y\n"
                                  "ServerAdmin c\n");
    oa_suppress_cache_t *c = oa_suppress_cache_make(tp);
    ck_assert_str_eq(oa_suppress_above(c, f, 4), "OA101");
    ck_assert_ptr_null(oa_suppress_above(c, f, 5));
    ck_assert_str_eq(oa_suppress_above(c, f, 7), "x,y");
    ck_assert_ptr_null(oa_suppress_above(c, "/nonexistent-oa", 3));
    ck_assert_int_eq(parse_file("s.conf"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->suppress, "OA101");
    ck_assert_ptr_null(nth(1)->suppress);
    ck_assert_str_eq(nth(2)->suppress, "x,y");
}
END_TEST

START_TEST(suppress_comment_stays_in_its_file)
{
    oa_test_write("m.conf", "Include a.conf\nServerAdmin m\n");
    oa_test_write("a.conf", "ServerAdmin a\n# ocsp-lint: disable=OA101\n");
    ck_assert_int_eq(parse_file("m.conf"), APR_SUCCESS);
    ck_assert_ptr_null(nth(1)->suppress);
}
END_TEST

START_TEST(macro_origin_from_httpd_names)
{
    oa_node_t n;
    memset(&n, 0, sizeof(n));
    ck_assert(!oa_node_set_macro_origin(tp, &n, "/etc/apache2/x.conf", 3));
    ck_assert(oa_node_set_macro_origin(tp, &n, "macro 'vh' (defined on line 3 of \"/f.conf\") "
                                       "used on line 10 of \"/g.conf\"", 1));
    ck_assert_str_eq(n.macro, "vh");
    ck_assert_str_eq(n.macro_def_file, "/f.conf");
    ck_assert_int_eq(n.macro_def_line, 3);
    ck_assert_str_eq(n.file, "/g.conf");
    ck_assert_int_eq(n.line, 10);
    memset(&n, 0, sizeof(n));
    ck_assert(oa_node_set_macro_origin(tp, &n, "macro 'inner' (defined on line 1 of \"/f\") used on "
                                       "line 2 of \"macro 'outer' (defined on line 5 of \"/f\") "
                                       "used on line 26 of \"/x/main.conf\"\"", 1));
    ck_assert_str_eq(n.macro, "inner");
    ck_assert_str_eq(n.file, "/x/main.conf");
    ck_assert_int_eq(n.line, 26);
}
END_TEST

START_TEST(pre_and_post_directives)
{
    APR_ARRAY_PUSH(opts.pre_directives, const char *) = "Define PRE";
    APR_ARRAY_PUSH(opts.post_directives, const char *) = "ServerAdmin post@x";
    ck_assert_int_eq(parse("<IfDefine PRE>\nServerName pre-seen\n</IfDefine>\n"), APR_SUCCESS);
    ck_assert_str_eq(nth(0)->args, "pre-seen");
    ck_assert_str_eq(nth(1)->args, "post@x");
}
END_TEST

START_TEST(path_maps)
{
    apr_array_header_t *map = NULL;
    oa_conf_opts_t mopts;
    oa_conf_t *mconf;
    oa_diag_t *merr = NULL;
    const char *conf_dir;

    ck_assert_ptr_nonnull(oa_conf_path_map_add(tp, &map, "etc=conf"));
    ck_assert_ptr_nonnull(oa_conf_path_map_add(tp, &map, "/etc/apache2"));
    ck_assert_ptr_nonnull(oa_conf_path_map_add(tp, &map, "=x"));
    ck_assert_ptr_null(oa_conf_path_map_add(tp, &map, "/etc/apache2/=/src/conf/"));
    ck_assert_ptr_null(oa_conf_path_map_add(tp, &map, "/etc/apache2/ssl=/vault"));
    ck_assert_ptr_null(oa_conf_path_map_add(tp, &map, "/etc/letsencrypt=/src/certs"));
    ck_assert_str_eq(oa_conf_map_path(tp, map, "/etc/apache2"), "/src/conf");
    ck_assert_str_eq(oa_conf_map_path(tp, map, "/etc/apache2/apache2.conf"), "/src/conf/apache2.conf");
    /* the longest FROM wins, and only at a directory boundary */
    ck_assert_str_eq(oa_conf_map_path(tp, map, "/etc/apache2/ssl/k.pem"), "/vault/k.pem");
    ck_assert_str_eq(oa_conf_map_path(tp, map, "/etc/apache22/x"), "/etc/apache22/x");
    ck_assert_str_eq(oa_conf_map_path(tp, map, "/etc/letsencrypt/live/a/fullchain.pem"),
                     "/src/certs/live/a/fullchain.pem");
    ck_assert_str_eq(oa_conf_map_path(tp, NULL, "/etc/apache2/x"), "/etc/apache2/x");

    /* includes and ServerRoot as the server has them, read from the checkout */
    oa_test_write("co/conf/apache2.conf", "ServerRoot /srv/etc/apache2\nInclude sites/*.conf\n"
                  "Include /srv/etc/apache2/extra.conf\n");
    oa_test_write("co/conf/sites/a.conf", "ServerName a.test\n");
    conf_dir = oa_test_write("co/conf/extra.conf", "ServerAdmin x@a.test\n");
    map = NULL;
    ck_assert_ptr_null(oa_conf_path_map_add(tp, &map, apr_pstrcat(tp, "/srv/etc/apache2=", tdir,
                                                                 "/co/conf", NULL)));
    oa_conf_opts_init(&mopts, tp);
    mopts.server_root = apr_pstrcat(tp, tdir, "/co/conf", NULL);
    mopts.config_file = "apache2.conf";
    mopts.path_map = map;
    ck_assert_int_eq(oa_conf_read(&mconf, &merr, tp, &mopts), APR_SUCCESS);
    ck_assert_str_eq(mconf->server_root, apr_pstrcat(tp, tdir, "/co/conf", NULL));
    ck_assert_int_eq(mconf->files->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(mconf->files, 2, const char *), conf_dir);
    ck_assert_ptr_eq(mconf->path_map, map);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_conf_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, oa_test_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, comments_blank_continuation);
    tcase_add_test(tc, backslash_space_is_no_continuation);
    tcase_add_test(tc, crlf_lines);
    tcase_add_test(tc, quoting_like_getword_conf);
    tcase_add_test(tc, sections_case_insensitive);
    tcase_add_test(tc, section_errors);
    tcase_add_test(tc, true_if_unclosed_at_eof_is_accepted);
    tcase_add_test(tc, define_and_variables);
    tcase_add_test(tc, values_not_rescanned);
    tcase_add_test(tc, opts_env_before_process_env);
    tcase_add_test(tc, ifdefine);
    tcase_add_test(tc, false_section_soaks_without_resolving);
    tcase_add_test(tc, ifmodule_by_name_and_id);
    tcase_add_test(tc, loadmodule_twice_and_builtin);
    tcase_add_test(tc, loadmodule_missing_file);
    tcase_add_test(tc, ifversion);
    tcase_add_test(tc, iffile_ifdirective_ifsection);
    tcase_add_test(tc, invalid_command_when_module_missing);
    tcase_add_test(tc, macro_use_and_locations);
    tcase_add_test(tc, macro_section_spans_use);
    tcase_add_test(tc, macro_errors);
    tcase_add_test(tc, macro_longest_parameter_and_at_escape);
    tcase_add_test(tc, nested_macro);
    tcase_add_test(tc, include_glob_order_and_dirs);
    tcase_add_test(tc, confine_hides_files_outside);
    tcase_add_test(tc, include_errors);
    tcase_add_test(tc, include_cycle);
    tcase_add_test(tc, include_cycle_through_wildcards_ends);
    tcase_add_test(tc, long_lines);
    tcase_add_test(tc, too_long_line);
    tcase_add_test(tc, binary_file);
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, missing_main_config);
    tcase_add_test(tc, nul_byte_ends_the_line);
    tcase_add_test(tc, long_include_chain_is_not_a_cycle);
    tcase_add_test(tc, serverroot_directive);
    tcase_add_test(tc, pre_and_post_directives);
    tcase_add_test(tc, core_checks_of_modelled_directives);
    tcase_add_test(tc, cond_section_argument_like_httpd);
    tcase_add_test(tc, suppression_comment);
    tcase_add_test(tc, suppress_comment_by_reading_lines);
    tcase_add_test(tc, suppress_comment_stays_in_its_file);
    tcase_add_test(tc, macro_origin_from_httpd_names);
    tcase_add_test(tc, path_maps);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
