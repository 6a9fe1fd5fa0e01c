/*
 * ocsp-lint: argument parsing, reading the files, choosing the output. Everything
 * else is core/.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_lib.h>
#include <apr_signal.h>
#include <apr_strings.h>
#include <apr_file_info.h>
#include <apr_thread_proc.h>

#include "lint.h"
#include "oa_audit.h"
#include "oa_conf.h"
#include "oa_crl.h"
#include "oa_envvars.h"
#include "oa_modules.h"
#include "oa_report.h"
#include "oa_report_findings.h"
#include "oa_report_probe.h"
#include "oa_text.h"
#include "oa_vhost.h"


enum {
    OPT_VHOSTS = 256, OPT_FORMAT, OPT_FAIL_ON, OPT_ENVVARS, OPT_NO_ENVVARS, OPT_NO_MODULE_FILES, OPT_HTTPD,
    OPT_HTTPD_VERSION, OPT_BUILTINS, OPT_VERSION, OPT_HELP, OPT_SELECT, OPT_SKIP, OPT_EXPLAIN,
    OPT_EXPIRY, OPT_LIST_RULES, OPT_DOCS_URI, OPT_ONLINE, OPT_TIMEOUT, OPT_PATH_MAP,
    OPT_REQUIRE_FILES, OPT_SHOW_SUPPRESSED, OPT_SRCROOT, OPT_BASELINE, OPT_WRITE_BASELINE
};

/* Output formats: a row each. */
typedef enum {
    LINT_FMT_TEXT = 0,
    LINT_FMT_JSON,
    LINT_FMT_SARIF,
    LINT_FMT_GITLAB
} lint_format_e;

static const char *const format_names[] = { "text", "json", "sarif", "gitlab", NULL };

static int format_parse(const char *s)
{
    int i;
    for (i = 0; format_names[i]; i++) {
        if (!strcmp(s, format_names[i])) {
            return i;
        }
    }
    return -1;
}

/* the public rule pages (./configure --with-docs-url) */
#ifndef OA_DOCS_URL
#define OA_DOCS_URL "https://github.com/mod-ocsp-audit/mod_ocsp_audit/blob/main/docs/rules/"
#endif

static const apr_getopt_option_t options[] = {
    { "file", 'f', 1, "the main configuration file (default: the platform's)" },
    { "server-root", 'd', 1, "the initial ServerRoot (default: guessed from the config's place)" },
    { "define", 'D', 1, "define a name for <IfDefine> (like httpd -D), repeatable" },
    { "pre", 'C', 1, "a directive to read before the config (like httpd -C)" },
    { "post", 'c', 1, "a directive to read after the config (like httpd -c)" },
    { "vhosts", OPT_VHOSTS, 0, "print the virtual host inventory" },
    { "format", OPT_FORMAT, 1, "text (default), json, sarif, gitlab (Code Quality report)" },
    { "path-map", OPT_PATH_MAP, 1, "FROM=TO: read the server's path FROM (and below) at TO, e.g. "
      "/etc/apache2=conf; repeatable" },
    { "require-files", OPT_REQUIRE_FILES, 0, "a missing certificate or key file is an error "
      "(on the server itself); default: its checks are skipped" },
    { "show-suppressed", OPT_SHOW_SUPPRESSED, 0, "also list the findings that '# ocsp-lint: "
      "disable=' comments silence, marked so (they never change the exit status)" },
    { "srcroot", OPT_SRCROOT, 1, "SARIF/GitLab paths and fingerprints are relative to DIR "
      "(default: the current directory)" },
    { "baseline", OPT_BASELINE, 1, "report and fail only on findings not in this baseline file" },
    { "write-baseline", OPT_WRITE_BASELINE, 1, "write the findings' fingerprints to FILE, "
      "report as usual and exit 0" },
    { "select", OPT_SELECT, 1, "run only these rules (IDs or slugs, comma-separated), repeatable" },
    { "skip", OPT_SKIP, 1, "do not run these rules (IDs or slugs, comma-separated), repeatable" },
    { "expiry-days", OPT_EXPIRY, 1, "warn about certificates expiring within N days (default 14)" },
    { "explain", OPT_EXPLAIN, 1, "print the documentation of a rule (ID or slug)" },
    { "list-rules", OPT_LIST_RULES, 0, "list the rules" },
    { "docs-uri", OPT_DOCS_URI, 1, "base URI of the rule pages for SARIF helpUri (default: "
      OA_DOCS_URL ")" },
    { "verbose", 'v', 0, "also print each SSL vhost's predicted stapling" },
    { "online", OPT_ONLINE, 0, "also ask the OCSP responder and check the CRL of each distinct certificate" },
    { "timeout", OPT_TIMEOUT, 1, "seconds for each network phase with --online (default 5)" },
    { "fail-on", OPT_FAIL_ON, 1, "exit 1 on findings at or above: note, warning, error (default)" },
    { "envvars", OPT_ENVVARS, 1, "read variables from this shell file (Debian's envvars)" },
    { "no-envvars", OPT_NO_ENVVARS, 0, "do not read SERVERROOT/envvars" },
    { "no-module-files", OPT_NO_MODULE_FILES, 0, "do not check that LoadModule's files exist (a config for another machine)" },
    { "httpd", OPT_HTTPD, 1, "ask this httpd binary for its built-in modules and version" },
    { "httpd-version", OPT_HTTPD_VERSION, 1, "version for <IfVersion> (default 2.4.71; --httpd asks the binary)" },
    { "builtin-modules", OPT_BUILTINS, 1, "comma-separated built-in modules (core.c,mod_so.c,...)" },
    { "quiet", 'q', 0, "print only findings" },
    { "version", OPT_VERSION, 0, "print the version" },
    { "help", 'h', 0, "this help" },
    { NULL, 0, 0, NULL }
};

