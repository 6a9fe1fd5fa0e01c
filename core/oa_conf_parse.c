/*
 * Reading Apache httpd 2.4 configuration files the way httpd does (server/config.c,
 * server/core.c, modules/core/mod_macro.c, modules/metadata/mod_version.c).
 *
 * The reader is a stack of line sources (files, macro bodies, -C/-c strings) and a
 * stack of open sections, both explicit, so that deep nesting and long include chains
 * never recurse on the C stack. What httpd executes while reading (EXEC_ON_READ) is
 * executed here; everything else becomes a node of the tree.
 */
#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <errno.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_fnmatch.h>
#include <apr_env.h>

#include "oa_conf.h"
#include "oa_conf_check.h"
#include "oa_modules.h"
#include "oa_suppress.h"

#define OA_MAX_LINE          (16 * 1024 * 1024) /* httpd's VARBUF_MAX_LEN */
#define OA_MAX_INCLUDE_DEPTH 128                /* AP_MAX_INCLUDE_DEPTH */
#define OA_MAX_DIR_DEPTH     128                /* AP_MAX_INCLUDE_DIR_DEPTH */
#define OA_READ_CHUNK        (64 * 1024)

typedef struct {
    const char *text;
    const char *file;
    int line;
    int index;                   /* mod_macro's number for it: non-empty lines, from 1 */
} macro_line_t;

/* mod_macro reads and substitutes lines in MAX_STRING_LEN (8192) buffers */
#define OA_MACRO_MAX_LINE    8191

typedef struct {
    const char *name;            /* lower case, as mod_macro keeps it */
    apr_array_header_t *params;  /* const char * */
    apr_array_header_t *lines;   /* macro_line_t */
    const char *file;
    int line;
} macro_t;

enum { SRC_FILE, SRC_STRING, SRC_MACRO };

typedef struct src_t src_t;
struct src_t {
    src_t *up;
    int kind;
    apr_pool_t *pool;            /* read buffers; destroyed when the source is done */
    const char *name;            /* file path, or "-C"/"-c", or the macro name */
    int line;                    /* last physical line read */
    /* files */
    apr_file_t *fd;
    char *buf;
    apr_size_t blen, bpos;
    int eof;
    apr_array_header_t *group;   /* the files of one Include, in httpd's order */
    int group_next;
    const char *inc_file;        /* the Include that read this file */
    int inc_line;
    int base_depth;              /* sections open when the file was entered */
    int include_depth;
    /* strings */
    const char *text;
    apr_size_t tlen, tpos;
    /* macros */
    macro_t *macro;
    apr_array_header_t *mlines;  /* macro_line_t, after substitution */
    int midx;
    const char *use_file;        /* the outermost Use */
    int use_line;
    const char *cur_file;        /* where the last body line was defined */
    int cur_line;
};

enum { FRAME_SECTION, FRAME_IF };

typedef struct {
    int kind;
    const char *name;            /* section name without '<', as written */
    oa_node_t *node;             /* FRAME_SECTION */
    oa_node_t *tail;             /* last child appended (FRAME_SECTION) */
    int target;                  /* index of the section frame nodes go to, -1: top */
    const char *file;
    int line;
} frame_t;

typedef struct {
    apr_pool_t *p;
    const oa_conf_opts_t *opts;
    oa_conf_t *conf;
    src_t *src;
    apr_array_header_t *frames;  /* frame_t */
    oa_node_t *top_tail;
    apr_hash_t *macros;          /* name -> macro_t* */
    apr_hash_t *loaded;          /* module id and module name -> oa_module_t* */
    const char *server_root;
    int version[3];
    /* the current logical line, malloc'd so that one 16 MB line is not kept for good */
    char *lb;
    apr_size_t lb_len, lb_cap;
    int line_has_nul;
    apr_size_t raw_len;             /* the logical line as read, with white space and newline */
    const char *pending_suppress;   /* from a "# ocsp-lint: disable=..." comment */
    const src_t *pending_src;       /* ... in this source only */
    oa_diag_t *err;
} st_t;

/* ------------------------------------------------------------------ small helpers */

