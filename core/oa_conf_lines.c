/*
 * Line sources and words: files, -C/-c strings and macro bodies read as httpd's
 * ap_cfg_getline does (continuation, trimming, limits), and ap_getword_conf.
 */
#include "oa_conf_reader.h"

/* ------------------------------------------------------------------ small helpers */


apr_status_t oa_rd_fail(st_t *st, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (!st->err) {
        st->err = apr_pcalloc(st->p, sizeof(*st->err));
        st->err->severity = OA_SEV_ERROR;
        st->err->file = file;
        st->err->line = line;
        va_start(ap, fmt);
        st->err->message = apr_pvsprintf(st->p, fmt, ap);
        va_end(ap);
    }
    return APR_EGENERAL;
}

/* where the current line comes from, for messages and nodes */
void oa_rd_src_where(const src_t *s, const char **pfile, int *pline)
{
    if (!s) {
        *pfile = NULL;
        *pline = 0;
    }
    else if (s->kind == SRC_MACRO) {
        *pfile = s->use_file;
        *pline = s->use_line;
    }
    else {
        *pfile = s->name;
        *pline = s->line;
    }
}

/* httpd prints bytes it cannot show as \xNN; so do we in messages */
const char *oa_rd_escape_word(apr_pool_t *p, const char *w, apr_size_t n)
{
    char *out = apr_palloc(p, n * 4 + 1), *o = out;
    apr_size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (apr_isprint(c)) {
            *o++ = (char)c;
        }
        else {
            o += apr_snprintf(o, 5, "\\x%02x", c);
        }
    }
    *o = '\0';
    return out;
}

/* Paths here are absolute and normalised by apr_filepath_merge; a ".." left in one is
 * refused all the same. */
int oa_rd_confined_out(const st_t *st, const char *path)
{
    const char *root = st->opts ? st->opts->confine : NULL;
    apr_size_t n;
    if (!root) {
        return 0;
    }
    n = strlen(root);
    return strncmp(path, root, n) || (path[n] != '/' && path[n] != '\0')
           || strstr(path, "/..");
}

apr_status_t oa_rd_stat(st_t *st, apr_finfo_t *fi, const char *path)
{
    return oa_rd_confined_out(st, path) ? APR_ENOENT : apr_stat(fi, path, APR_FINFO_TYPE, st->p);
}

apr_status_t oa_rd_dir_open(st_t *st, apr_dir_t **d, const char *path)
{
    return oa_rd_confined_out(st, path) ? APR_ENOENT : apr_dir_open(d, path, st->p);
}

const char *oa_rd_path(st_t *st, const char *name)
{
    return oa_conf_map_path(st->p, st->opts->path_map,
                            oa_conf_server_relative(st->p, st->server_root, name));
}

const char *oa_conf_server_relative(apr_pool_t *p, const char *server_root,
                                    const char *path)
{
    char *merged = NULL;
    if (!path) {
        return NULL;
    }
    if (path[0] == '/') {
        /* "/a/./b" and "/a/x/../b" as httpd has them: /a/b */
        if ((strstr(path, "/./") || strstr(path, "/../") || strstr(path, "//"))
            && apr_filepath_merge(&merged, NULL, path, APR_FILEPATH_TRUENAME, p) == APR_SUCCESS) {
            return merged;
        }
        return path;
    }
    if (apr_filepath_merge(&merged, server_root ? server_root : "/", path,
                           APR_FILEPATH_TRUENAME, p) != APR_SUCCESS) {
        return apr_pstrcat(p, server_root ? server_root : "", "/", path, NULL);
    }
    return merged;
}

/* the len bytes of a word with \\ and \<quote> unescaped */
static char *unescape(apr_pool_t *p, const char *str, apr_size_t len, char quote)
{
    char *res = apr_palloc(p, len + 1), *r = res;
    apr_size_t i;
    for (i = 0; i < len; ++i) {
        if (str[i] == '\\' && (str[i + 1] == '\\' || (quote && str[i + 1] == quote))) {
            *r++ = str[++i];
        }
        else {
            *r++ = str[i];
        }
    }
    *r = '\0';
    return res;
}