typedef struct {
    oa_conf_opts_t copts;
    int vhosts;
    lint_format_e format;
    const char *srcroot;
    const char *baseline;
    const char *write_baseline;
    int fail_on;
    const char *envvars;
    int no_envvars;
    const char *httpd;
    int quiet;
    int verbose;
    oa_audit_opts_t audit;
    const char *docs_uri;
    int online;
    oa_probe_opts_t probe;
} lint_opts_t;

static void usage(FILE *out)
{
    int i;
    fprintf(out, "usage: ocsp-lint [options] [CONFIG]\n"
            "       ocsp-lint probe [options] HOST[:PORT]...   (see ocsp-lint probe --help)\n\n"
            "Lint Apache httpd configurations for OCSP stapling problems.\n\n");
    for (i = 0; options[i].name; i++) {
        const apr_getopt_option_t *o = &options[i];
        char sh[8] = "    ";
        if (o->optch < 256) {
            apr_snprintf(sh, sizeof(sh), "-%c, ", o->optch);
        }
        fprintf(out, "  %s--%s%s\n        %s\n", sh, o->name, o->has_arg ? " ARG" : "",
                o->description);
    }
    fprintf(out, "\nExit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or I/O "
            "error, 3 the configuration cannot be parsed.\n");
}

static int file_exists(apr_pool_t *p, const char *path)
{
    apr_finfo_t fi;
    return apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS;
}

static int parse_version(const char *s, int v[3])
{
    int n = sscanf(s, "%d.%d.%d", &v[0], &v[1], &v[2]);
    if (n < 2) {
        return 0;
    }
    if (n == 2) {
        v[2] = 0;
    }
    return 1;
}

/* Run `httpd ARG` and return its stdout (bounded), or NULL. */
static const char *run_httpd(apr_pool_t *p, const char *httpd, const char *arg)
{
    apr_procattr_t *attr;
    apr_proc_t proc;
    const char *argv[3];
    char buf[16384];
    apr_size_t n, total = 0;
    char *out = apr_pstrdup(p, "");
    int code;
    apr_exit_why_e why;

    argv[0] = httpd;
    argv[1] = arg;
    argv[2] = NULL;
    if (apr_procattr_create(&attr, p) != APR_SUCCESS
        || apr_procattr_io_set(attr, APR_NO_PIPE, APR_FULL_BLOCK, APR_NO_PIPE) != APR_SUCCESS
        || apr_procattr_cmdtype_set(attr, APR_PROGRAM) != APR_SUCCESS
        || apr_proc_create(&proc, httpd, argv, NULL, attr, p) != APR_SUCCESS) {
        return NULL;
    }
    for (;;) {
        n = sizeof(buf) - 1;
        if (apr_file_read(proc.out, buf, &n) != APR_SUCCESS || n == 0) {
            break;
        }
        buf[n] = '\0';
        if (total < 1024 * 1024) {
            out = apr_pstrcat(p, out, buf, NULL);
            total += n;
        }
    }
    apr_file_close(proc.out);
    apr_proc_wait(&proc, &code, &why, APR_WAIT);
    return out;
}

static void ask_httpd(apr_pool_t *p, lint_opts_t *o)
{
    const char *l = run_httpd(p, o->httpd, "-l");
    const char *v = run_httpd(p, o->httpd, "-v");
    if (l && !o->copts.builtin_modules) {
        apr_array_header_t *mods = apr_array_make(p, 8, sizeof(const char *));
        char *last, *line;
        for (line = apr_strtok(apr_pstrdup(p, l), "\n", &last); line;
             line = apr_strtok(NULL, "\n", &last)) {
            while (apr_isspace(*line)) {
                line++;
            }
            if (strlen(line) > 2 && !strcmp(line + strlen(line) - 2, ".c")) {
                APR_ARRAY_PUSH(mods, const char *) = apr_pstrdup(p, line);
            }
        }
        if (mods->nelts) {
            o->copts.builtin_modules = mods;
        }
    }
    if (v && !o->copts.httpd_version[0]) {
        const char *s = strstr(v, "Apache/");
        if (s) {
            parse_version(s + 7, o->copts.httpd_version);
        }
    }
}

/* The config and ServerRoot as the platform has them, or guessed from the config's
 * place: Debian keeps apache2.conf in the ServerRoot, RHEL keeps conf/httpd.conf
 * below it. */
static void default_paths(apr_pool_t *p, lint_opts_t *o)
{
    oa_conf_opts_t *c = &o->copts;
    /* -d /etc/apache2 with --path-map /etc/apache2=conf reads conf */
    if (c->server_root && c->server_root[0] == '/') {
        c->server_root = oa_conf_map_path(p, c->path_map, c->server_root);
    }
    if (c->config_file && c->config_file[0] == '/') {
        c->config_file = oa_conf_map_path(p, c->path_map, c->config_file);
    }
    if (!c->config_file) {
        if (c->server_root) {
            const char *deb = apr_pstrcat(p, c->server_root, "/apache2.conf", NULL);
            c->config_file = file_exists(p, deb) ? "apache2.conf" : "conf/httpd.conf";
        }
        else if (file_exists(p, "/etc/apache2/apache2.conf") || !file_exists(p, "/etc/httpd/conf/httpd.conf")) {
            c->server_root = "/etc/apache2";
            c->config_file = "apache2.conf";
        }
        else {
            c->server_root = "/etc/httpd";
            c->config_file = "conf/httpd.conf";
        }
    }
    else if (!c->server_root) {
        char *abs = NULL, *slash;
        apr_filepath_merge(&abs, NULL, c->config_file, APR_FILEPATH_TRUENAME, p);
        c->config_file = abs ? abs : c->config_file;
        slash = strrchr(abs ? abs : "", '/');
        if (slash) {
            const char *dir = apr_pstrmemdup(p, abs, (apr_size_t)(slash - abs));
            apr_size_t dl = strlen(dir);
            if (dl >= 5 && !strcmp(dir + dl - 5, "/conf") && !strcmp(slash + 1, "httpd.conf")) {
                dir = apr_pstrmemdup(p, dir, dl - 5);
            }
            c->server_root = *dir ? dir : "/";
        }
    }
    {
        char *abs = NULL;
        if (apr_filepath_merge(&abs, NULL, c->server_root, APR_FILEPATH_TRUENAME, p) == APR_SUCCESS) {
            c->server_root = abs;
        }
    }
    if (c->config_file[0] != '/') {
        c->config_file = oa_conf_server_relative(p, c->server_root, c->config_file);
    }
    if (!c->builtin_modules) {
        const char *rhel = apr_pstrcat(p, c->server_root, "/conf.modules.d", NULL);
        c->builtin_modules = file_exists(p, rhel) ? oa_builtin_modules_rhel(p)
                                                  : oa_builtin_modules_debian(p);
    }
}