static apr_status_t fail(st_t *st, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static apr_status_t fail(st_t *st, const char *file, int line, const char *fmt, ...)
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
static void src_where(const src_t *s, const char **pfile, int *pline)
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
static const char *escape_word(apr_pool_t *p, const char *w, apr_size_t n)
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

/* ap_getword_conf: one word, quotes and backslash escapes as httpd has them */
static char *getword_conf(apr_pool_t *p, const char **line)
{
    const char *str = *line, *strend;
    char quote, *res, *r;
    apr_size_t i, len;

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
        quote = 0;
        strend = str;
        while (*strend && !apr_isspace(*strend)) {
            ++strend;
        }
    }
    len = (apr_size_t)(strend - str);
    res = r = apr_palloc(p, len + 1);
    for (i = 0; i < len; ++i) {
        if (str[i] == '\\' && (str[i + 1] == '\\' || (quote && str[i + 1] == quote))) {
            *r++ = str[++i];
        }
        else {
            *r++ = str[i];
        }
    }
    *r = '\0';
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
        APR_ARRAY_PUSH(a, const char *) = getword_conf(p, &s);
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

/* ------------------------------------------------------------------ variables */

static const char *lookup_var(st_t *st, const char *name)
{
    const char *v = apr_table_get(st->conf->vars, name);
    char *ev = NULL;
    if (v) {
        return v;
    }
    if (st->opts->env && (v = apr_table_get(st->opts->env, name)) != NULL) {
        return v;
    }
    if (apr_env_get(&ev, name, st->p) == APR_SUCCESS) {
        return ev;
    }
    return NULL;
}

typedef struct {
    const char *b;
    apr_size_t n;
} piece_t;

static void add_piece(apr_array_header_t *pieces, apr_size_t *total, const char *b, apr_size_t n)
{
    piece_t *pc = apr_array_push(pieces);
    pc->b = b;
    pc->n = n;
    *total += n;
}

/* ap_resolve_env: ${NAME} from Define, then the environment; undefined stays literal.
 * Values are not scanned again. */
static const char *resolve_env(st_t *st, const char *word, const char *file, int line)
{
    const char *s = strchr(word, '$'), *e;
    apr_array_header_t *pieces;
    apr_size_t total = 0;
    char *res, *o;
    int i;

    if (!s) {
        return word;
    }
    pieces = apr_array_make(st->p, 8, sizeof(piece_t));
    add_piece(pieces, &total, word, (apr_size_t)(s - word));
    while (s && *s) {
        if (s[0] != '$') {
            const char *start = s;
            s = strchr(s, '$');
            add_piece(pieces, &total, start, s ? (apr_size_t)(s - start) : strlen(start));
        }
        else if (s[1] == '{' && (e = strchr(s + 2, '}')) != NULL) {
            const char *name = apr_pstrmemdup(st->p, s + 2, (apr_size_t)(e - s - 2));
            const char *val = lookup_var(st, name);
            if (val) {
                add_piece(pieces, &total, val, strlen(val));
            }
            else {
                if (!strchr(name, ':')) {
                    oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line,
                                "Config variable ${%s} is not defined", name);
                }
                add_piece(pieces, &total, s, (apr_size_t)(e - s + 1));
            }
            s = e + 1;
        }
        else {
            add_piece(pieces, &total, s++, 1);
        }
    }
    res = o = apr_palloc(st->p, total + 1);
    for (i = 0; i < pieces->nelts; i++) {
        const piece_t *pc = &APR_ARRAY_IDX(pieces, i, piece_t);
        memcpy(o, pc->b, pc->n);
        o += pc->n;
    }
    *o = '\0';
    return res;
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

static apr_status_t src_open_file(st_t *st, src_t *s, const char *path)
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
    rv = apr_file_open(&s->fd, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, s->pool);
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

static void src_pop(st_t *st)
{
    src_t *s = st->src;
    st->src = s->up;
    if (s->pool) {
        apr_pool_destroy(s->pool);
        s->pool = NULL;
    }
}

static int frames_depth(st_t *st)
{
    return st->frames->nelts;
}

static frame_t *frame_at(st_t *st, int i)
{
    return &APR_ARRAY_IDX(st->frames, i, frame_t);
}

/* The base section depth of the file the current line comes from. */
static int current_base(st_t *st)
{
    src_t *s;
    for (s = st->src; s; s = s->up) {
        if (s->kind != SRC_MACRO) {
            return s->base_depth;
        }
    }
    return 0;
}

/* At the end of a file: sections it opened must be closed (true <If*> need not be). */
static apr_status_t close_file_sections(st_t *st, src_t *s)
{
    while (frames_depth(st) > s->base_depth) {
        frame_t *f = frame_at(st, frames_depth(st) - 1);
        if (f->kind == FRAME_SECTION) {
            return fail(st, f->file, f->line, "%s:%d: <%s> was not closed.",
                        f->file, f->line, f->name);
        }
        st->frames->nelts--;
    }
    return APR_SUCCESS;
}

/*
 * Next logical line of the configuration, from whichever source is on top; sources
 * that end are closed (a file's sections checked, the next file of its Include opened).
 * With raw set (soaking a false <If*>, reading a <Macro> body), the end of a file is
 * the end: *pline is NULL.
 */
static apr_status_t next_line(st_t *st, char **pline, int raw)
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
            src_pop(st);
            continue;
        }
        rv = src_logical_line(st, s, pline);
        if (rv == APR_SUCCESS) {
            return APR_SUCCESS;
        }
        if (rv == APR_ENOSPC) {
            return fail(st, s->name, s->line, "Error reading %s at line %d: Line too long",
                        s->name, s->line);
        }
        if (rv != APR_EOF) {
            char ebuf[256];
            return fail(st, s->name, s->line, "Error reading %s at line %d: %s",
                        s->name, s->line, apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
        if (raw) {
            return APR_EOF;
        }
        rv = close_file_sections(st, s);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (s->kind == SRC_FILE && s->group && s->group_next < s->group->nelts) {
            const char *path = APR_ARRAY_IDX(s->group, s->group_next, const char *);
            s->group_next++;
            rv = src_open_file(st, s, path);
            if (rv != APR_SUCCESS) {
                char ebuf[256];
                return fail(st, s->inc_file, s->inc_line,
                            "Could not open configuration file %s: %s", path,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
            }
            continue;
        }
        src_pop(st);
    }
}

/* ------------------------------------------------------------------ the tree */

static oa_node_t *append_node(st_t *st, const char *directive, const char *args)
{
    oa_node_t *n = apr_pcalloc(st->p, sizeof(*n));
    int depth = frames_depth(st);
    int target = depth ? frame_at(st, depth - 1)->target : -1;
    src_t *s = st->src;

    n->directive = directive;
    n->args = args;
    src_where(s, &n->file, &n->line);
    if (s && s->kind == SRC_MACRO) {
        n->macro = s->macro->name;
        n->macro_file = s->cur_file;
        n->macro_line = s->cur_line;
        n->macro_def_file = s->macro->file;
        n->macro_def_line = s->macro->line;
    }
    if (target < 0) {
        if (st->top_tail) {
            st->top_tail->next = n;
        }
        else {
            st->conf->first = n;
        }
        st->top_tail = n;
    }
    else {
        frame_t *f = frame_at(st, target);
        n->parent = f->node;
        if (f->tail) {
            f->tail->next = n;
        }
        else {
            f->node->first_child = n;
        }
        f->tail = n;
    }
    return n;
}

static void push_frame(st_t *st, int kind, const char *name, oa_node_t *node)
{
    int depth = frames_depth(st);
    frame_t *f = apr_array_push(st->frames);
    f->kind = kind;
    f->name = name;
    f->node = node;
    f->tail = NULL;
    if (kind == FRAME_SECTION) {
        f->target = depth;
    }
    else {
        f->target = depth ? frame_at(st, depth - 1)->target : -1;
    }
    src_where(st->src, &f->file, &f->line);
}

/* ------------------------------------------------------------------ modules */

static oa_module_t *find_loaded(st_t *st, const char *name)
{
    return apr_hash_get(st->loaded, name, APR_HASH_KEY_STRING);
}

int oa_conf_has_module(const oa_conf_t *conf, const char *name)
{
    int i;
    for (i = 0; i < conf->modules->nelts; i++) {
        const oa_module_t *m = APR_ARRAY_IDX(conf->modules, i, const oa_module_t *);
        if (!strcmp(m->name, name) || !strcmp(m->id, name)) {
            return 1;
        }
    }
    return 0;
}

int oa_conf_is_defined(const oa_conf_t *conf, const char *name)
{
    int i;
    for (i = 0; i < conf->defines->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(conf->defines, i, const char *), name)) {
            return 1;
        }
    }
    return 0;
}

static const char *id_for_builtin(apr_pool_t *p, const char *name)
{
    apr_size_t n = strlen(name);
    if (!strcmp(name, "core.c")) {
        return "core_module";
    }
    if (!strcmp(name, "http_core.c")) {
        return "http_module";
    }
    if (n > 6 && !strncmp(name, "mod_", 4) && !strcmp(name + n - 2, ".c")) {
        return apr_psprintf(p, "%.*s_module", (int)(n - 6), name + 4);
    }
    if (n > 2 && !strcmp(name + n - 2, ".c")) {
        return apr_psprintf(p, "mpm_%.*s_module", (int)(n - 2), name);
    }
    return name;
}

oa_conf_t *oa_conf_create(apr_pool_t *p, const char *config_file, const char *server_root)
{
    oa_conf_t *conf = apr_pcalloc(p, sizeof(*conf));
    conf->pool = p;
    conf->config_file = config_file;
    conf->server_root = server_root;
    conf->modules = apr_array_make(p, 32, sizeof(oa_module_t *));
    conf->defines = apr_array_make(p, 8, sizeof(const char *));
    conf->vars = apr_table_make(p, 8);
    conf->files = apr_array_make(p, 16, sizeof(const char *));
    conf->diags = apr_array_make(p, 8, sizeof(oa_diag_t *));
    return conf;
}

