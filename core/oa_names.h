/**
 * @file oa_names.h
 * @brief Case-insensitive lookup of a name in a constant table (directives, the reader's
 *        commands, the model's tracked settings): one hash and one strcasecmp instead of
 *        a scan. Every line of a configuration is looked up in several tables.
 */
#ifndef OA_NAMES_H
#define OA_NAMES_H

#include <stddef.h>

#include <apr.h>

/** Slots of an index: tables of up to half as many rows are indexed. */
#define OA_NAMES_SLOTS 4096

/** The name of row i of a table. */
typedef const char *oa_name_at_fn(size_t i);

/** An index of a table of n rows, built at its first lookup (under a lock: thread-safe).
 *  Declare one per table: `static oa_names_t idx = OA_NAMES_INIT(n, name_at);` */
typedef struct oa_names_t {
    size_t n;
    oa_name_at_fn *name_at;
    int ready;
    apr_uint16_t slot[OA_NAMES_SLOTS];  /**< row + 1, 0 for an empty slot */
} oa_names_t;

#define OA_NAMES_INIT(n, name_at) { (n), (name_at), 0, { 0 } }

/**
 * The first row whose name equals name ignoring ASCII case (as strcasecmp in the C
 * locale, which httpd's own lookups use), or -1.
 */
int oa_names_find(oa_names_t *ix, const char *name);

#endif /* OA_NAMES_H */