/* where the rule pages are: $OA_DOCS_DIR, the installed pages, the source tree */
static const char *docs_dir(apr_pool_t *p)
{
    const char *env = getenv("OA_DOCS_DIR");
    if (env && *env) {
        return env;
    }
    if (file_exists(p, OA_DOCS_INSTALLED "/OA101.md")) {
        return OA_DOCS_INSTALLED;
    }
    return OA_DOCS_SRCDIR;
}

static int explain(apr_pool_t *p, const char *name)
{
    const oa_rule_t *r = oa_rule_find(name);
    const char *path;
    apr_file_t *f;
    char buf[4096];
    apr_size_t n;
    if (!r) {
        fprintf(stderr, "ocsp-lint: no rule '%s' (see --list-rules)\n", name);
        return LINT_EXIT_USAGE;
    }
    path = apr_pstrcat(p, docs_dir(p), "/", r->id, ".md", NULL);
    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS) {
        printf("%s %s (%s): %s\n(the rule's page %s is not installed)\n", r->id, r->slug,
               oa_severity_name(r->severity), r->summary, path);
        return LINT_EXIT_CLEAN;
    }
    for (;;) {
        n = sizeof(buf);
        if (apr_file_read(f, buf, &n) != APR_SUCCESS || !n) {
            break;
        }
        fwrite(buf, 1, n, stdout);
    }
    apr_file_close(f);
    return LINT_EXIT_CLEAN;
}

/* --online: one responder check per distinct certificate; after a network failure,
 * the other certificates of the same responder are not tried again. And the CRL of each
 * (one fetch per distribution point). */
typedef struct {
    const oa_certinfo_t *ci;
    const oa_analysis_t *an;
    oa_responder_check_t *check;    /* NULL: the certificate names no responder */
    int skipped;
    oa_crl_check_t *crl;            /* NULL: it names no http:// CRL distribution point */
} online_t;

/* did the certificate's responder or CRL fail? */
static int online_responder_failed(const online_t *on)
{
    return on->check && (on->skipped || strcmp(on->check->verdict, "ok"));
}

static int online_crl_failed(const online_t *on)
{
    return on->crl && on->crl->verdict != OA_CRL_OK;
}

static apr_array_header_t *online_checks(apr_pool_t *p, const oa_audit_t *a,
                                         const oa_probe_opts_t *po)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(online_t));
    oa_responder_cache_t *cache = oa_responder_cache_make(p);
    oa_crl_cache_t *crls = oa_crl_cache_make(p);
    apr_hash_t *seen = apr_hash_make(p), *crl_of = apr_hash_make(p);
    oa_crl_opts_t co;
    int i, k;
    oa_probe_crl_opts(&co, po);
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, const oa_analysis_t *);
        for (k = 0; k < an->certs->nelts; k++) {
            /* the CRL check goes into the certificate's facts: the vhosts' verdicts */
            oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, k, oa_certinfo_t *);
            const char *fp, *crl_url = ci->leaf ? oa_x509_crl_url(p, ci->leaf) : NULL;
            online_t *o;
            if (!ci->leaf || !ci->issuer || !(ci->url || ci->ocsp_url || crl_url)) {
                continue;
            }
            fp = oa_x509_fingerprint(p, ci->leaf);
            if (apr_hash_get(seen, fp, APR_HASH_KEY_STRING)) {
                ci->crl = apr_hash_get(crl_of, fp, APR_HASH_KEY_STRING);
                continue;   /* one line per certificate */
            }
            apr_hash_set(seen, fp, APR_HASH_KEY_STRING, fp);
            o = apr_array_push(out);
            memset(o, 0, sizeof(*o));
            o->ci = ci;
            o->an = an;
            if (ci->url || ci->ocsp_url) {
                o->check = oa_responder_check_once(cache, p, ci->leaf, ci->issuer,
                                                   ci->url ? ci->url : ci->ocsp_url, po,
                                                   &o->skipped);
            }
            if (crl_url) {
                oa_crl_check(&o->crl, p, crls, ci->leaf, ci->issuer, crl_url, &co);
                ci->crl = o->crl;
                apr_hash_set(crl_of, fp, APR_HASH_KEY_STRING, o->crl);
            }
        }
    }
    return out;
}

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *online;
} online_json_t;

static void online_json(oa_json_t *js, void *ctx)
{
    online_json_t *oj = ctx;
    int i;
    oa_json_arr_open(js, "online");
    for (i = 0; i < oj->online->nelts; i++) {
        const online_t *on = &APR_ARRAY_IDX(oj->online, i, online_t);
        oa_json_obj_open(js, NULL);
        oa_json_str(js, "certificate", on->ci->cert_path);
        oa_json_str(js, "subject", oa_x509_subject(oj->p, on->ci->leaf));
        oa_json_str(js, "vhost", on->an->vh->name);
        oa_json_bool(js, "skipped", on->skipped);
        if (on->check && !on->skipped) {
            oa_responder_view_t rv;
            oa_responder_view_of_check(&rv, on->check, apr_time_now());
            oa_report_responder_members(js, oj->p, &rv);
        }
        if (on->crl) {
            oa_report_crl_json(js, oj->p, "crl", on->crl);
        }
        oa_json_obj_close(js);
    }
    oa_json_arr_close(js);
}

