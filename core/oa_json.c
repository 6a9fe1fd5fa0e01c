#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "oa_json.h"
#include "oa_text.h"

#define MAX_DEPTH 64

struct oa_json_t {
    apr_pool_t *pool;
    oa_out_fn *out;
    void *ctx;
    int pretty;
    int depth;
    int count[MAX_DEPTH]; /* members written at each level */
};

void oa_out_file(void *ctx, const char *s, apr_size_t len)
{
    fwrite(s, 1, len, (FILE *)ctx);
}

oa_json_t *oa_json_make(apr_pool_t *p, oa_out_fn *out, void *ctx, int pretty)
{
    oa_json_t *j = apr_pcalloc(p, sizeof(*j));
    j->pool = p;
    j->out = out;
    j->ctx = ctx;
    j->pretty = pretty;
    return j;
}

static void put(oa_json_t *j, const char *s)
{
    j->out(j->ctx, s, strlen(s));
}

/* Escape s into JSON, handing the output to out in pieces (no allocation). */
static void quote_to(const char *s, oa_out_fn *out, void *ctx)
{
    char buf[512];
    apr_size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
#define FLUSH_IF(room) do { if (n + (room) > sizeof(buf)) { out(ctx, buf, n); n = 0; } } while (0)
    buf[n++] = '"';
    while (*u) {
        int l;
        FLUSH_IF(8);
        if (*u == '"' || *u == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)*u++;
        }
        else if (*u == '\n') {
            buf[n++] = '\\';
            buf[n++] = 'n';
            u++;
        }
        else if (*u == '\t') {
            buf[n++] = '\\';
            buf[n++] = 't';
            u++;
        }
        else if (*u == '\r') {
            buf[n++] = '\\';
            buf[n++] = 'r';
            u++;
        }
        else if (*u < 0x20 || *u == 0x7f) {
            n += (apr_size_t)apr_snprintf(buf + n, 7, "\\u%04x", *u);
            u++;
        }
        else if ((l = oa_utf8_len(u)) > 0) {
            memcpy(buf + n, u, (size_t)l);
            n += (apr_size_t)l;
            u += l;
        }
        else {
            memcpy(buf + n, "\\ufffd", 6);
            n += 6;
            u++;
        }
    }
    FLUSH_IF(1);
    buf[n++] = '"';
    out(ctx, buf, n);
#undef FLUSH_IF
}

static void to_pieces(void *ctx, const char *s, apr_size_t len)
{
    apr_array_header_t *pieces = ctx;
    APR_ARRAY_PUSH(pieces, const char *) = apr_pstrmemdup(pieces->pool, s, len);
}

const char *oa_json_quote(apr_pool_t *p, const char *s)
{
    apr_array_header_t *pieces = apr_array_make(p, 4, sizeof(const char *));
    quote_to(s, to_pieces, pieces);
    return apr_array_pstrcat(p, pieces, 0);
}

static void indent(oa_json_t *j)
{
    int i;
    if (!j->pretty) {
        return;
    }
    put(j, "\n");
    for (i = 0; i < j->depth; i++) {
        put(j, "  ");
    }
}

static void member(oa_json_t *j, const char *key)
{
    if (j->depth > 0 && j->depth <= MAX_DEPTH) {
        if (j->count[j->depth - 1]++) {
            put(j, ",");
        }
        indent(j);
    }
    if (key) {
        quote_to(key, j->out, j->ctx);
        put(j, j->pretty ? ": " : ":");
    }
}

static void open_(oa_json_t *j, const char *key, const char *c)
{
    member(j, key);
    put(j, c);
    if (j->depth < MAX_DEPTH) {
        j->count[j->depth] = 0;
    }
    j->depth++;
}

static void close_(oa_json_t *j, const char *c)
{
    int had = j->depth <= MAX_DEPTH ? j->count[j->depth - 1] : 1;
    j->depth--;
    if (had) {
        indent(j);
    }
    put(j, c);
}

void oa_json_obj_open(oa_json_t *j, const char *key) { open_(j, key, "{"); }
void oa_json_obj_close(oa_json_t *j) { close_(j, "}"); }
void oa_json_arr_open(oa_json_t *j, const char *key) { open_(j, key, "["); }
void oa_json_arr_close(oa_json_t *j) { close_(j, "]"); }

void oa_json_str(oa_json_t *j, const char *key, const char *val)
{
    member(j, key);
    if (val) {
        quote_to(val, j->out, j->ctx);
    }
    else {
        put(j, "null");
    }
}

void oa_json_int(oa_json_t *j, const char *key, long long v)
{
    char buf[32];
    member(j, key);
    apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT, (apr_int64_t)v);
    put(j, buf);
}

void oa_json_bool(oa_json_t *j, const char *key, int v)
{
    member(j, key);
    put(j, v ? "true" : "false");
}

void oa_json_null(oa_json_t *j, const char *key)
{
    member(j, key);
    put(j, "null");
}

void oa_json_end(oa_json_t *j)
{
    put(j, "\n");
}
