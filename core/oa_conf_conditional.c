/*
 * The <If*> sections httpd evaluates while reading (<IfModule>, <IfDefine>,
 * <IfVersion>, <IfFile>, <IfDirective>, <IfSection>), and skipping a false one as
 * ap_soak_end_container does.
 */
#include "oa_conf_reader.h"

/* ------------------------------------------------------------------ <If*> */

/* Skip a false section up to its end, as ap_soak_end_container does. */
apr_status_t oa_rd_soak_section(st_t *st, const char *name)
{
    apr_array_header_t *open = apr_array_make(st->p, 4, sizeof(const char *));
    const char *want = name;
    const char *file;
    int line;
    apr_status_t rv;
    char *l;

    oa_rd_src_where(st->src, &file, &line);
    for (;;) {
        const char *args, *w;
        rv = oa_rd_next_line(st, &l, 1);
        if (rv == APR_EOF) {
            return oa_rd_fail(st, file, line, "Expected </%s> before end of configuration", want);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        args = l;
        w = oa_rd_getword_conf(st->p, &args);
        if (w[0] != '<') {
            continue;
        }
        if (w[1] == '/') {
            apr_size_t n = strlen(w);
            const char *closing = (n > 2 && w[n - 1] == '>')
                                  ? apr_pstrmemdup(st->p, w + 2, n - 3) : w + 2;
            if (strcasecmp(closing, want)) {
                const char *f2;
                int l2;
                oa_rd_src_where(st->src, &f2, &l2);
                return oa_rd_fail(st, f2, l2, "Expected </%s> but saw </%s>", want, closing);
            }
            if (!open->nelts) {
                return APR_SUCCESS;
            }
            open->nelts--;
            want = open->nelts ? APR_ARRAY_IDX(open, open->nelts - 1, const char *) : name;
        }
        else {
            apr_size_t n = strlen(w);
            const char *opened = w + 1;
            if (n > 1 && w[n - 1] == '>') {
                opened = apr_pstrmemdup(st->p, w + 1, n - 2);
            }
            APR_ARRAY_PUSH(open, const char *) = opened;
            want = opened;
        }
    }
}

static int version_cmp(const int have[3], const char *v, int *pok)
{
    int want[3] = { 0, 0, 0 }, c = 0, i;
    const char *p = v;
    *pok = 0;
    if (!apr_isdigit(*p)) {
        return 0;
    }
    while (*p && c < 3) {
        if (!apr_isdigit(*p)) {
            return 0;
        }
        want[c++] = atoi(p);
        while (apr_isdigit(*p)) {
            p++;
        }
        if (*p == '.') {
            p++;
            if (!*p) {
                return 0;
            }
        }
        else if (*p) {
            return 0;
        }
    }
    if (*p) {
        return 0;
    }
    *pok = 1;
    for (i = 0; i < 3; i++) {
        if (have[i] != want[i]) {
            return have[i] > want[i] ? 1 : -1;
        }
    }
    return 0;
}

static apr_status_t version_regex(st_t *st, const char *re, int *pmatch,
                                  const char *file, int line)
{
    regex_t rx;
    char buf[64];
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
        return oa_rd_fail(st, file, line, "Unable to compile regular expression");
    }
    apr_snprintf(buf, sizeof(buf), "%d.%d.%d", st->version[0], st->version[1],
                 st->version[2]);
    *pmatch = regexec(&rx, buf, 0, NULL, 0) == 0;
    regfree(&rx);
    return APR_SUCCESS;
}

/* <IfVersion [[!]op] version> as mod_version decides it */
static apr_status_t eval_ifversion(st_t *st, const char *args, int *presult,
                                   const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    const char *op = "=", *ver, *p;
    int neg = 0, cmp, ok, match = 0;
    apr_status_t rv;

    if (w->nelts == 1) {
        ver = APR_ARRAY_IDX(w, 0, const char *);
    }
    else if (w->nelts == 2) {
        op = APR_ARRAY_IDX(w, 0, const char *);
        ver = APR_ARRAY_IDX(w, 1, const char *);
    }
    else {
        return oa_rd_fail(st, file, line, "<IfVersion> takes one or two arguments");
    }
    p = op;
    if (*p == '!') {
        neg = 1;
        if (p[1]) {
            p++;
        }
    }
    if (!strcmp(p, "=") || !strcmp(p, "==")) {
        apr_size_t n = strlen(ver);
        if (ver[0] == '/') {
            if (n < 2 || ver[n - 1] != '/') {
                return oa_rd_fail(st, file, line, "Missing delimiting / of regular expression.");
            }
            rv = version_regex(st, apr_pstrmemdup(st->p, ver + 1, n - 2), &match, file, line);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        else {
            cmp = version_cmp(st->version, ver, &ok);
            if (!ok) {
                goto bad_version;
            }
            match = cmp == 0;
        }
    }
    else if (!strcmp(p, "~")) {
        rv = version_regex(st, ver, &match, file, line);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    else if (!strcmp(p, "<") || !strcmp(p, "<=") || !strcmp(p, ">") || !strcmp(p, ">=")) {
        cmp = version_cmp(st->version, ver, &ok);
        if (!ok) {
            goto bad_version;
        }
        if (p[0] == '<') {
            match = cmp < 0 || (p[1] == '=' && cmp == 0);
        }
        else {
            match = cmp > 0 || (p[1] == '=' && cmp == 0);
        }
    }
    else {
        return oa_rd_fail(st, file, line, "unknown comparison operator '%s'", op);
    }
    *presult = neg ? !match : match;
    return APR_SUCCESS;
bad_version:
    return oa_rd_fail(st, file, line, "Version appears to be invalid. It must have the format "
                "major[.minor[.patch]] where major, minor and patch are numbers.");
}

apr_status_t oa_rd_eval_if(st_t *st, const char *lname, const char *dname,
                            const char *args, int *presult, const char *file, int line)
{
    const char *name, *rest;
    int neg, found = 0;

    if (!strcmp(lname, "<ifversion")) {
        return eval_ifversion(st, args, presult, file, line);
    }
    /* start_cond_section: a leading '!' of the raw argument negates, then one word
     * as ap_getword_conf reads it; the rest of the line is ignored */
    neg = args[0] == '!';
    rest = neg ? args + 1 : args;
    name = oa_rd_getword_conf(st->p, &rest);
    if (!*name) {
        return oa_rd_fail(st, file, line, "%s> directive requires additional arguments", dname);
    }
    if (!strcmp(lname, "<ifmodule")) {
        found = oa_rd_find_loaded(st, name) != NULL;
    }
    else if (!strcmp(lname, "<ifdefine")) {
        found = oa_conf_is_defined(st->conf, name);
    }
    else if (!strcmp(lname, "<iffile")) {
        apr_finfo_t fi;
        found = oa_rd_stat(st, &fi, oa_rd_path(st, name)) == APR_SUCCESS;
    }
    else if (!strcmp(lname, "<ifdirective") || !strcmp(lname, "<ifsection")) {
        const char *d = lname[3] == 's' ? apr_pstrcat(st->p, "<", name, NULL) : name;
        const char *mod;
        int avail = oa_rd_directive_available(st, d, &mod);
        found = avail == 1;
        if (avail < 0) {
            oa_diag_add(st->conf->diags, OA_SEV_NOTE, file, line,
                        "%s %s: not a directive of a module this tool knows; taken as absent",
                        dname, name);
        }
    }
    *presult = neg ? !found : found;
    return APR_SUCCESS;
}