static int parse_args(apr_pool_t *p, int argc, const char *const *argv, lint_opts_t *o)
{
    apr_getopt_t *g;
    apr_status_t rv;
    int ch;
    const char *arg;

    memset(o, 0, sizeof(*o));
    oa_conf_opts_init(&o->copts, p);
    o->format = LINT_FMT_TEXT;
    o->fail_on = OA_SEV_ERROR;
    apr_getopt_init(&g, p, argc, argv);
    g->errfn = NULL;
    g->interleave = 1;   /* options after the config path too, as users type them */
    while ((rv = apr_getopt_long(g, options, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'f': o->copts.config_file = arg; break;
        case 'd': o->copts.server_root = arg; break;
        case 'D': APR_ARRAY_PUSH(o->copts.defines, const char *) = arg; break;
        case 'C': APR_ARRAY_PUSH(o->copts.pre_directives, const char *) = arg; break;
        case 'c': APR_ARRAY_PUSH(o->copts.post_directives, const char *) = arg; break;
        case 'q': o->quiet = 1; break;
        case OPT_VHOSTS: o->vhosts = 1; break;
        case OPT_FORMAT:
            if (format_parse(arg) < 0) {
                fprintf(stderr, "ocsp-lint: unknown --format '%s' (text, json, sarif, gitlab)\n",
                        arg);
                return 0;
            }
            o->format = (lint_format_e)format_parse(arg);
            break;
        case OPT_PATH_MAP: {
            const char *e = oa_conf_path_map_add(p, &o->copts.path_map, arg);
            if (e) {
                fprintf(stderr, "ocsp-lint: --path-map %s\n", e);
                return 0;
            }
            break;
        }
        case OPT_REQUIRE_FILES: o->audit.require_files = 1; break;
        case OPT_SHOW_SUPPRESSED: o->audit.show_suppressed = 1; break;
        case OPT_SRCROOT: o->srcroot = arg; break;
        case OPT_BASELINE: o->baseline = arg; break;
        case OPT_WRITE_BASELINE: o->write_baseline = arg; break;
        case 'v': o->verbose = 1; break;
        case OPT_SELECT:
        case OPT_SKIP: {
            const char *e = oa_audit_opts_add_rules(p, &o->audit, ch == OPT_SKIP, arg);
            if (e) {
                fprintf(stderr, "ocsp-lint: --%s: %s\n", ch == OPT_SKIP ? "skip" : "select", e);
                return 0;
            }
            break;
        }
        case OPT_EXPIRY: {
            const char *e = oa_audit_opts_set_expiry(&o->audit, arg);
            if (e) {
                fprintf(stderr, "ocsp-lint: --expiry-days %s, not '%s'\n", e, arg);
                return 0;
            }
            break;
        }
        case OPT_EXPLAIN:
            exit(explain(p, arg));
        case OPT_LIST_RULES: {
            const oa_rule_t *const *r;
            for (r = oa_rules(); *r; r++) {
                printf("%s %-28s %-7s %s\n", (*r)->id, (*r)->slug, oa_severity_name((*r)->severity),
                       (*r)->summary);
            }
            exit(LINT_EXIT_CLEAN);
        }
        case OPT_DOCS_URI: o->docs_uri = arg; break;
        case OPT_ONLINE: o->online = 1; break;
        case OPT_TIMEOUT: {
            char *end;
            long t = strtol(arg, &end, 10);
            if (*end || end == arg || t < 1 || t > 300) {
                fprintf(stderr, "ocsp-lint: --timeout takes seconds (1-300), not '%s'\n", arg);
                return 0;
            }
            o->probe.timeout = apr_time_from_sec(t);
            break;
        }
        case OPT_FAIL_ON:
            if ((o->fail_on = oa_severity_parse(arg)) < 0) {
                fprintf(stderr, "ocsp-lint: --fail-on takes note, warning or error, not '%s'\n", arg);
                return 0;
            }
            break;
        case OPT_ENVVARS: o->envvars = arg; break;
        case OPT_NO_ENVVARS: o->no_envvars = 1; break;
        case OPT_NO_MODULE_FILES: o->copts.skip_module_files = 1; break;
        case OPT_HTTPD: o->httpd = arg; break;
        case OPT_HTTPD_VERSION:
            if (!parse_version(arg, o->copts.httpd_version)) {
                fprintf(stderr, "ocsp-lint: --httpd-version takes MAJOR.MINOR[.PATCH], not '%s'\n", arg);
                return 0;
            }
            break;
        case OPT_BUILTINS: {
            char *last, *t;
            o->copts.builtin_modules = apr_array_make(p, 8, sizeof(const char *));
            for (t = apr_strtok(apr_pstrdup(p, arg), ",", &last); t; t = apr_strtok(NULL, ",", &last)) {
                APR_ARRAY_PUSH(o->copts.builtin_modules, const char *) = t;
            }
            break;
        }
        case OPT_VERSION:
            printf("ocsp-lint %s\n", OA_VERSION);
            exit(LINT_EXIT_CLEAN);
        case 'h':
            usage(stdout);
            exit(LINT_EXIT_CLEAN);
        default:
            return 0;
        }
    }
    if (rv != APR_EOF) {
        fprintf(stderr, "ocsp-lint: bad option %s (see --help)\n", g->argv[g->ind - 1]);
        return 0;
    }
    if (o->vhosts && o->format != LINT_FMT_TEXT && o->format != LINT_FMT_JSON) {
        fprintf(stderr, "ocsp-lint: --vhosts prints text or json, not %s\n",
                format_names[o->format]);
        return 0;
    }
    if (g->ind < argc) {
        if (o->copts.config_file || g->ind + 1 < argc) {
            fprintf(stderr, "ocsp-lint: one configuration file at a time (-f or a path)\n");
            return 0;
        }
        /* a path on the command line is taken from the current directory; only -f
         * follows httpd and is taken from ServerRoot */
        {
            char *abs = NULL;
            o->copts.config_file = g->argv[g->ind];
            if (apr_filepath_merge(&abs, NULL, o->copts.config_file, APR_FILEPATH_TRUENAME, p)
                == APR_SUCCESS) {
                o->copts.config_file = abs;
            }
        }
    }
    return 1;
}

static int load_envvars(apr_pool_t *p, lint_opts_t *o)
{
    const char *path = o->envvars;
    apr_status_t rv;
    if (o->no_envvars) {
        return 1;
    }
    if (!path) {
        path = apr_pstrcat(p, o->copts.server_root, "/envvars", NULL);
        if (!file_exists(p, path)) {
            return 1;
        }
    }
    o->copts.env = apr_table_make(p, 16);
    rv = oa_envvars_read(o->copts.env, p, path);
    if (rv == OA_ENVVARS_NOT_REGULAR) {
        fprintf(stderr, "%s: error: cannot read envvars: not a regular file (a FIFO, device "
                "or directory is not read)\n", path);
        return 0;
    }
    if (rv != APR_SUCCESS) {
        char ebuf[256];
        fprintf(stderr, "%s: error: cannot read envvars: %s\n", path,
                apr_strerror(rv, ebuf, sizeof(ebuf)));
        return 0;
    }
    return 1;
}

/* --format given anywhere on the command line, for the document written when the
 * arguments themselves are wrong */
static lint_format_e format_in_argv(int argc, const char *const *argv)
{
    int i, f = LINT_FMT_TEXT;
    for (i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            v = argv[i + 1];
        }
        else if (!strncmp(argv[i], "--format=", 9)) {
            v = argv[i] + 9;
        }
        if (v && format_parse(v) >= 0) {
            f = format_parse(v);
        }
    }
    return (lint_format_e)f;
}

