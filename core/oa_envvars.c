#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_env.h>

#include "oa_envvars.h"

#define MAX_ENVVARS_SIZE (1024 * 1024)

static const char *var_value(apr_table_t *vars, apr_pool_t *p, const char *name)
{
    const char *v = apr_table_get(vars, name);
    char *ev;
    if (v) {
        return v;
    }
    if (apr_env_get(&ev, name, p) == APR_SUCCESS) {
        return ev;
    }
    return "";
}

/* $NAME and ${NAME} (no ${NAME op word} forms: those expand to "") */
static char *expand(apr_table_t *vars, apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_pstrdup(p, "");
    apr_size_t i = 0, start = 0;
    while (i < n) {
        if (s[i] == '$' && i + 1 < n && (s[i + 1] == '{' || apr_isalpha(s[i + 1]) || s[i + 1] == '_')) {
            apr_size_t b, e;
            const char *name;
            out = apr_pstrcat(p, out, apr_pstrmemdup(p, s + start, i - start), NULL);
            if (s[i + 1] == '{') {
                b = i + 2;
                for (e = b; e < n && s[e] != '}'; e++) {
                }
                name = apr_pstrmemdup(p, s + b, e - b);
                i = e < n ? e + 1 : e;
                /* keep only a plain name: ${A##x} and friends are shell operations */
                {
                    apr_size_t k = 0;
                    while (name[k] && (apr_isalnum(name[k]) || name[k] == '_')) {
                        k++;
                    }
                    if (name[k]) {
                        start = i;
                        continue;
                    }
                }
            }
            else {
                b = i + 1;
                for (e = b; e < n && (apr_isalnum(s[e]) || s[e] == '_'); e++) {
                }
                name = apr_pstrmemdup(p, s + b, e - b);
                i = e;
            }
            out = apr_pstrcat(p, out, var_value(vars, p, name), NULL);
            start = i;
        }
        else {
            i++;
        }
    }
    return apr_pstrcat(p, out, apr_pstrmemdup(p, s + start, n - start), NULL);
}

static void parse_line(apr_table_t *vars, apr_pool_t *p, const char *l)
{
    const char *eq, *v;
    char *name, *value = apr_pstrdup(p, "");
    apr_size_t k;

    while (apr_isspace(*l)) {
        l++;
    }
    if (!strncmp(l, "export", 6) && apr_isspace(l[6])) {
        l += 7;
        while (apr_isspace(*l)) {
            l++;
        }
    }
    if (!apr_isalpha(*l) && *l != '_') {
        return;
    }
    for (k = 0; apr_isalnum(l[k]) || l[k] == '_'; k++) {
    }
    if (l[k] != '=') {
        return;
    }
    eq = l + k;
    name = apr_pstrmemdup(p, l, k);
    v = eq + 1;
    /* the value: quoted and unquoted pieces up to white space or ';' */
    while (*v && !apr_isspace(*v) && *v != ';') {
        if (*v == '\'') {
            const char *e = strchr(v + 1, '\'');
            apr_size_t n = e ? (apr_size_t)(e - v - 1) : strlen(v + 1);
            value = apr_pstrcat(p, value, apr_pstrmemdup(p, v + 1, n), NULL);
            v += n + 1 + (e ? 1 : 0);
        }
        else if (*v == '"') {
            const char *e = strchr(v + 1, '"');
            apr_size_t n = e ? (apr_size_t)(e - v - 1) : strlen(v + 1);
            value = apr_pstrcat(p, value, expand(vars, p, v + 1, n), NULL);
            v += n + 1 + (e ? 1 : 0);
        }
        else {
            const char *e = v;
            while (*e && !apr_isspace(*e) && *e != ';' && *e != '\'' && *e != '"') {
                e++;
            }
            value = apr_pstrcat(p, value, expand(vars, p, v, (apr_size_t)(e - v)), NULL);
            v = e;
        }
    }
    apr_table_set(vars, name, value);
}

void oa_envvars_parse(apr_table_t *vars, apr_pool_t *p, const char *text)
{
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        apr_size_t n = nl ? (apr_size_t)(nl - s) : strlen(s);
        const char *l = apr_pstrmemdup(p, s, n);
        const char *t = l;
        while (apr_isspace(*t)) {
            t++;
        }
        if (*t && *t != '#') {
            parse_line(vars, p, t);
        }
        s += n + (nl ? 1 : 0);
    }
}

apr_status_t oa_envvars_read(apr_table_t *vars, apr_pool_t *p, const char *path)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n;
    char *buf;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv == APR_SUCCESS && (fi.filetype != APR_REG || fi.size > MAX_ENVVARS_SIZE)) {
        rv = fi.filetype != APR_REG ? APR_EBADF : APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) {
        n = (apr_size_t)fi.size;
        buf = apr_palloc(p, n + 1);
        rv = apr_file_read_full(f, buf, n, &n);
        if (rv == APR_SUCCESS || rv == APR_EOF) {
            buf[n] = '\0';
            oa_envvars_parse(vars, p, buf);
            rv = APR_SUCCESS;
        }
    }
    apr_file_close(f);
    return rv;
}
