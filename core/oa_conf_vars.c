/*
 * ${VAR} substitution (Define, then the environment) and Define/UnDefine.
 */
#include "oa_conf_reader.h"

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
const char *oa_rd_resolve_env(st_t *st, const char *word, const char *file, int line)
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

apr_status_t oa_rd_exec_define(st_t *st, const char *args, int undefine, const char *file,
                                int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    const char *name;
    int i;
    if (w->nelts < 1 || w->nelts > (undefine ? 1 : 2)) {
        return oa_rd_fail(st, file, line, undefine ? "UnDefine takes one argument"
                                             : "Define takes one or two arguments");
    }
    name = APR_ARRAY_IDX(w, 0, const char *);
    if (strchr(name, ':')) {
        return oa_rd_fail(st, file, line, "Variable name must not contain ':'");
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