static const char *abs_dir(apr_pool_t *p, const char *dir)
{
    char *abs = NULL;
    char buf[PATH_MAX];
    if (!dir) {
        if (apr_filepath_get(&abs, APR_FILEPATH_NATIVE, p) != APR_SUCCESS) {
            return NULL;
        }
        dir = abs;
    }
    else if (apr_filepath_merge(&abs, NULL, dir, APR_FILEPATH_TRUENAME, p) == APR_SUCCESS) {
        dir = abs;
    }
    /* the files are compared with symlinks resolved: so is the root */
    return realpath(dir, buf) ? apr_pstrdup(p, buf) : dir;
}

static void report_opts(apr_pool_t *p, const lint_opts_t *o, oa_report_opts_t *ro)
{
    memset(ro, 0, sizeof(*ro));
    ro->tool_version = OA_VERSION;
    ro->docs_uri = o->docs_uri ? o->docs_uri : OA_DOCS_URL;
    ro->srcroot = abs_dir(p, o->srcroot);
}

/* Exit 2 or 3: the error on stderr, and in JSON, SARIF and GitLab a document that says so
 * (a CI upload step gets a valid file, never an empty one). */
static int fail_with(apr_pool_t *p, const lint_opts_t *o, lint_format_e fmt, const char *kind,
                     const oa_diag_t *err, int code)
{
    oa_report_opts_t ro;
    report_opts(p, o, &ro);
    oa_report_diag_text(p, err, oa_out_file, stderr);
    if (fmt == LINT_FMT_JSON) {
        oa_report_error_json(p, &ro, o->copts.config_file, o->copts.server_root, kind, err,
                             oa_out_file, stdout);
    }
    else if (fmt == LINT_FMT_SARIF) {
        oa_report_error_sarif(p, &ro, kind, err, oa_out_file, stdout);
    }
    else if (fmt == LINT_FMT_GITLAB) {
        apr_array_header_t *none = apr_array_make(p, 1, sizeof(oa_finding_t *));
        oa_report_findings_gitlab(p, none, &ro, oa_out_file, stdout);
    }
    fflush(stdout);
    return code;
}

/* --online for SARIF and GitLab: each failed responder check as a result at the
 * certificate's directive */
static const oa_rule_t online_rule = {
    "OA-ONLINE", "online-responder", OA_SEV_ERROR,
    "ocsp-lint --online: the OCSP responder of a certificate did not answer as it should",
    NULL
};

/* the same for a CRL that is not healthy; listed only when some CRL was checked */
static const oa_rule_t online_crl_rule = {
    "OA-ONLINE-CRL", "online-crl", OA_SEV_ERROR,
    "ocsp-lint --online: the CRL of a certificate could not be fetched, is not valid, or "
    "lists the certificate as revoked",
    NULL
};

static oa_finding_t *online_finding(apr_pool_t *p, const online_t *on, const oa_rule_t *rule)
{
    oa_finding_t *f = apr_pcalloc(p, sizeof(*f));
    f->rule = rule;
    f->vh = on->an->vh;
    f->node = on->ci->cert_setting->node;
    f->d.severity = OA_SEV_ERROR;
    f->d.file = f->node->file;
    f->d.line = f->node->line;
    return f;
}