oa_module_t *oa_conf_add_module(oa_conf_t *conf, const char *id, const char *name,
                                const char *path)
{
    oa_module_t *m = apr_pcalloc(conf->pool, sizeof(*m));
    m->id = id ? id : oa_module_id_for_name(name);
    if (!m->id) {
        m->id = id_for_builtin(conf->pool, name);
    }
    m->name = name;
    m->path = path;
    APR_ARRAY_PUSH(conf->modules, oa_module_t *) = m;
    return m;
}

static void add_module(st_t *st, const char *id, const char *name, const char *path,
                       const char *file, int line)
{
    oa_module_t *m = oa_conf_add_module(st->conf, id, name, path);
    m->file = file;
    m->line = line;
    apr_hash_set(st->loaded, m->id, APR_HASH_KEY_STRING, m);
    apr_hash_set(st->loaded, m->name, APR_HASH_KEY_STRING, m);
}

/* `macro 'NAME' (defined on line D of "F") used on line U of "G"`, G possibly another
 * such string when a macro used another one */
int oa_node_set_macro_origin(apr_pool_t *p, oa_node_t *n, const char *name, int line)
{
    const char *s = name, *e;
    int first = 1;
    if (strncmp(s, "macro '", 7)) {
        return 0;
    }
    while (!strncmp(s, "macro '", 7)) {
        const char *mname = s + 7, *q = strchr(mname, '\''), *def, *deff, *used;
        int d = 0, u = 0;
        if (!q || !(def = strstr(q, "(defined on line ")) || !(used = strstr(def, "\") used on line "))) {
            return 0;
        }
        d = atoi(def + 17);
        deff = strstr(def, " of \"");
        u = atoi(used + 16);
        e = strstr(used + 16, " of \"");
        if (!deff || !e || deff > used) {
            return 0;
        }
        if (first) {
            n->macro = apr_pstrmemdup(p, mname, (apr_size_t)(q - mname));
            n->macro_def_file = apr_pstrmemdup(p, deff + 5, (apr_size_t)(used - deff - 5));
            n->macro_def_line = d;
            n->macro_file = n->macro_def_file;
            n->macro_line = d + line;   /* body lines counted without comments: approximate */
            first = 0;
        }
        n->line = u;
        s = e + 5;
        /* the rest ends with the closing quote of this level */
        {
            apr_size_t len = strlen(s);
            n->file = apr_pstrmemdup(p, s, len && s[len - 1] == '"' ? len - 1 : len);
        }
        s = n->file;
    }
    return 1;
}

/* Is the directive available with the modules loaded so far? 1 yes, 0 no (httpd
 * refuses it), -1 unknown (a module we know nothing about may provide it). */
static int directive_available(st_t *st, const char *directive, const char **pmodule)
{
    const char *mod;
    int n;
    *pmodule = oa_directive_module_n(directive, 0);
    if (!oa_directive_count()) {
        return -1;
    }
    for (n = 0; (mod = oa_directive_module_n(directive, n)) != NULL; n++) {
        if (find_loaded(st, mod)) {
            return 1;
        }
    }
    return st->conf->unknown_modules ? -1 : 0;
}

/* ------------------------------------------------------------------ <If*> */

