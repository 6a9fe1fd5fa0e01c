/**
 * @file oa_outbuf.h
 * @brief Output through a buffer: a renderer that writes many small pieces (a status page
 *        of 10,000 vhosts is some 300,000 of them) makes a few large writes instead.
 *
 *     oa_outbuf_t *b = oa_outbuf_make(p, out, ctx);
 *     oa_outbuf_puts(b, "<tr>");            ... or out = oa_outbuf_fn, ctx = b
 *     oa_outbuf_flush(b);                   before the buffer goes away
 */
#ifndef OA_OUTBUF_H
#define OA_OUTBUF_H

#include <apr_pools.h>

#include "oa_json.h"

typedef struct oa_outbuf_t oa_outbuf_t;

/** A buffer in front of out(ctx, ...), allocated from p. */
oa_outbuf_t *oa_outbuf_make(apr_pool_t *p, oa_out_fn *out, void *ctx);

void oa_outbuf_put(oa_outbuf_t *b, const char *s, apr_size_t len);
void oa_outbuf_puts(oa_outbuf_t *b, const char *s);

/** A whole number in decimal. */
void oa_outbuf_int(oa_outbuf_t *b, long long v);

/** Write what is buffered to out. */
void oa_outbuf_flush(oa_outbuf_t *b);

/** The buffer as an oa_out_fn (ctx: the oa_outbuf_t *). */
void oa_outbuf_fn(void *ctx, const char *s, apr_size_t len);

#endif /* OA_OUTBUF_H */