static apr_array_header_t *online_findings(apr_pool_t *p, const apr_array_header_t *online)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(oa_finding_t *));
    int i;
    for (i = 0; online && i < online->nelts; i++) {
        const online_t *on = &APR_ARRAY_IDX(online, i, online_t);
        oa_finding_t *f;
        if (online_crl_failed(on)) {
            f = online_finding(p, on, &online_crl_rule);
            f->d.message = apr_psprintf(p, "CRL %s for %s: %s: %s", on->crl->url,
                                        on->ci->cert_path, oa_crl_verdict_name(on->crl->verdict),
                                        on->crl->message);
            APR_ARRAY_PUSH(out, oa_finding_t *) = f;
        }
        if (!online_responder_failed(on)) {
            continue;
        }
        f = online_finding(p, on, &online_rule);
        f->d.message = on->skipped
            ? apr_psprintf(p, "responder not asked about %s (%s): it failed for another "
                           "certificate", oa_x509_subject(p, on->ci->leaf), on->ci->cert_path)
            : apr_psprintf(p, "responder %s for %s: %s%s%s", on->check->url, on->ci->cert_path,
                           on->check->verdict, on->check->message ? ": " : "",
                           on->check->message ? on->check->message : "");
        APR_ARRAY_PUSH(out, oa_finding_t *) = f;
    }
    return out;
}

#define BASELINE_HEAD "# ocsp-lint baseline v1: FINGERPRINT RULE FILE:LINE (see --baseline)\n"

static apr_status_t write_baseline(apr_pool_t *p, const char *path, const oa_audit_t *a,
                                   const char *srcroot)
{
    apr_file_t *f;
    apr_status_t rv;
    int i;
    rv = apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                       APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_file_puts(BASELINE_HEAD, f);
    for (i = 0; i < a->findings->nelts; i++) {
        const oa_finding_t *fd = APR_ARRAY_IDX(a->findings, i, const oa_finding_t *);
        const char *file = oa_report_edited_file(p, fd->d.file);
        const char *rel = oa_report_relative(p, srcroot, file);
        apr_file_printf(f, "%s %s %s:%d\n", fd->fingerprint, fd->rule->id, rel ? rel : file,
                        fd->d.line);
    }
    rv = apr_file_close(f);
    return rv;
}

/* the fingerprints of a baseline file: the first word of each line that is not a comment */
static apr_status_t read_baseline(apr_hash_t **pset, apr_pool_t *p, const char *path)
{
    apr_file_t *f;
    apr_status_t rv;
    char line[4096];
    apr_hash_t *set = apr_hash_make(p);
    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_file_gets(line, sizeof(line), f) == APR_SUCCESS) {
        apr_size_t n = strspn(line, "0123456789abcdef");
        if (line[0] != '#' && n == 64) {
            apr_hash_set(set, apr_pstrmemdup(p, line, n), n, "");
        }
    }
    apr_file_close(f);
    *pset = set;
    return APR_SUCCESS;
}

/* leave out the findings a baseline has */
static void apply_baseline(oa_audit_t *a, apr_hash_t *set)
{
    apr_array_header_t *kept = apr_array_make(a->pool, a->findings->nelts, sizeof(oa_finding_t *));
    int i;
    for (i = 0; i < a->findings->nelts; i++) {
        oa_finding_t *f = APR_ARRAY_IDX(a->findings, i, oa_finding_t *);
        if (apr_hash_get(set, f->fingerprint, APR_HASH_KEY_STRING)) {
            a->baselined++;
        }
        else {
            APR_ARRAY_PUSH(kept, oa_finding_t *) = f;
        }
    }
    a->findings = kept;
    for (i = 0; i < a->analyses->nelts; i++) {
        oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, oa_analysis_t *);
        apr_array_header_t *mine = apr_array_make(a->pool, 4, sizeof(oa_finding_t *));
        int k;
        for (k = 0; k < an->findings->nelts; k++) {
            oa_finding_t *f = APR_ARRAY_IDX(an->findings, k, oa_finding_t *);
            if (!apr_hash_get(set, f->fingerprint, APR_HASH_KEY_STRING)) {
                APR_ARRAY_PUSH(mine, oa_finding_t *) = f;
            }
        }
        an->findings = mine;
    }
}

static void print_crl_text(const online_t *on)
{
    const oa_crl_check_t *c = on->crl;
    if (!c) {
        return;
    }
    printf("%s: %s: CRL %s: %s: %s [online]\n", on->ci->cert_path,
           c->verdict == OA_CRL_OK ? "ok" : "error", c->url, oa_crl_verdict_name(c->verdict),
           c->message);
    if (c->ip && !c->cached) {
        printf("    %s: dns %" APR_TIME_T_FMT " ms, connect %" APR_TIME_T_FMT
               " ms, response %" APR_TIME_T_FMT " ms\n", c->ip, apr_time_as_msec(c->t_dns),
               apr_time_as_msec(c->t_connect), apr_time_as_msec(c->t_response));
    }
}

static void print_online_text(apr_pool_t *p, const apr_array_header_t *online)
{
    int i;
    for (i = 0; online && i < online->nelts; i++) {
        const online_t *on = &APR_ARRAY_IDX(online, i, online_t);
        const oa_responder_check_t *r = on->check;
        print_crl_text(on);
        if (!r) {
            continue;
        }
        if (on->skipped) {
            printf("%s: error: responder not asked about %s: it failed for another "
                   "certificate [online]\n", oa_text_escape(p, on->ci->cert_path),
                   oa_text_escape(p, oa_x509_subject(p, on->ci->leaf)));
            continue;
        }
        /* the URL and the message come from the certificate and the responder */
        printf("%s: %s: responder %s: %s%s%s [online]\n", oa_text_escape(p, on->ci->cert_path),
               strcmp(r->verdict, "ok") ? "error" : "ok", oa_text_escape(p, r->url), r->verdict,
               r->message ? ": " : "", oa_text_escape(p, r->message));
        if (r->conn && r->conn->ip) {
            printf("    %s: dns %" APR_TIME_T_FMT " ms, connect %" APR_TIME_T_FMT
                   " ms, response %" APR_TIME_T_FMT " ms\n", r->conn->ip,
                   apr_time_as_msec(r->conn->t_dns), apr_time_as_msec(r->conn->t_connect),
                   apr_time_as_msec(r->t_response));
        }
    }
}

