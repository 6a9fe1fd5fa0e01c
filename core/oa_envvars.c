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

/* A string built by appending, in time linear in its final length. */
typedef struct {
    apr_pool_t *p;
    char *b;
    apr_size_t len, cap;
} sb_t;

static void sb_init(sb_t *sb, apr_pool_t *p)
{
    sb->p = p;
    sb->cap = 64;
    sb->b = apr_palloc(p, sb->cap);
    sb->len = 0;
    sb->b[0] = '\0';
}

static void sb_add(sb_t *sb, const char *s, apr_size_t n)
{
    if (sb->len + n + 1 > sb->cap) {
        char *nb;
        while (sb->len + n + 1 > sb->cap) {
            sb->cap *= 2;
        }
        nb = apr_palloc(sb->p, sb->cap);
        memcpy(nb, sb->b, sb->len);
        sb->b = nb;
    }
    memcpy(sb->b + sb->len, s, n);
    sb->len += n;
    sb->b[sb->len] = '\0';
}

/* $NAME and ${NAME} (no ${NAME op word} forms: those expand to "") */
static void expand(sb_t *out, apr_table_t *vars, const char *s, apr_size_t n)
{
    apr_pool_t *p = out->p;
    apr_size_t i = 0, start = 0;
    while (i < n) {
        if (s[i] == '$' && i + 1 < n && (s[i + 1] == '{' || apr_isalpha(s[i + 1]) || s[i + 1] == '_')) {
            apr_size_t b, e;
            const char *name;
            sb_add(out, s + start, i - start);
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
            {
                const char *v = var_value(vars, p, name);
                sb_add(out, v, strlen(v));
            }
            start = i;
        }
        else {
            i++;
        }
    }
    sb_add(out, s + start, n - start);
}

/* one NAME=VALUE assignment at l; returns where it ends, or NULL when l is none */
static const char *parse_assignment(apr_table_t *vars, apr_pool_t *p, const char *l)
{
    const char *v;
    char *name;
    apr_size_t k;
    sb_t value;

    if (!apr_isalpha(*l) && *l != '_') {
        return NULL;
    }
    for (k = 0; apr_isalnum(l[k]) || l[k] == '_'; k++) {
    }
    if (l[k] != '=') {
        return NULL;
    }
    name = apr_pstrmemdup(p, l, k);
    v = l + k + 1;
    sb_init(&value, p);
    /* the value: quoted and unquoted pieces up to white space or ';' */
    while (*v && !apr_isspace(*v) && *v != ';') {
        if (*v == '\'') {
            const char *e = strchr(v + 1, '\'');
            apr_size_t n = e ? (apr_size_t)(e - v - 1) : strlen(v + 1);
            sb_add(&value, v + 1, n);
            v += n + 1 + (e ? 1 : 0);
        }
        else if (*v == '"') {
            const char *e = strchr(v + 1, '"');
            apr_size_t n = e ? (apr_size_t)(e - v - 1) : strlen(v + 1);
            expand(&value, vars, v + 1, n);
            v += n + 1 + (e ? 1 : 0);
        }
        else {
            const char *e = v;
            while (*e && !apr_isspace(*e) && *e != ';' && *e != '\'' && *e != '"') {
                e++;
            }
            expand(&value, vars, v, (apr_size_t)(e - v));
            v = e;
        }
    }
    apr_table_set(vars, name, value.b);
    return v;
}

static const char *skip_export(const char *l)
{
    while (apr_isspace(*l)) {
        l++;
    }
    if (!strncmp(l, "export", 6) && apr_isspace(l[6])) {
        l += 7;
    }
    return l;
}

/* "[export] A=1 B=2; C=3": every assignment of the line, as the shell makes them */
static void parse_line(apr_table_t *vars, apr_pool_t *p, const char *l)
{
    l = skip_export(l);
    for (;;) {
        while (apr_isspace(*l)) {
            l++;
        }
        if (*l == ';') {
            l = skip_export(l + 1);
            continue;
        }
        if (!(l = parse_assignment(vars, p, l))) {
            return;
        }
    }
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

    /* look before opening: opening a FIFO for reading waits for a writer */
    rv = apr_stat(&fi, path, APR_FINFO_SIZE | APR_FINFO_TYPE, p);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        return OA_ENVVARS_NOT_REGULAR;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv == APR_SUCCESS && (fi.filetype != APR_REG || fi.size > MAX_ENVVARS_SIZE)) {
        rv = fi.filetype != APR_REG ? OA_ENVVARS_NOT_REGULAR : APR_EGENERAL;
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
