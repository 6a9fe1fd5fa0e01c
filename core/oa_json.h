/**
 * @file oa_json.h
 * @brief A streaming JSON writer (output only; always valid UTF-8 JSON).
 */
#ifndef OA_JSON_H
#define OA_JSON_H

#include <apr_pools.h>

/** Where output goes: stdout in the linter, the request in the module. */
typedef void oa_out_fn(void *ctx, const char *s, apr_size_t len);

typedef struct oa_json_t oa_json_t;

/**
 * A writer handing its output to out. Output is buffered (8 KB pieces): it is all
 * handed over when the top-level value closes, and at oa_json_end.
 */
oa_json_t *oa_json_make(apr_pool_t *p, oa_out_fn *out, void *ctx, int pretty);

/* key is the member name inside an object, NULL inside an array or at the top */
void oa_json_obj_open(oa_json_t *j, const char *key);
void oa_json_obj_close(oa_json_t *j);
void oa_json_arr_open(oa_json_t *j, const char *key);
void oa_json_arr_close(oa_json_t *j);
void oa_json_str(oa_json_t *j, const char *key, const char *val); /**< NULL -> null */
void oa_json_int(oa_json_t *j, const char *key, long long v);
void oa_json_bool(oa_json_t *j, const char *key, int v);
void oa_json_null(oa_json_t *j, const char *key);
/** Finish: a newline after the top-level value; everything is handed to out. */
void oa_json_end(oa_json_t *j);

/** A string as a JSON string literal with quotes (invalid UTF-8 bytes become U+FFFD). */
const char *oa_json_quote(apr_pool_t *p, const char *s);

/** oa_out_fn writing to a FILE * (ctx). */
void oa_out_file(void *ctx, const char *s, apr_size_t len);

#endif /* OA_JSON_H */