static void print_summary(const oa_audit_t *a, const oa_conf_t *conf, const oa_model_t *model)
{
    int k, c[3] = { 0, 0, 0 };
    const char *verdict;
    for (k = 0; k < a->findings->nelts; k++) {
        c[APR_ARRAY_IDX(a->findings, k, const oa_finding_t *)->d.severity]++;
    }
    verdict = !strcmp(a->startup, OA_STARTUP_FAILS) ? "httpd would refuse to start"
              : !strcmp(a->startup, OA_STARTUP_UNKNOWN)
              ? "whether httpd would start is unknown: files it reads were not checked"
              : "httpd would start";
    printf("%s: %d error%s, %d warning%s, %d note%s (%d suppressed", conf->config_file,
           c[2], c[2] == 1 ? "" : "s", c[1], c[1] == 1 ? "" : "s", c[0],
           c[0] == 1 ? "" : "s", a->suppressed);
    if (a->baselined) {
        printf(", %d in the baseline", a->baselined);
    }
    if (a->skipped->nelts) {
        printf(", %d file%s not checked", a->skipped->nelts, a->skipped->nelts == 1 ? "" : "s");
    }
    printf(") in %d SSL vhost%s of %d; %s\n", a->analyses->nelts,
           a->analyses->nelts == 1 ? "" : "s", model->vhosts->nelts - 1, verdict);
}

static int run_vhosts(apr_pool_t *p, const lint_opts_t *o, oa_conf_t *conf, oa_model_t *model)
{
    int i, worst = -1;
    if (o->format == LINT_FMT_JSON) {
        oa_report_vhosts_json(p, model, oa_out_file, stdout, OA_VERSION);
    }
    else {
        oa_report_vhosts_text(p, model, oa_out_file, stdout);
    }
    for (i = 0; i < conf->diags->nelts; i++) {
        const oa_diag_t *d = APR_ARRAY_IDX(conf->diags, i, const oa_diag_t *);
        worst = (int)d->severity > worst ? (int)d->severity : worst;
        if (o->format != LINT_FMT_JSON) {
            oa_report_diag_text(p, d, oa_out_file, stderr);
        }
    }
    return worst;
}

/* the audit in the chosen format */
static void render(apr_pool_t *p, const lint_opts_t *o, const oa_audit_t *audit,
                   const oa_conf_t *conf, const oa_model_t *model,
                   apr_array_header_t *online, oa_report_opts_t *ro)
{
    switch (o->format) {
    case LINT_FMT_JSON: {
        online_json_t oj;
        oj.p = p;
        oj.online = online;
        ro->extra = online ? online_json : NULL;
        ro->extra_ctx = &oj;
        oa_report_findings_json(p, audit, ro, oa_out_file, stdout);
        break;
    }
    case LINT_FMT_SARIF:
        oa_report_findings_sarif(p, audit, ro, oa_out_file, stdout);
        break;
    case LINT_FMT_GITLAB: {
        apr_array_header_t *all = apr_array_copy(p, audit->findings);
        if (ro->extra_findings) {
            apr_array_cat(all, ro->extra_findings);
        }
        oa_report_findings_gitlab(p, all, ro, oa_out_file, stdout);
        break;
    }
    case LINT_FMT_TEXT:
        oa_report_findings_text(p, audit, oa_out_file, stdout);
        print_online_text(p, online);
        if (o->verbose) {
            oa_report_predictions_text(p, audit, oa_out_file, stdout);
        }
        if (!o->quiet) {
            print_summary(audit, conf, model);
        }
        break;
    }
}

/* lint: the audit, the baseline, --online, the output; the exit code */
static int run_audit(apr_pool_t *p, lint_opts_t *o, oa_conf_t *conf, oa_model_t *model,
                     apr_hash_t *baseline)
{
    oa_audit_t *audit;
    oa_report_opts_t ro;
    apr_array_header_t *online = NULL;
    apr_status_t rv;
    int i, worst = -1, refused;

    report_opts(p, o, &ro);
    {
        /* the module's own settings in the config count, as the module reads them */
        const oa_node_t *at = NULL;
        const char *e = oa_audit_opts_from_conf(p, &o->audit, conf, &at);
        if (e) {
            return fail_with(p, o, o->format, "parse-error",
                             oa_diag_make(p, OA_SEV_ERROR, at->file, at->line, "%s", e),
                             LINT_EXIT_PARSE);
        }
    }
    oa_audit_run(&audit, p, model, oa_pki_make(p), &o->audit);
    /* httpd refuses it where the reader saw it, and no rule's finding says so: as a parse
     * error (exit 3), with the audit's document */
    refused = conf->refused && !strcmp(audit->startup, OA_STARTUP_FAILS)
              && !strstr(audit->startup_reason, " [OA");
    if (refused) {
        oa_report_diag_text(p, conf->refused, oa_out_file, stderr);
    }
    oa_report_fingerprints(p, audit->findings, ro.srcroot);
    if (o->write_baseline) {
        rv = write_baseline(p, o->write_baseline, audit, ro.srcroot);
        if (rv != APR_SUCCESS) {
            char ebuf[256];
            return fail_with(p, o, o->format, "baseline", oa_diag_make(p, OA_SEV_ERROR,
                             o->write_baseline, 0, "cannot write the baseline: %s",
                             apr_strerror(rv, ebuf, sizeof(ebuf))), LINT_EXIT_USAGE);
        }
        fprintf(stderr, "%s: %d finding%s written to the baseline\n", o->write_baseline,
                audit->findings->nelts, audit->findings->nelts == 1 ? "" : "s");
    }
    if (baseline) {
        apply_baseline(audit, baseline);
    }
    if (o->online) {
        int crls = 0;
        online = online_checks(p, audit, &o->probe);
        for (i = 0; i < online->nelts; i++) {
            const online_t *on = &APR_ARRAY_IDX(online, i, online_t);
            if (online_responder_failed(on) || online_crl_failed(on)) {
                worst = OA_SEV_ERROR;
            }
            crls += on->crl != NULL;
        }
        ro.extra_rules = apr_array_make(p, 2, sizeof(const oa_rule_t *));
        APR_ARRAY_PUSH((apr_array_header_t *)ro.extra_rules, const oa_rule_t *) = &online_rule;
        if (crls) {
            APR_ARRAY_PUSH((apr_array_header_t *)ro.extra_rules, const oa_rule_t *)
                = &online_crl_rule;
        }
        ro.extra_findings = online_findings(p, online);
    }
    for (i = 0; i < conf->diags->nelts; i++) {
        const oa_diag_t *d = APR_ARRAY_IDX(conf->diags, i, const oa_diag_t *);
        worst = (int)d->severity > worst ? (int)d->severity : worst;
    }
    for (i = 0; i < audit->findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(audit->findings, i, const oa_finding_t *);
        worst = (int)f->d.severity > worst ? (int)f->d.severity : worst;
    }
    render(p, o, audit, conf, model, online, &ro);
    fflush(stdout);
    if (ferror(stdout)) {
        return LINT_EXIT_USAGE;
    }
    if (refused) {
        return LINT_EXIT_PARSE;
    }
    if (o->write_baseline) {
        return LINT_EXIT_CLEAN;   /* the findings are now the accepted ones */
    }
    /* a gate never passes a config httpd refuses, whatever silences the finding that says
     * so (a disable comment, --skip, --select, a baseline) */
    if (!strcmp(audit->startup, OA_STARTUP_FAILS)) {
        return LINT_EXIT_FINDINGS;
    }
    return worst >= o->fail_on ? LINT_EXIT_FINDINGS : LINT_EXIT_CLEAN;
}

