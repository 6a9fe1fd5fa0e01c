/**
 * @file oa_diag.h
 * @brief Diagnostics: a message with a severity and the file:line it is about.
 *
 * Parse problems (an include that matches nothing, a section that is never closed,
 * an undefined ${VAR}) are diagnostics; rule findings build on the same severities.
 */
#ifndef OA_DIAG_H
#define OA_DIAG_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef enum {
    OA_SEV_NOTE = 0,
    OA_SEV_WARNING = 1,
    OA_SEV_ERROR = 2
} oa_severity_e;

typedef struct oa_diag_t {
    oa_severity_e severity;
    const char *file;     /**< may be NULL for messages about no file (usage) */
    int line;             /**< 0 when the message is about a whole file */
    const char *message;
    const char *hint;     /**< how to fix it, or NULL */
} oa_diag_t;

/** "note", "warning", "error" */
const char *oa_severity_name(oa_severity_e sev);

/** Parse "note", "warning", "error" (case-insensitive); -1 when unknown. */
int oa_severity_parse(const char *s);

/** Make a diagnostic in pool p (message formatted printf-style). */
oa_diag_t *oa_diag_make(apr_pool_t *p, oa_severity_e sev, const char *file,
                        int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Append a diagnostic to an array of oa_diag_t*. */
oa_diag_t *oa_diag_add(apr_array_header_t *diags, oa_severity_e sev,
                       const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif /* OA_DIAG_H */
