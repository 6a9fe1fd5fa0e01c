#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_file_io.h>

#include "oa_suppress.h"

#define MAX_FILE (64 * 1024 * 1024)

typedef struct {
    const char *path;
    apr_array_header_t *lines;      /* NULL: unreadable */
} file_lines_t;

struct oa_suppress_cache_t {
    apr_pool_t *pool;
    apr_hash_t *files;     /* path -> file_lines_t */
    const file_lines_t *last;       /* the file asked for last */
};

oa_suppress_cache_t *oa_suppress_cache_make(apr_pool_t *p)
{
    oa_suppress_cache_t *c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    c->files = apr_hash_make(p);
    return c;
}

const char *oa_suppress_parse(apr_pool_t *p, const char *comment)
{
    const char *m = strstr(comment, "ocsp-lint:");
    if (m && (m = strstr(m, "disable=")) != NULL) {
        return apr_pstrmemdup(p, m + 8, strcspn(m + 8, " \t\r\n"));
    }
    return NULL;
}

/* the lines of a file (NULL: unreadable), from line 1 */
static apr_array_header_t *read_lines(apr_pool_t *p, const char *file)
{
    apr_array_header_t *lines;
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf, *s;
    apr_size_t n;

    if (apr_file_open(&f, file, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS || fi.size > MAX_FILE) {
        apr_file_close(f);
        return NULL;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS && n == 0 && fi.size) {
        apr_file_close(f);
        return NULL;
    }
    apr_file_close(f);
    buf[n] = '\0';
    lines = apr_array_make(p, 64, sizeof(const char *));
    APR_ARRAY_PUSH(lines, const char *) = "";   /* lines count from 1 */
    for (s = buf; s < buf + n;) {
        char *nl = memchr(s, '\n', (apr_size_t)(buf + n - s));
        if (nl) {
            *nl = '\0';
        }
        APR_ARRAY_PUSH(lines, const char *) = s;
        s = nl ? nl + 1 : buf + n;
    }
    return lines;
}

static apr_array_header_t *lines_of(oa_suppress_cache_t *c, const char *file)
{
    file_lines_t *fl;
    /* a tree's nodes come file by file, and their paths are long to hash */
    if (c->last && !strcmp(c->last->path, file)) {
        return c->last->lines;
    }
    if (!(fl = apr_hash_get(c->files, file, APR_HASH_KEY_STRING))) {
        fl = apr_palloc(c->pool, sizeof(*fl));
        fl->path = apr_pstrdup(c->pool, file);
        fl->lines = read_lines(c->pool, file);
        apr_hash_set(c->files, fl->path, APR_HASH_KEY_STRING, fl);
    }
    c->last = fl;
    return fl->lines;
}

const char *oa_suppress_above(oa_suppress_cache_t *c, const char *file, int line)
{
    apr_array_header_t *lines;
    int i;
    if (!file || line <= 1 || !(lines = lines_of(c, file))) {
        return NULL;
    }
    /* httpd counts a continued directive at its last line: climb to its first */
    for (i = line - 1; i >= 1 && i < lines->nelts; i--) {
        const char *l = APR_ARRAY_IDX(lines, i, const char *);
        apr_size_t n = strlen(l);
        if (n && l[n - 1] == '\r') {
            n--;
        }
        if (!n || l[n - 1] != '\\') {
            break;
        }
    }
    for (; i >= 1 && i < lines->nelts; i--) {
        const char *l = APR_ARRAY_IDX(lines, i, const char *);
        while (apr_isspace(*l)) {
            l++;
        }
        if (!*l) {
            continue;
        }
        if (*l != '#') {
            return NULL;
        }
        {
            const char *r = oa_suppress_parse(c->pool, l);
            if (r) {
                return r;
            }
        }
    }
    return NULL;
}

void oa_suppress_mark_tree(oa_suppress_cache_t *c, oa_node_t *first)
{
    oa_node_t *n;
    for (n = first; n; n = (oa_node_t *)oa_node_next_preorder(n)) {
        if (!n->macro) {
            n->suppress = oa_suppress_above(c, n->file, n->line);
        }
    }
}