/* ap_getword_conf: one word, quotes and backslash escapes as httpd has them */
char *oa_rd_getword_conf(apr_pool_t *p, const char **line)
{
    const char *str = *line, *strend;
    char quote, *res;
    apr_size_t len;

    while (apr_isspace(*str)) {
        ++str;
    }
    if (!*str) {
        *line = str;
        return apr_pstrdup(p, "");
    }
    quote = *str;
    if (quote == '"' || quote == '\'') {
        strend = str + 1;
        while (*strend && *strend != quote) {
            if (*strend == '\\' && strend[1] && (strend[1] == quote || strend[1] == '\\')) {
                strend += 2;
            }
            else {
                ++strend;
            }
        }
        str++;
    }
    else {
        /* apr_isspace in the C locale, which neither httpd nor ocsp-lint leaves */
        quote = 0;
        strend = str + strcspn(str, " \t\n\v\f\r");
    }
    len = (apr_size_t)(strend - str);
    /* most words have nothing to unescape */
    res = memchr(str, '\\', len) ? unescape(p, str, len, quote) : apr_pstrmemdup(p, str, len);
    if (quote && *strend == quote) {
        ++strend;
    }
    while (apr_isspace(*strend)) {
        ++strend;
    }
    *line = strend;
    return res;
}

apr_array_header_t *oa_conf_split_args(apr_pool_t *p, const char *args)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    const char *s = args ? args : "";
    while (apr_isspace(*s)) {
        s++;
    }
    while (*s) {
        APR_ARRAY_PUSH(a, const char *) = oa_rd_getword_conf(p, &s);
    }
    return a;
}

int oa_node_is(const oa_node_t *n, const char *directive)
{
    return n && n->directive && !strcasecmp(n->directive, directive);
}

const oa_node_t *oa_node_next_preorder(const oa_node_t *n)
{
    if (n->first_child) {
        return n->first_child;
    }
    while (n) {
        if (n->next) {
            return n->next;
        }
        n = n->parent;
    }
    return NULL;
}

/* ------------------------------------------------------------------ line sources */

static apr_status_t lb_append(st_t *st, const char *b, apr_size_t n)
{
    if (st->lb_len + n + 1 > st->lb_cap) {
        apr_size_t cap = st->lb_cap ? st->lb_cap : 256;
        char *nb;
        while (cap < st->lb_len + n + 1) {
            cap *= 2;
        }
        if (cap > OA_MAX_LINE + 2) {
            cap = OA_MAX_LINE + 2;
        }
        if (st->lb_len + n + 1 > cap) {
            return APR_ENOSPC;
        }
        nb = realloc(st->lb, cap);
        if (!nb) {
            return APR_ENOMEM;
        }
        st->lb = nb;
        st->lb_cap = cap;
    }
    memcpy(st->lb + st->lb_len, b, n);
    st->lb_len += n;
    st->lb[st->lb_len] = '\0';
    return APR_SUCCESS;
}

/* One physical line of a file or string, with its end of line, appended to st->lb. */
static apr_status_t src_physical_line(st_t *st, src_t *s, int *got)
{
    apr_status_t rv;
    *got = 0;
    if (s->kind == SRC_STRING) {
        const char *b = s->text + s->tpos, *nl;
        apr_size_t n;
        if (s->tpos >= s->tlen) {
            return APR_EOF;
        }
        nl = memchr(b, '\n', s->tlen - s->tpos);
        n = nl ? (apr_size_t)(nl - b + 1) : s->tlen - s->tpos;
        s->tpos += n;
        s->line++;
        *got = 1;
        return lb_append(st, b, n);
    }
    for (;;) {
        if (s->bpos < s->blen) {
            const char *b = s->buf + s->bpos, *nl = memchr(b, '\n', s->blen - s->bpos);
            apr_size_t n = nl ? (apr_size_t)(nl - b + 1) : s->blen - s->bpos;
            if (st->lb_len + n > OA_MAX_LINE) {
                s->line += *got ? 0 : 1;
                return APR_ENOSPC;
            }
            rv = lb_append(st, b, n);
            if (rv != APR_SUCCESS) {
                return rv;
            }
            s->bpos += n;
            if (!*got) {
                s->line++;
                *got = 1;
            }
            if (nl) {
                return APR_SUCCESS;
            }
        }
        if (s->eof) {
            return *got ? APR_SUCCESS : APR_EOF;
        }
        s->blen = OA_READ_CHUNK;
        rv = apr_file_read(s->fd, s->buf, &s->blen);
        s->bpos = 0;
        if (rv == APR_EOF || (rv == APR_SUCCESS && s->blen == 0)) {
            s->eof = 1;
            s->blen = 0;
        }
        else if (rv != APR_SUCCESS) {
            return rv;
        }
    }
}

/* httpd's cfg_trim_line: leading and trailing white space go */
static char *trim_line(char *l, apr_size_t *plen)
{
    apr_size_t len = *plen;
    while (len && apr_isspace(l[len - 1])) {
        len--;
    }
    l[len] = '\0';
    while (*l && apr_isspace(*l)) {
        l++;
        len--;
    }
    *plen = len;
    return l;
}