/*
 * A check is over once its report is written: what is left in its pools goes back to
 * the kernel with the process. Tearing them down at exit handed back each 8 KB block
 * of APR's allocator with its own munmap (6,600 at 10,000 vhosts, 15% of a run) and
 * freed every certificate one by one. The sanitizer builds still tear down, so that
 * the cleanups stay checked; probe and serve do too.
 */
#if defined(__SANITIZE_ADDRESS__)
#define LINT_TEARDOWN_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LINT_TEARDOWN_AT_EXIT 1
#endif
#endif
#ifndef LINT_TEARDOWN_AT_EXIT
#define LINT_TEARDOWN_AT_EXIT 0
#endif

static void at_exit_teardown(void)
{
#if !LINT_TEARDOWN_AT_EXIT
    atexit(apr_terminate);
#endif
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    lint_opts_t o;
    oa_conf_t *conf;
    oa_model_t *model;
    oa_diag_t *err;
    apr_status_t rv;
    int worst;
    apr_hash_t *baseline = NULL;

    apr_app_initialize(&argc, &argv, NULL);
#if LINT_TEARDOWN_AT_EXIT
    atexit(apr_terminate);
#endif
    /* A peer that closes early makes the next write on its socket raise SIGPIPE, whose
     * default action kills the whole process and every other host's report with it.
     * OpenSSL's socket BIO cannot pass MSG_NOSIGNAL: ignore the signal, and the write
     * fails with EPIPE, which core reports for that peer alone. (httpd ignores SIGPIPE
     * in its MPMs, so the module's probes get the same EPIPE.) */
    apr_signal(SIGPIPE, SIG_IGN);
    apr_pool_create(&p, NULL);
    if (argc > 1 && !strcmp(argv[1], "probe")) {
        at_exit_teardown();
        return lint_probe_main(p, argc - 1, argv + 1);
    }
    if (argc > 1 && !strcmp(argv[1], "serve")) {
        at_exit_teardown();
        return lint_serve_main(p, argc - 1, argv + 1);
    }

    if (!parse_args(p, argc, argv, &o)) {
        lint_format_e fmt = format_in_argv(argc, argv);
        fprintf(stderr, "Try 'ocsp-lint --help'.\n");
        if (fmt != LINT_FMT_TEXT) {
            memset(&o, 0, sizeof(o));
            return fail_with(p, &o, fmt, "usage", oa_diag_make(p, OA_SEV_ERROR, NULL, 0,
                             "bad command line (see ocsp-lint --help)"), LINT_EXIT_USAGE);
        }
        return LINT_EXIT_USAGE;
    }
    if (o.httpd) {
        ask_httpd(p, &o);
    }
    default_paths(p, &o);
    if (!load_envvars(p, &o)) {
        return fail_with(p, &o, o.format, "envvars", oa_diag_make(p, OA_SEV_ERROR, o.envvars,
                         0, "cannot read the envvars file"), LINT_EXIT_USAGE);
    }
    if (o.baseline && (rv = read_baseline(&baseline, p, o.baseline)) != APR_SUCCESS) {
        char ebuf[256];
        return fail_with(p, &o, o.format, "baseline", oa_diag_make(p, OA_SEV_ERROR, o.baseline,
                         0, "cannot read the baseline: %s", apr_strerror(rv, ebuf, sizeof(ebuf))),
                         LINT_EXIT_USAGE);
    }

    rv = oa_conf_read(&conf, &err, p, &o.copts);
    if (rv != APR_SUCCESS) {
        int parse = rv == APR_EGENERAL;
        return fail_with(p, &o, o.format, parse ? "parse-error" : "config-unreadable", err,
                         parse ? LINT_EXIT_PARSE : LINT_EXIT_USAGE);
    }
    oa_model_build(&model, p, conf);

    if (o.vhosts) {
        worst = run_vhosts(p, &o, conf, model);
        fflush(stdout);
        return ferror(stdout) ? LINT_EXIT_USAGE
                              : worst >= o.fail_on ? LINT_EXIT_FINDINGS : LINT_EXIT_CLEAN;
    }
    return run_audit(p, &o, conf, model, baseline);
}