/* Skip a false section up to its end, as ap_soak_end_container does. */
static apr_status_t soak_section(st_t *st, const char *name)
{
    apr_array_header_t *open = apr_array_make(st->p, 4, sizeof(const char *));
    const char *want = name;
    const char *file;
    int line;
    apr_status_t rv;
    char *l;

    src_where(st->src, &file, &line);
    for (;;) {
        const char *args, *w;
        rv = next_line(st, &l, 1);
        if (rv == APR_EOF) {
            return fail(st, file, line, "Expected </%s> before end of configuration", want);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        args = l;
        w = getword_conf(st->p, &args);
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
                src_where(st->src, &f2, &l2);
                return fail(st, f2, l2, "Expected </%s> but saw </%s>", want, closing);
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
        return fail(st, file, line, "Unable to compile regular expression");
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
        return fail(st, file, line, "<IfVersion> takes one or two arguments");
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
                return fail(st, file, line, "Missing delimiting / of regular expression.");
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
        return fail(st, file, line, "unknown comparison operator '%s'", op);
    }
    *presult = neg ? !match : match;
    return APR_SUCCESS;
bad_version:
    return fail(st, file, line, "Version appears to be invalid. It must have the format "
                "major[.minor[.patch]] where major, minor and patch are numbers.");
}

static apr_status_t eval_if(st_t *st, const char *lname, const char *dname,
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
    name = getword_conf(st->p, &rest);
    if (!*name) {
        return fail(st, file, line, "%s> directive requires additional arguments", dname);
    }
    if (!strcmp(lname, "<ifmodule")) {
        found = find_loaded(st, name) != NULL;
    }
    else if (!strcmp(lname, "<ifdefine")) {
        found = oa_conf_is_defined(st->conf, name);
    }
    else if (!strcmp(lname, "<iffile")) {
        apr_finfo_t fi;
        const char *path = oa_conf_server_relative(st->p, st->server_root, name);
        found = apr_stat(&fi, path, APR_FINFO_TYPE, st->p) == APR_SUCCESS;
    }
    else if (!strcmp(lname, "<ifdirective") || !strcmp(lname, "<ifsection")) {
        const char *d = lname[3] == 's' ? apr_pstrcat(st->p, "<", name, NULL) : name;
        const char *mod;
        int avail = directive_available(st, d, &mod);
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

/* ------------------------------------------------------------------ Include */

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ap_process_resource_config_nofnmatch: a file, or every file below a directory */
/* returned by the walks below: stop collecting, the last file collected fails to open */
static const char STOP_WALK[] = "";

static const char *include_nofnmatch(st_t *st, apr_array_header_t *out, const char *path,
                                     int depth, int optional)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(&fi, path, APR_FINFO_TYPE, st->p);

    if (rv == APR_SUCCESS && fi.filetype == APR_DIR) {
        apr_dir_t *dir;
        apr_finfo_t de;
        apr_array_header_t *names;
        int i;
        char ebuf[256];
        if (++depth > OA_MAX_DIR_DEPTH) {
            return apr_psprintf(st->p, "Directory %s exceeds the maximum include directory "
                                "nesting level of %u. You have probably a recursion "
                                "somewhere.", path, OA_MAX_DIR_DEPTH);
        }
        rv = apr_dir_open(&dir, path, st->p);
        if (rv != APR_SUCCESS) {
            return apr_psprintf(st->p, "Could not open config directory %s: %s", path,
                                apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
        names = apr_array_make(st->p, 16, sizeof(const char *));
        while (apr_dir_read(&de, APR_FINFO_DIRENT, dir) == APR_SUCCESS) {
            if (strcmp(de.name, ".") && strcmp(de.name, "..")) {
                APR_ARRAY_PUSH(names, const char *) =
                    apr_pstrcat(st->p, path, path[strlen(path) - 1] == '/' ? "" : "/",
                                de.name, NULL);
            }
        }
        apr_dir_close(dir);
        qsort(names->elts, (size_t)names->nelts, sizeof(const char *), path_cmp);
        for (i = 0; i < names->nelts; i++) {
            const char *e = include_nofnmatch(st, out, APR_ARRAY_IDX(names, i, const char *),
                                              depth, optional);
            if (e) {
                return e;
            }
        }
        return NULL;
    }
    if (optional && (rv != APR_SUCCESS || fi.filetype == APR_NOFILE)) {
        return NULL;
    }
    APR_ARRAY_PUSH(out, const char *) = path;
    /* httpd opens each file as its walk reaches it: one it cannot stat (a symlink loop:
     * "Too many levels of symbolic links") ends the walk there, when it is opened */
    return rv == APR_SUCCESS ? NULL : STOP_WALK;
}

/* process_resource_config_fnmatch: wildcards, also in directory components */
static const char *include_fnmatch(st_t *st, apr_array_header_t *out, const char *path,
                                   const char *pattern, int optional)
{
    const char *rest = strchr(pattern, '/');
    const char *comp = rest ? apr_pstrmemdup(st->p, pattern, (apr_size_t)(rest - pattern))
                            : pattern;
    apr_dir_t *dir;
    apr_finfo_t de;
    apr_array_header_t *names;
    apr_status_t rv;
    char ebuf[256];
    int i;

    if (rest) {
        rest++;
    }
    if (!apr_fnmatch_test(comp)) {
        const char *p2 = apr_pstrcat(st->p, path, path[strlen(path) - 1] == '/' ? "" : "/",
                                     comp, NULL);
        return rest ? include_fnmatch(st, out, p2, rest, optional)
                    : include_nofnmatch(st, out, p2, 0, optional);
    }
    rv = apr_dir_open(&dir, path, st->p);
    if (rv != APR_SUCCESS) {
        if (APR_STATUS_IS_ENOENT(rv) && optional) {
            return NULL;
        }
        return apr_psprintf(st->p, "Include/IncludeOptional: Could not open directory %s: %s",
                            path, apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    names = apr_array_make(st->p, 16, sizeof(const char *));
    while (apr_dir_read(&de, APR_FINFO_DIRENT | APR_FINFO_TYPE, dir) == APR_SUCCESS) {
        if (!strcmp(de.name, ".") || !strcmp(de.name, "..")
            || apr_fnmatch(comp, de.name, APR_FNM_PERIOD) != APR_SUCCESS) {
            continue;
        }
        /* inside the path only directories matter (httpd skips the rest) */
        if (rest && de.filetype != APR_DIR) {
            continue;
        }
        APR_ARRAY_PUSH(names, const char *) =
            apr_pstrcat(st->p, path, path[strlen(path) - 1] == '/' ? "" : "/", de.name, NULL);
    }
    apr_dir_close(dir);
    if (!names->nelts) {
        if (optional) {
            return NULL;
        }
        return apr_psprintf(st->p, "Include/IncludeOptional: No matches for the wildcard "
                            "'%s' in '%s', failing", comp, path);
    }
    qsort(names->elts, (size_t)names->nelts, sizeof(const char *), path_cmp);
    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        const char *e = rest ? include_fnmatch(st, out, n, rest, optional)
                             : include_nofnmatch(st, out, n, 0, optional);
        if (e) {
            return e;
        }
    }
    return NULL;
}

static apr_status_t do_include(st_t *st, const char *args, int optional, const char *dname,
                               const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    apr_array_header_t *files = apr_array_make(st->p, 4, sizeof(const char *));
    const char *path, *err;
    src_t *s, *up;
    int depth = 0;

    if (w->nelts != 1) {
        return fail(st, file, line, "%s takes one argument, Name of the config file to be "
                    "included", dname);
    }
    for (up = st->src; up; up = up->up) {
        if (up->kind == SRC_FILE && up->inc_file) {
            depth = up->include_depth;
            break;
        }
    }
    if (depth + 1 > OA_MAX_INCLUDE_DEPTH) {
        /* a file that includes itself, directly or not, or just a long chain? */
        const char *chain = "", *again = NULL;
        int n = 0;
        src_t *a, *b;
        for (a = st->src; a && !again; a = a->up) {
            for (b = a->up; a->kind == SRC_FILE && b && !again; b = b->up) {
                if (b->kind == SRC_FILE && !strcmp(a->name, b->name)) {
                    again = a->name;
                }
            }
        }
        if (!again) {
            return fail(st, file, line, "Exceeded maximum include depth of %d, There appears "
                        "to be a recursion.", OA_MAX_INCLUDE_DEPTH);
        }
        /* say which files keep including each other */
        for (up = st->src; up && n < 8; up = up->up) {
            if (up->kind == SRC_FILE && up->inc_file) {
                chain = apr_psprintf(st->p, "%s:%d includes %s%s%s", up->inc_file, up->inc_line,
                                     up->name, *chain ? "; " : "", chain);
                n++;
            }
        }
        return fail(st, file, line, "Include cycle: %s%s (%s includes itself; httpd gives up "
                    "after %d nested includes: 'Exceeded maximum include depth')",
                    n >= 8 ? "...; " : "", chain, again, OA_MAX_INCLUDE_DEPTH);
    }
    path = oa_conf_server_relative(st->p, st->server_root, APR_ARRAY_IDX(w, 0, const char *));
    if (!apr_fnmatch_test(path)) {
        err = include_nofnmatch(st, files, path, 0, optional);
    }
    else {
        err = include_fnmatch(st, files, "/", path + 1, optional);
    }
    if (err && err != STOP_WALK) {
        return fail(st, file, line, "%s", err);
    }
    if (!files->nelts) {
        return APR_SUCCESS;
    }
    s = apr_pcalloc(st->p, sizeof(*s));
    s->kind = SRC_FILE;
    s->group = files;
    s->group_next = 1;
    s->inc_file = file;
    s->inc_line = line;
    s->include_depth = depth + 1;
    s->base_depth = frames_depth(st);
    s->up = st->src;
    {
        apr_status_t rv = src_open_file(st, s, APR_ARRAY_IDX(files, 0, const char *));
        if (rv != APR_SUCCESS) {
            char ebuf[256];
            if (s->pool) {
                apr_pool_destroy(s->pool);
            }
            return fail(st, file, line, "Could not open configuration file %s: %s",
                        APR_ARRAY_IDX(files, 0, const char *),
                        apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
    }
    st->src = s;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ mod_macro */

static apr_status_t define_macro(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    macro_t *m;
    int i, j, index, nesting = 1;
    char *l;
    apr_status_t rv;
    const char *where;

    if (!w->nelts || !*APR_ARRAY_IDX(w, 0, const char *)) {
        return fail(st, file, line, "<Macro macro definition: name not found");
    }
    m = apr_pcalloc(st->p, sizeof(*m));
    m->name = apr_pstrdup(st->p, APR_ARRAY_IDX(w, 0, const char *));
    for (l = (char *)m->name; *l; l++) {
        *l = (char)apr_tolower(*l);
    }
    m->file = file;
    m->line = line;
    where = apr_psprintf(st->p, "macro '%s' (defined on line %d of \"%s\")", m->name, line,
                         file);
    m->params = apr_array_make(st->p, w->nelts, sizeof(const char *));
    for (i = 1; i < w->nelts; i++) {
        const char *a = APR_ARRAY_IDX(w, i, const char *);
        if (!*a) {
            return fail(st, file, line, "%s: empty argument #%d name", where, i);
        }
        if (!strchr("$%@", a[0])) {
            oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line,
                        "%s argument name '%s' (#%d) without expected prefix, better prefix "
                        "argument names with one of '$%%@'.", where, a, i);
        }
        for (j = 0; j < m->params->nelts; j++) {
            if (!strcmp(APR_ARRAY_IDX(m->params, j, const char *), a)) {
                return fail(st, file, line, "argument name conflict in macro '%s' (%s): "
                            "argument '%s': #%d and #%d, change argument names!",
                            m->name, where, a, j + 1, i);
            }
        }
        APR_ARRAY_PUSH(m->params, const char *) = a;
    }
    m->lines = apr_array_make(st->p, 8, sizeof(macro_line_t));
    for (index = 0;;) {
        const char *a, *first;
        macro_line_t *ml;
        const char *lf;
        int ll;
        rv = next_line(st, &l, 1);
        if (rv == APR_EOF || (rv == APR_SUCCESS && st->raw_len > OA_MACRO_MAX_LINE)) {
            /* a longer line ends mod_macro's reading as the end of the file does */
            return fail(st, file, line, "%s\n\tcontents error: expected token not found: "
                        "</Macro>", where);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (*l) {
            index++;
        }
        if (*l == '#') {
            continue;
        }
        a = l;
        first = getword_conf(st->p, &a);
        if (!strcasecmp(first, "</Macro>")) {
            if (--nesting == 0) {
                break;
            }
        }
        else if (!strcasecmp(first, "<Macro")) {
            nesting++;
        }
        src_where(st->src, &lf, &ll);
        ml = apr_array_push(m->lines);
        ml->index = index;
        ml->text = apr_pstrdup(st->p, l);
        if (st->src->kind == SRC_MACRO) {
            ml->file = st->src->cur_file;
            ml->line = st->src->cur_line;
        }
        else {
            ml->file = lf;
            ml->line = ll;
        }
    }
    if (!m->lines->nelts) {
        oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line, "%s: empty contents!", where);
    }
    for (i = 0; i < m->params->nelts; i++) {
        const char *a = APR_ARRAY_IDX(m->params, i, const char *);
        for (j = 0; j < m->lines->nelts; j++) {
            if (strstr(APR_ARRAY_IDX(m->lines, j, macro_line_t).text, a)) {
                break;
            }
        }
        if (j == m->lines->nelts) {
            /* AH02800 */
            oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line, "%s: argument '%s' (#%d) "
                        "never used", where, a, i + 1);
        }
    }
    if (apr_hash_get(st->macros, m->name, APR_HASH_KEY_STRING)) {
        macro_t *old = apr_hash_get(st->macros, m->name, APR_HASH_KEY_STRING);
        oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line,
                    "macro '%s' multiply defined: defined on line %d of \"%s\", redefined "
                    "on line %d of \"%s\"", m->name, old->line, old->file, line, file);
    }
    apr_hash_set(st->macros, m->name, APR_HASH_KEY_STRING, m);
    return APR_SUCCESS;
}

/* mod_macro's substitution: the first parameter found, the longest on a tie; '@'
 * parameters are put in double quotes with escapes. Replacements are not scanned.
 * NULL when the line grows past mod_macro's buffer ("buffer size too small"). */
static const char *substitute(apr_pool_t *p, const char *text, const macro_t *m,
                              apr_array_header_t *vals)
{
    const char *s = text;
    apr_size_t cap = OA_MACRO_MAX_LINE + 1, len = 0, total = strlen(text);
    char *out = apr_palloc(p, cap);
    for (;;) {
        const char *best = NULL, *name, *val, *v;
        int which = -1, i;
        apr_size_t blen = 0, vlen;
        for (i = 0; i < m->params->nelts; i++) {
            const char *f = strstr(s, APR_ARRAY_IDX(m->params, i, const char *));
            apr_size_t nl = strlen(APR_ARRAY_IDX(m->params, i, const char *));
            if (f && (!best || f < best || (f == best && nl > blen))) {
                best = f;
                blen = nl;
                which = i;
            }
        }
        if (!best) {
            break;
        }
        name = APR_ARRAY_IDX(m->params, which, const char *);
        val = APR_ARRAY_IDX(vals, which, const char *);
        vlen = strlen(val);
        if (name[0] == '@') {
            vlen += 2;
            for (v = val; *v; v++) {
                vlen += (*v == '"' || *v == '\\');
            }
        }
        total = total - blen + vlen;
        if (total >= OA_MACRO_MAX_LINE) {
            return NULL;
        }
        memcpy(out + len, s, (apr_size_t)(best - s));
        len += (apr_size_t)(best - s);
        if (name[0] == '@') {
            out[len++] = '"';
            for (v = val; *v; v++) {
                if (*v == '"' || *v == '\\') {
                    out[len++] = '\\';
                }
                out[len++] = *v;
            }
            out[len++] = '"';
        }
        else {
            memcpy(out + len, val, strlen(val));
            len += strlen(val);
        }
        s = best + blen;
    }
    memcpy(out + len, s, strlen(s) + 1);
    return out;
}

static apr_status_t use_macro(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    apr_array_header_t *vals;
    const char *name;
    char *lc;
    macro_t *m;
    src_t *s, *up;
    int i;

    if (!apr_hash_count(st->macros)) {
        return fail(st, file, line, "no macro defined before Use");
    }
    if (!w->nelts || !*APR_ARRAY_IDX(w, 0, const char *)) {
        return fail(st, file, line, "no macro name specified with Use");
    }
    name = lc = apr_pstrdup(st->p, APR_ARRAY_IDX(w, 0, const char *));
    for (; *lc; lc++) {
        *lc = (char)apr_tolower(*lc);
    }
    m = apr_hash_get(st->macros, name, APR_HASH_KEY_STRING);
    if (!m) {
        return fail(st, file, line, "macro '%s' undefined", name);
    }
    for (up = st->src; up; up = up->up) {
        if (up->kind == SRC_MACRO && !strcmp(up->macro->name, m->name)) {
            return fail(st, file, line, "recursive use of macro '%s' is invalid", m->name);
        }
    }
    vals = apr_array_make(st->p, w->nelts, sizeof(const char *));
    for (i = 1; i < w->nelts; i++) {
        APR_ARRAY_PUSH(vals, const char *) = APR_ARRAY_IDX(w, i, const char *);
    }
    if (vals->nelts != m->params->nelts) {
        return fail(st, file, line, "macro '%s' (defined on line %d of \"%s\") used with %d "
                    "arguments instead of %d", m->name, m->line, m->file, vals->nelts,
                    m->params->nelts);
    }
    s = apr_pcalloc(st->p, sizeof(*s));
    s->kind = SRC_MACRO;
    s->name = m->name;
    s->macro = m;
    s->mlines = apr_array_make(st->p, m->lines->nelts, sizeof(macro_line_t));
    for (i = 0; i < m->lines->nelts; i++) {
        const macro_line_t *src_line = &APR_ARRAY_IDX(m->lines, i, macro_line_t);
        macro_line_t *ml = apr_array_push(s->mlines);
        *ml = *src_line;
        ml->text = substitute(st->p, src_line->text, m, vals);
        if (!ml->text) {
            return fail(st, file, line, "macro '%s' (defined on line %d of \"%s\") used on "
                        "line %d of \"%s\" error while substituting: while processing line %d "
                        "of macro '%s' (defined on line %d of \"%s\") cannot substitute, "
                        "buffer size too small", m->name, m->line, m->file, line, file,
                        src_line->index, m->name, m->line, m->file);
        }
    }
    s->use_file = file;
    s->use_line = line;
    s->up = st->src;
    st->src = s;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ one line */

static apr_status_t exec_define(st_t *st, const char *args, int undefine, const char *file,
                                int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    const char *name;
    int i;
    if (w->nelts < 1 || w->nelts > (undefine ? 1 : 2)) {
        return fail(st, file, line, undefine ? "UnDefine takes one argument"
                                             : "Define takes one or two arguments");
    }
    name = APR_ARRAY_IDX(w, 0, const char *);
    if (strchr(name, ':')) {
        return fail(st, file, line, "Variable name must not contain ':'");
    }
    if (undefine) {
        for (i = 0; i < st->conf->defines->nelts; i++) {
            if (!strcmp(APR_ARRAY_IDX(st->conf->defines, i, const char *), name)) {
                memmove(st->conf->defines->elts + (size_t)i * sizeof(const char *),
                        st->conf->defines->elts + (size_t)(i + 1) * sizeof(const char *),
                        (size_t)(st->conf->defines->nelts - i - 1) * sizeof(const char *));
                st->conf->defines->nelts--;
                break;
            }
        }
        apr_table_unset(st->conf->vars, name);
        return APR_SUCCESS;
    }
    if (!oa_conf_is_defined(st->conf, name)) {
        APR_ARRAY_PUSH(st->conf->defines, const char *) = name;
    }
    if (w->nelts == 2) {
        apr_table_set(st->conf->vars, name, APR_ARRAY_IDX(w, 1, const char *));
    }
    return APR_SUCCESS;
}

static apr_status_t exec_loadmodule(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    const char *id, *name, *path;
    apr_finfo_t fi;
    oa_module_t *m;
    int known;
    if (w->nelts != 2) {
        return fail(st, file, line, "LoadModule takes two arguments, a module name and the "
                    "name of a shared object file to load it from");
    }
    id = APR_ARRAY_IDX(w, 0, const char *);
    m = find_loaded(st, id);
    if (m && !m->path) {
        return fail(st, file, line, "module %s is built-in and can't be loaded", id);
    }
    if (m) {
        oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line,
                    "module %s is already loaded, skipping", id);
        return APR_SUCCESS;
    }
    path = oa_conf_server_relative(st->p, st->server_root, APR_ARRAY_IDX(w, 1, const char *));
    if (!st->opts->skip_module_files
        && apr_stat(&fi, path, APR_FINFO_TYPE, st->p) != APR_SUCCESS) {
        /* mod_so's apr_dso_load() of a file that is not there; the text is dlerror()'s */
        return fail(st, file, line, "Cannot load %s into server: %s: cannot open shared "
                    "object file: No such file or directory", APR_ARRAY_IDX(w, 1, const char *),
                    path);
    }
    name = oa_module_name_for_id(st->p, id, &known);
    if (!known && oa_directive_count()) {
        st->conf->unknown_modules++;
    }
    add_module(st, id, name, path, file, line);
    return APR_SUCCESS;
}

static apr_status_t exec_serverroot(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    apr_finfo_t fi;
    const char *root;
    if (w->nelts != 1 || !*APR_ARRAY_IDX(w, 0, const char *)) {
        return fail(st, file, line, "ServerRoot takes one argument, Common directory of "
                    "server-related files (logs, confs, etc.)");
    }
    root = oa_conf_server_relative(st->p, st->server_root, APR_ARRAY_IDX(w, 0, const char *));
    if (apr_stat(&fi, root, APR_FINFO_TYPE, st->p) != APR_SUCCESS || fi.filetype != APR_DIR) {
        return fail(st, file, line, "ServerRoot must be a valid directory");
    }
    st->server_root = root;
    return APR_SUCCESS;
}

static apr_status_t close_section(st_t *st, const char *word, const char *file, int line)
{
    apr_size_t n = strlen(word);
    const char *name;
    frame_t *f;
    if (n < 3 || word[n - 1] != '>') {
        return fail(st, file, line, "%s> directive missing closing '>'", word);
    }
    name = apr_pstrmemdup(st->p, word + 2, n - 3);
    if (frames_depth(st) <= current_base(st)) {
        return fail(st, file, line, "</%s> without matching <%s> section", name, name);
    }
    f = frame_at(st, frames_depth(st) - 1);
    if (strcasecmp(f->name, name)) {
        return fail(st, file, line, "Expected </%s> but saw </%s>", f->name, name);
    }
    st->frames->nelts--;
    return APR_SUCCESS;
}

static const char *const exec_on_read[] = {
    "include", "includeoptional", "define", "undefine", "serverroot", "loadmodule",
    "<macro", "use", "undefmacro", "<ifmodule", "<ifdefine", "<ifversion", "<iffile",
    "<ifdirective", "<ifsection", NULL
};

static int is_exec_on_read(const char *lname)
{
    int i;
    for (i = 0; exec_on_read[i]; i++) {
        if (!strcmp(lname, exec_on_read[i])) {
            return 1;
        }
    }
    return 0;
}

static apr_status_t invalid_command(st_t *st, const char *word, const char *mod,
                                    const char *file, int line)
{
    oa_diag_t *d;
    const char *c;
    fail(st, file, line, "Invalid command '%s', perhaps misspelled or defined by a module "
         "not included in the server configuration", escape_word(st->p, word, strlen(word)));
    d = st->err;
    for (c = word; *c; c++) {
        if (!apr_isprint(*c) && !apr_isspace(*c)) {
            d->hint = "the file holds binary data: is it a configuration file?";
            return APR_EGENERAL;
        }
    }
    if (mod) {
        const char *id = oa_module_id_for_name(mod);
        apr_size_t il = id ? strlen(id) : 0;
        d->hint = apr_psprintf(st->p, "%s is provided by %s, which this configuration "
                               "does not load%s%.*s%s", word, mod,
                               il > 7 ? " (Debian: a2enmod " : "", (int)(il > 7 ? il - 7 : 0),
                               id ? id : "", il > 7 ? ")" : "");
    }
    return APR_EGENERAL;
}

static const oa_node_t *next_skipping_children(const oa_node_t *n)
{
    while (n && !n->next) {
        n = n->parent;
    }
    return n ? n->next : NULL;
}

/* The last ErrorLog among a server's own directives (not those of nested sections). */
static const oa_node_t *error_log_of(const oa_node_t *first)
{
    const oa_node_t *n, *found = NULL;
    for (n = first; n; n = n->next) {
        if (oa_node_is(n, "ErrorLog")) {
            found = n;
        }
    }
    return found;
}

/* open_error_log (log.c) at -t: the directory of each file ErrorLog must exist. Only
 * ErrorLogs the config sets are checked (a missing one means the compiled-in default). */
static apr_status_t check_error_log(st_t *st, const oa_node_t *el, const oa_node_t *vhost)
{
    apr_array_header_t *w;
    const char *arg, *path, *slash;
    apr_finfo_t fi;
    if (!el) {
        return APR_SUCCESS;
    }
    w = oa_conf_split_args(st->p, el->args);
    arg = w->nelts ? APR_ARRAY_IDX(w, 0, const char *) : "";
    if (!*arg || *arg == '|' || !strncasecmp(arg, "syslog", 6)) {
        return APR_SUCCESS;
    }
    path = oa_conf_server_relative(st->p, st->server_root, arg);
    slash = strrchr(path, '/');
    path = apr_pstrmemdup(st->p, path, slash ? (apr_size_t)(slash - path + 1) : 0);
    if (!*path || apr_stat(&fi, path, APR_FINFO_TYPE, st->p) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (!vhost) {
        return fail(st, el->file, el->line, "Cannot access directory '%s' for main error log "
                    "(httpd -t: Configuration check failed)", path);
    }
    return fail(st, el->file, el->line, "Cannot access directory '%s' for error log of vhost "
                "defined at %s:%d (httpd -t: Configuration check failed)", path, vhost->file,
                vhost->line);
}

static apr_status_t check_error_logs(st_t *st)
{
    const oa_node_t *n;
    if (check_error_log(st, error_log_of(st->conf->first), NULL) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    for (n = st->conf->first; n; n = n->next) {
        if (oa_node_is(n, "<VirtualHost")
            && check_error_log(st, error_log_of(n->first_child), n) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* httpd looks directives up when it processes the tree, with every module loaded, and
 * checks each where it stands (oa_conf_check.c) */
static apr_status_t check_directives(st_t *st)
{
    const oa_node_t *n;
    const char *mod, *msg;
    oa_check_state_t cs;
    oa_check_state_init(&cs, st->p, st->conf);
    for (n = st->conf->first; n; ) {
        const char *lname = apr_pstrdup(st->p, n->directive);
        char *c;
        for (c = (char *)lname; *c; c++) {
            *c = (char)apr_tolower(*c);
        }
        if (directive_available(st, n->directive, &mod) == 0) {
            return invalid_command(st, n->directive, mod, n->file, n->line);
        }
        if (is_exec_on_read(lname)) {
            /* read before its module was loaded: httpd runs it now, on its own terms */
            n = next_skipping_children(n);
            continue;
        }
        if ((msg = oa_check_node(&cs, n)) != NULL) {
            return fail(st, n->file, n->line, "%s", msg);
        }
        n = oa_node_next_preorder(n);
    }
    return check_error_logs(st);
}

/* A directive httpd keeps in the tree; one it runs while reading (EXEC_ON_READ) and
 * we do not execute is checked now, as httpd would refuse it now. */
static apr_status_t add_node(st_t *st, const char *word, const char *args, int is_section,
                             const char *file, int line)
{
    oa_node_t *n = append_node(st, word, args);
    const char *mod, *msg;
    n->suppress = st->pending_src == st->src ? st->pending_suppress : NULL;
    st->pending_suppress = NULL;
    if (is_section) {
        push_frame(st, FRAME_SECTION, word + 1, n);
    }
    if (oa_check_exec_on_read(word) && directive_available(st, word, &mod) == 1) {
        oa_check_state_t cs;
        oa_check_state_init(&cs, st->p, st->conf);
        if ((msg = oa_check_node(&cs, n)) != NULL) {
            return fail(st, file, line, "%s", msg);
        }
    }
    return APR_SUCCESS;
}

static apr_status_t process_line(st_t *st, const char *l)
{
    const char *file, *args, *lname;
    char *word, *lw;
    int line, is_section = 0;
    const char *mod;

    if (*l == '#') {
        /* "# ocsp-lint: disable=OA203,stapling-off because ..." silences those rules
         * for the directive or section on the next line */
        const char *r = oa_suppress_parse(st->p, l);
        if (r) {
            st->pending_suppress = r;
            st->pending_src = st->src;
        }
        return APR_SUCCESS;
    }
    if (*l == '\0') {
        return APR_SUCCESS;
    }
    src_where(st->src, &file, &line);
    if (st->line_has_nul) {
        /* httpd's line reader stops at a NUL byte: the rest of the line is lost */
        oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line, "the line holds a NUL byte; "
                    "httpd reads it only up to there: is this a text file?");
    }
    args = resolve_env(st, l, file, line);
    if (args == l) {
        args = apr_pstrdup(st->p, l);   /* l is the reader's buffer */
    }
    word = getword_conf(st->p, &args);
    if (!*word) {
        return APR_SUCCESS;
    }
    if (word[0] == '<' && word[1] == '/') {
        return close_section(st, word, file, line);
    }
    /* ap_build_config_sub drops a '>' glued to the name ("<DirectoryMatch> "/x/">"),
     * and a section without arguments gets ">" */
    if (word[strlen(word) - 1] == '>') {
        word[strlen(word) - 1] = '\0';
    }
    if (word[0] == '<') {
        /* section handlers take their arguments up to the last '>' */
        const char *gt;
        if (!*args) {
            args = ">";
        }
        gt = strrchr(args, '>');
        is_section = 1;
        if (gt) {
            apr_size_t an = (apr_size_t)(gt - args);
            while (an > 0 && apr_isspace(args[an - 1])) {
                an--;
            }
            args = apr_pstrmemdup(st->p, args, an);
        }
        else {
            return fail(st, file, line, "%s> directive missing closing '>'", word);
        }
    }
    lw = apr_pstrdup(st->p, word);
    for (lname = lw; *lw; lw++) {
        *lw = (char)apr_tolower(*lw);
    }

    /* What httpd executes while reading is looked up now, among the modules loaded
     * so far; everything else only when httpd processes the finished tree
     * (check_directives), so LoadModule may come after its directives. */
    if (is_exec_on_read(lname) && directive_available(st, word, &mod) != 0) {
        st->pending_suppress = NULL;
    }
    else {
        /* httpd keeps a directive it does not know (yet) in the tree and refuses it
         * when it processes the tree, after every error found while reading */
        return add_node(st, word, args, is_section, file, line);
    }

    /* what httpd executes while reading */
    if (!strcmp(lname, "include") || !strcmp(lname, "includeoptional")) {
        return do_include(st, args, lname[7] == 'o', word, file, line);
    }
    if (!strcmp(lname, "define") || !strcmp(lname, "undefine")) {
        return exec_define(st, args, lname[0] == 'u', file, line);
    }
    if (!strcmp(lname, "serverroot")) {
        return exec_serverroot(st, args, file, line);
    }
    if (!strcmp(lname, "loadmodule")) {
        return exec_loadmodule(st, args, file, line);
    }
    if (!strcmp(lname, "<macro")) {
        return define_macro(st, args, file, line);
    }
    if (!strcmp(lname, "use")) {
        return use_macro(st, args, file, line);
    }
    if (!strcmp(lname, "undefmacro")) {
        apr_array_header_t *w = oa_conf_split_args(st->p, args);
        char *n, *c;
        if (!apr_hash_count(st->macros)) {
            return fail(st, file, line, "no macro defined before UndefMacro");
        }
        if (w->nelts != 1) {
            return fail(st, file, line, "no macro name specified with UndefMacro");
        }
        n = c = apr_pstrdup(st->p, APR_ARRAY_IDX(w, 0, const char *));
        for (; *c; c++) {
            *c = (char)apr_tolower(*c);
        }
        if (!apr_hash_get(st->macros, n, APR_HASH_KEY_STRING)) {
            return fail(st, file, line, "cannot remove undefined macro '%s'", n);
        }
        apr_hash_set(st->macros, n, APR_HASH_KEY_STRING, NULL);
        return APR_SUCCESS;
    }
    if (!strcmp(lname, "<ifmodule") || !strcmp(lname, "<ifdefine")
        || !strcmp(lname, "<ifversion") || !strcmp(lname, "<iffile")
        || !strcmp(lname, "<ifdirective") || !strcmp(lname, "<ifsection")) {
        int result = 0;
        apr_status_t rv = eval_if(st, lname, word, args, &result, file, line);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (result) {
            push_frame(st, FRAME_IF, word + 1, NULL);
            return APR_SUCCESS;
        }
        return soak_section(st, word + 1);
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ entry points */

void oa_conf_opts_init(oa_conf_opts_t *opts, apr_pool_t *p)
{
    memset(opts, 0, sizeof(*opts));
    opts->defines = apr_array_make(p, 4, sizeof(const char *));
    opts->pre_directives = apr_array_make(p, 2, sizeof(const char *));
    opts->post_directives = apr_array_make(p, 2, sizeof(const char *));
}

static void free_line_buffer(st_t *st)
{
    free(st->lb);
    st->lb = NULL;
    st->lb_cap = st->lb_len = 0;
}

static src_t *string_source(st_t *st, const char *name, const char *text)
{
    src_t *s = apr_pcalloc(st->p, sizeof(*s));
    s->kind = SRC_STRING;
    s->name = name;
    s->text = text;
    s->tlen = strlen(text);
    return s;
}

static apr_status_t run(st_t *st)
{
    apr_status_t rv;
    char *l;
    while ((rv = next_line(st, &l, 0)) == APR_SUCCESS) {
        rv = process_line(st, l);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return rv == APR_EOF ? APR_SUCCESS : rv;
}

static apr_status_t conf_read(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                              const oa_conf_opts_t *opts, const char *name, const char *text)
{
    st_t st;
    oa_conf_t *conf = oa_conf_create(p, NULL, NULL);
    apr_array_header_t *builtins;
    src_t *main_src = NULL;
    apr_status_t rv;
    int i;

    memset(&st, 0, sizeof(st));
    st.p = p;
    st.opts = opts;
    st.conf = conf;
    st.frames = apr_array_make(p, 16, sizeof(frame_t));
    st.macros = apr_hash_make(p);
    st.loaded = apr_hash_make(p);
    st.server_root = opts->server_root ? opts->server_root : "/etc/apache2";
    if (opts->httpd_version[0]) {
        memcpy(st.version, opts->httpd_version, sizeof(st.version));
    }
    else {
        st.version[0] = 2;
        st.version[1] = 4;
        st.version[2] = 71;
    }
    *pconf = conf;
    *perr = NULL;

    for (i = 0; opts->defines && i < opts->defines->nelts; i++) {
        APR_ARRAY_PUSH(conf->defines, const char *) = APR_ARRAY_IDX(opts->defines, i, const char *);
    }
    builtins = opts->builtin_modules ? opts->builtin_modules : oa_builtin_modules_debian(p);
    for (i = 0; i < builtins->nelts; i++) {
        const char *bname = APR_ARRAY_IDX(builtins, i, const char *);
        add_module(&st, id_for_builtin(p, bname), bname, NULL, NULL, 0);
    }

    /* sources are a stack: push what is read last first */
    for (i = opts->post_directives ? opts->post_directives->nelts - 1 : -1; i >= 0; i--) {
        src_t *s = string_source(&st, "-c", APR_ARRAY_IDX(opts->post_directives, i, const char *));
        s->up = st.src;
        st.src = s;
    }
    if (text) {
        main_src = string_source(&st, name, text);
        conf->config_file = name;
    }
    else {
        char ebuf[256];
        const char *path = oa_conf_server_relative(p, st.server_root, opts->config_file
                                                   ? opts->config_file : "apache2.conf");
        conf->config_file = path;
        main_src = apr_pcalloc(p, sizeof(*main_src));
        main_src->kind = SRC_FILE;
        rv = src_open_file(&st, main_src, path);
        if (rv != APR_SUCCESS) {
            if (main_src->pool) {
                apr_pool_destroy(main_src->pool);
            }
            *perr = oa_diag_make(p, OA_SEV_ERROR, path, 0,
                                 "Could not open configuration file %s: %s", path,
                                 apr_strerror(rv, ebuf, sizeof(ebuf)));
            return rv;
        }
    }
    main_src->up = st.src;
    st.src = main_src;
    for (i = opts->pre_directives ? opts->pre_directives->nelts - 1 : -1; i >= 0; i--) {
        src_t *s = string_source(&st, "-C", APR_ARRAY_IDX(opts->pre_directives, i, const char *));
        s->up = st.src;
        st.src = s;
    }

    rv = run(&st);
    if (rv == APR_SUCCESS) {
        rv = check_directives(&st);
    }
    while (st.src) {
        src_pop(&st);
    }
    free_line_buffer(&st);
    conf->server_root = st.server_root;
    if (rv != APR_SUCCESS) {
        if (!st.err) {
            char ebuf[256];
            st.err = oa_diag_make(p, OA_SEV_ERROR, conf->config_file, 0, "%s",
                                  apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
        *perr = st.err;
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t oa_conf_read(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                          const oa_conf_opts_t *opts)
{
    return conf_read(pconf, perr, p, opts, NULL, NULL);
}

apr_status_t oa_conf_read_string(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                                 const oa_conf_opts_t *opts, const char *name,
                                 const char *text)
{
    return conf_read(pconf, perr, p, opts, name, text);
}