/* One logical line of a file or string source: backslash-newline continues it. */
static apr_status_t src_logical_line(st_t *st, src_t *s, char **pline)
{
    apr_status_t rv;
    int got, any = 0;
    apr_size_t len;

    st->lb_len = 0;
    if (st->lb) {
        st->lb[0] = '\0';
    }
    for (;;) {
        apr_size_t before = st->lb_len;
        rv = src_physical_line(st, s, &got);
        if (rv == APR_EOF) {
            if (!any) {
                return APR_EOF;
            }
            break;
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        any = 1;
        if (st->lb_len > before && st->lb[st->lb_len - 1] == '\n') {
            apr_size_t e = st->lb_len - 1;
            if (e > before && st->lb[e - 1] == '\r') {
                e--;
            }
            if (e > 0 && st->lb[e - 1] == '\\') {
                st->lb_len = e - 1;
                st->lb[st->lb_len] = '\0';
                continue;
            }
        }
        break;
    }
    len = st->lb_len;
    st->raw_len = len;
    st->line_has_nul = memchr(st->lb, '\0', len) != NULL;
    *pline = trim_line(st->lb, &len);
    return APR_SUCCESS;
}

apr_status_t oa_rd_src_open_file(st_t *st, src_t *s, const char *path)
{
    apr_status_t rv;
    apr_finfo_t fi;
    if (s->pool) {
        apr_pool_destroy(s->pool);
    }
    apr_pool_create(&s->pool, st->p);
    s->name = path;
    s->line = 0;
    s->eof = 0;
    s->bpos = s->blen = 0;
    rv = oa_rd_confined_out(st, path) ? APR_ENOENT
         : apr_file_open(&s->fd, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, s->pool);
    if (rv == APR_SUCCESS) {
        /* a directory opens on some systems; reading it fails later with EISDIR */
        if (apr_file_info_get(&fi, APR_FINFO_TYPE, s->fd) == APR_SUCCESS
            && fi.filetype == APR_DIR) {
            rv = APR_FROM_OS_ERROR(EISDIR);
        }
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    s->buf = apr_palloc(s->pool, OA_READ_CHUNK);
    APR_ARRAY_PUSH(st->conf->files, const char *) = path;
    return APR_SUCCESS;
}

void oa_rd_src_pop(st_t *st)
{
    src_t *s = st->src;
    st->src = s->up;
    if (s->pool) {
        apr_pool_destroy(s->pool);
        s->pool = NULL;
    }
}

/*
 * Next logical line of the configuration, from whichever source is on top; sources
 * that end are closed (a file's sections checked, the next file of its Include opened).
 * With raw set (soaking a false <If*>, reading a <Macro> body), the end of a file is
 * the end: *pline is NULL.
 */
apr_status_t oa_rd_next_line(st_t *st, char **pline, int raw)
{
    apr_status_t rv;
    for (;;) {
        src_t *s = st->src;
        *pline = NULL;
        if (!s) {
            return APR_EOF;
        }
        if (s->kind == SRC_MACRO) {
            if (s->midx < s->mlines->nelts) {
                macro_line_t *ml = &APR_ARRAY_IDX(s->mlines, s->midx, macro_line_t);
                apr_size_t len = strlen(ml->text);
                s->midx++;
                s->line++;
                s->cur_file = ml->file;
                s->cur_line = ml->line;
                st->lb_len = 0;
                rv = lb_append(st, ml->text, len);
                if (rv != APR_SUCCESS) {
                    return rv;
                }
                st->line_has_nul = 0;
                st->raw_len = len;
                *pline = trim_line(st->lb, &len);
                return APR_SUCCESS;
            }
            oa_rd_src_pop(st);
            continue;
        }
        rv = src_logical_line(st, s, pline);
        if (rv == APR_SUCCESS) {
            return APR_SUCCESS;
        }
        if (rv == APR_ENOSPC) {
            return oa_rd_fail(st, s->name, s->line, "Error reading %s at line %d: Line too long",
                        s->name, s->line);
        }
        if (rv != APR_EOF) {
            char ebuf[256];
            return oa_rd_fail(st, s->name, s->line, "Error reading %s at line %d: %s",
                        s->name, s->line, apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
        if (raw) {
            return APR_EOF;
        }
        rv = oa_rd_close_file_sections(st, s);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (s->kind == SRC_FILE && s->group && s->group_next < s->group->nelts) {
            const char *path = APR_ARRAY_IDX(s->group, s->group_next, const char *);
            s->group_next++;
            rv = oa_rd_src_open_file(st, s, path);
            if (rv != APR_SUCCESS) {
                char ebuf[256];
                return oa_rd_fail(st, s->inc_file, s->inc_line,
                            "Could not open configuration file %s: %s", path,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
            }
            continue;
        }
        oa_rd_src_pop(st);
    }
}

