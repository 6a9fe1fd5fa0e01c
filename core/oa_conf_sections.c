/*
 * Section tracking: the stack of open sections and the tree they build.
 */
#include "oa_conf_reader.h"

int oa_rd_frames_depth(st_t *st)
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
apr_status_t oa_rd_close_file_sections(st_t *st, src_t *s)
{
    while (oa_rd_frames_depth(st) > s->base_depth) {
        frame_t *f = frame_at(st, oa_rd_frames_depth(st) - 1);
        if (f->kind == FRAME_SECTION) {
            return oa_rd_fail(st, f->file, f->line, "%s:%d: <%s> was not closed.",
                        f->file, f->line, f->name);
        }
        st->frames->nelts--;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ the tree */

oa_node_t *oa_rd_append_node(st_t *st, const char *directive, const char *args)
{
    oa_node_t *n = apr_pcalloc(st->p, sizeof(*n));
    int depth = oa_rd_frames_depth(st);
    int target = depth ? frame_at(st, depth - 1)->target : -1;
    src_t *s = st->src;

    n->directive = directive;
    n->args = args;
    oa_rd_src_where(s, &n->file, &n->line);
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

void oa_rd_push_frame(st_t *st, int kind, const char *name, oa_node_t *node)
{
    int depth = oa_rd_frames_depth(st);
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
    oa_rd_src_where(st->src, &f->file, &f->line);
}

apr_status_t oa_rd_close_section(st_t *st, const char *word, const char *file, int line)
{
    apr_size_t n = strlen(word);
    const char *name;
    frame_t *f;
    if (n < 3 || word[n - 1] != '>') {
        return oa_rd_fail(st, file, line, "%s> directive missing closing '>'", word);
    }
    name = apr_pstrmemdup(st->p, word + 2, n - 3);
    if (oa_rd_frames_depth(st) <= current_base(st)) {
        return oa_rd_fail(st, file, line, "</%s> without matching <%s> section", name, name);
    }
    f = frame_at(st, oa_rd_frames_depth(st) - 1);
    if (strcasecmp(f->name, name)) {
        return oa_rd_fail(st, file, line, "Expected </%s> but saw </%s>", f->name, name);
    }
    st->frames->nelts--;
    return APR_SUCCESS;
}

