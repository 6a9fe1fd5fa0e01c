#include <string.h>

#include "oa_outbuf.h"

#define OUTBUF_SIZE 32768

struct oa_outbuf_t {
    oa_out_fn *out;
    void *ctx;
    apr_size_t len;
    char buf[OUTBUF_SIZE];
};

oa_outbuf_t *oa_outbuf_make(apr_pool_t *p, oa_out_fn *out, void *ctx)
{
    oa_outbuf_t *b = apr_palloc(p, sizeof(*b));
    b->out = out;
    b->ctx = ctx;
    b->len = 0;
    return b;
}

void oa_outbuf_flush(oa_outbuf_t *b)
{
    if (b->len) {
        b->out(b->ctx, b->buf, b->len);
        b->len = 0;
    }
}

void oa_outbuf_put(oa_outbuf_t *b, const char *s, apr_size_t len)
{
    if (b->len + len > OUTBUF_SIZE) {
        oa_outbuf_flush(b);
        if (len > OUTBUF_SIZE) {
            b->out(b->ctx, s, len);
            return;
        }
    }
    memcpy(b->buf + b->len, s, len);
    b->len += len;
}

void oa_outbuf_puts(oa_outbuf_t *b, const char *s)
{
    oa_outbuf_put(b, s, strlen(s));
}

void oa_outbuf_int(oa_outbuf_t *b, long long v)
{
    char t[24], out[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int k = 0, n = 0;
    do {
        t[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        out[n++] = '-';
    }
    while (k) {
        out[n++] = t[--k];
    }
    oa_outbuf_put(b, out, (apr_size_t)n);
}

void oa_outbuf_fn(void *ctx, const char *s, apr_size_t len)
{
    oa_outbuf_put(ctx, s, len);
}
