#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "oa_json.h"

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

/* length of a valid UTF-8 sequence at s, 0 when invalid */
static int utf8_len(const unsigned char *s)
{
    int n, i;
    unsigned int cp;
    if (s[0] < 0x80) {
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = s[0] & 0x1F;
    }
    else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0F;
    }
    else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = s[0] & 0x07;
    }
    else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
        || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

const char *oa_json_quote(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);
    char *out = apr_palloc(p, n * 6 + 3), *o = out;
    const unsigned char *u = (const unsigned char *)s;
    *o++ = '"';
    while (*u) {
        int l;
        if (*u == '"' || *u == '\\') {
            *o++ = '\\';
            *o++ = (char)*u++;
        }
        else if (*u == '\n') {
            *o++ = '\\'; *o++ = 'n'; u++;
        }
        else if (*u == '\t') {
            *o++ = '\\'; *o++ = 't'; u++;
        }
        else if (*u == '\r') {
            *o++ = '\\'; *o++ = 'r'; u++;
        }
        else if (*u < 0x20 || *u == 0x7f) {
            o += apr_snprintf(o, 7, "\\u%04x", *u);
            u++;
        }
        else if ((l = utf8_len(u)) > 0) {
            memcpy(o, u, (size_t)l);
            o += l;
            u += l;
        }
        else {
            memcpy(o, "\\ufffd", 6);
            o += 6;
            u++;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
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
        put(j, oa_json_quote(j->pool, key));
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
    put(j, val ? oa_json_quote(j->pool, val) : "null");
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
