/*
 * mod_macro: <Macro> definitions, Use, UndefMacro, and httpd's names for the
 * lines a macro makes.
 */
#include "oa_conf_reader.h"

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

/* ------------------------------------------------------------------ mod_macro */

apr_status_t oa_rd_define_macro(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    macro_t *m;
    int i, j, index, nesting = 1;
    char *l;
    apr_status_t rv;
    const char *where;

    if (!w->nelts || !*APR_ARRAY_IDX(w, 0, const char *)) {
        return oa_rd_fail(st, file, line, "<Macro macro definition: name not found");
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
            return oa_rd_fail(st, file, line, "%s: empty argument #%d name", where, i);
        }
        if (!strchr("$%@", a[0])) {
            oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line,
                        "%s argument name '%s' (#%d) without expected prefix, better prefix "
                        "argument names with one of '$%%@'.", where, a, i);
        }
        for (j = 0; j < m->params->nelts; j++) {
            if (!strcmp(APR_ARRAY_IDX(m->params, j, const char *), a)) {
                return oa_rd_fail(st, file, line, "argument name conflict in macro '%s' (%s): "
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
        rv = oa_rd_next_line(st, &l, 1);
        if (rv == APR_EOF || (rv == APR_SUCCESS && st->raw_len > OA_MACRO_MAX_LINE)) {
            /* a longer line ends mod_macro's reading as the end of the file does */
            return oa_rd_fail(st, file, line, "%s\n\tcontents error: expected token not found: "
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
        first = oa_rd_getword_conf(st->p, &a);
        if (!strcasecmp(first, "</Macro>")) {
            if (--nesting == 0) {
                break;
            }
        }
        else if (!strcasecmp(first, "<Macro")) {
            nesting++;
        }
        oa_rd_src_where(st->src, &lf, &ll);
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
    apr_size_t len = 0, total = strlen(text);
    char *out = apr_palloc(p, (total > OA_MACRO_MAX_LINE ? total : OA_MACRO_MAX_LINE) + 1);
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

apr_status_t oa_rd_use_macro(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    apr_array_header_t *vals;
    const char *name;
    char *lc;
    macro_t *m;
    src_t *s, *up;
    int i;

    if (!apr_hash_count(st->macros)) {
        return oa_rd_fail(st, file, line, "no macro defined before Use");
    }
    if (!w->nelts || !*APR_ARRAY_IDX(w, 0, const char *)) {
        return oa_rd_fail(st, file, line, "no macro name specified with Use");
    }
    name = lc = apr_pstrdup(st->p, APR_ARRAY_IDX(w, 0, const char *));
    for (; *lc; lc++) {
        *lc = (char)apr_tolower(*lc);
    }
    m = apr_hash_get(st->macros, name, APR_HASH_KEY_STRING);
    if (!m) {
        return oa_rd_fail(st, file, line, "macro '%s' undefined", name);
    }
    for (up = st->src; up; up = up->up) {
        if (up->kind == SRC_MACRO && !strcmp(up->macro->name, m->name)) {
            return oa_rd_fail(st, file, line, "recursive use of macro '%s' is invalid", m->name);
        }
    }
    vals = apr_array_make(st->p, w->nelts, sizeof(const char *));
    for (i = 1; i < w->nelts; i++) {
        APR_ARRAY_PUSH(vals, const char *) = APR_ARRAY_IDX(w, i, const char *);
    }
    if (vals->nelts != m->params->nelts) {
        return oa_rd_fail(st, file, line, "macro '%s' (defined on line %d of \"%s\") used with %d "
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
            return oa_rd_fail(st, file, line, "macro '%s' (defined on line %d of \"%s\") used on "
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

apr_status_t oa_rd_undef_macro(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    char *n, *c;
    if (!apr_hash_count(st->macros)) {
        return oa_rd_fail(st, file, line, "no macro defined before UndefMacro");
    }
    if (w->nelts != 1) {
        return oa_rd_fail(st, file, line, "no macro name specified with UndefMacro");
    }
    n = c = apr_pstrdup(st->p, APR_ARRAY_IDX(w, 0, const char *));
    for (; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    if (!apr_hash_get(st->macros, n, APR_HASH_KEY_STRING)) {
        return oa_rd_fail(st, file, line, "cannot remove undefined macro '%s'", n);
    }
    apr_hash_set(st->macros, n, APR_HASH_KEY_STRING, NULL);
    return APR_SUCCESS;
}
