#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "oa_json.h"
#include "oa_text.h"

#define MAX_DEPTH 64
#define SINK_SIZE 8192

/* Output goes through a buffer: a document of 10,000 vhosts is some 600,000 pieces,
 * and one call of out (one fwrite, one ap_rwrite) per piece was a third of the time. */
typedef struct {
    oa_out_fn *out;
    void *ctx;
    apr_size_t n;
    char buf[SINK_SIZE];
} sink_t;

struct oa_json_t {
    apr_pool_t *pool;
    sink_t sink;
    int pretty;
    int depth;
    int count[MAX_DEPTH]; /* members written at each level */
};

void oa_out_file(void *ctx, const char *s, apr_size_t len)
{
    fwrite(s, 1, len, (FILE *)ctx);
}

static void sink_flush(sink_t *k)
{
    if (k->n) {
        k->out(k->ctx, k->buf, k->n);
        k->n = 0;
    }
}

static void sink_put_flushing(sink_t *k, const char *s, apr_size_t len)
{
    sink_flush(k);
    if (len > sizeof(k->buf)) {
        k->out(k->ctx, s, len);
        return;
    }
    memcpy(k->buf, s, len);
    k->n = len;
}

/* small enough to inline: most pieces are a few bytes of constant length */
static inline void sink_put(sink_t *k, const char *s, apr_size_t len)
{
    if (k->n + len > sizeof(k->buf)) {
        sink_put_flushing(k, s, len);
        return;
    }
    memcpy(k->buf + k->n, s, len);
    k->n += len;
}

oa_json_t *oa_json_make(apr_pool_t *p, oa_out_fn *out, void *ctx, int pretty)
{
    oa_json_t *j = apr_pcalloc(p, sizeof(*j));
    j->pool = p;
    j->sink.out = out;
    j->sink.ctx = ctx;
    j->pretty = pretty;
    return j;
}

static inline void put(oa_json_t *j, const char *s)
{
    sink_put(&j->sink, s, strlen(s));
}

/* plain printable ASCII that JSON takes as it is */
static int plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Escape s into JSON, into the sink: runs of plain ASCII in one piece. */
static void quote_to(sink_t *k, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    char esc[8];
    sink_put(k, "\"", 1);
    while (*u) {
        const unsigned char *run = u;
        int l;
        while (plain(*u)) {
            u++;
        }
        if (u > run) {
            sink_put(k, (const char *)run, (apr_size_t)(u - run));
            continue;
        }
        if (*u == '"' || *u == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*u;
            sink_put(k, esc, 2);
            u++;
        }
        else if (*u == '\n') {
            sink_put(k, "\\n", 2);
            u++;
        }
        else if (*u == '\t') {
            sink_put(k, "\\t", 2);
            u++;
        }
        else if (*u == '\r') {
            sink_put(k, "\\r", 2);
            u++;
        }
        else if (*u < 0x20 || *u == 0x7f) {
            sink_put(k, esc, (apr_size_t)apr_snprintf(esc, sizeof(esc), "\\u%04x", *u));
            u++;
        }
        else if ((l = oa_utf8_len(u)) > 0) {
            sink_put(k, (const char *)u, (apr_size_t)l);
            u += l;
        }
        else {
            sink_put(k, "\\ufffd", 6);
            u++;
        }
    }
    sink_put(k, "\"", 1);
}

static void to_pieces(void *ctx, const char *s, apr_size_t len)
{
    apr_array_header_t *pieces = ctx;
    APR_ARRAY_PUSH(pieces, const char *) = apr_pstrmemdup(pieces->pool, s, len);
}

const char *oa_json_quote(apr_pool_t *p, const char *s)
{
    apr_array_header_t *pieces = apr_array_make(p, 4, sizeof(const char *));
    sink_t *k = apr_palloc(p, sizeof(*k));
    k->out = to_pieces;
    k->ctx = pieces;
    k->n = 0;
    quote_to(k, s);
    sink_flush(k);
    return apr_array_pstrcat(p, pieces, 0);
}

static void indent(oa_json_t *j)
{
    static const char nl[] = "\n                                "
                             "                                ";
    int left = j->depth * 2;
    if (!j->pretty) {
        return;
    }
    sink_put(&j->sink, nl, 1);
    while (left > 0) {
        int n = left < (int)sizeof(nl) - 2 ? left : (int)sizeof(nl) - 2;
        sink_put(&j->sink, nl + 1, (apr_size_t)n);
        left -= n;
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
        quote_to(&j->sink, key);
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
    if (!j->depth) {
        sink_flush(&j->sink);     /* the document is whole: hand it over */
    }
}

void oa_json_obj_open(oa_json_t *j, const char *key) { open_(j, key, "{"); }
void oa_json_obj_close(oa_json_t *j) { close_(j, "}"); }
void oa_json_arr_open(oa_json_t *j, const char *key) { open_(j, key, "["); }
void oa_json_arr_close(oa_json_t *j) { close_(j, "]"); }

void oa_json_str(oa_json_t *j, const char *key, const char *val)
{
    member(j, key);
    if (val) {
        quote_to(&j->sink, val);
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
    sink_flush(&j->sink);
}
