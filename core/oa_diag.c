#include <stdarg.h>

#include <apr_strings.h>

#include "oa_diag.h"

static const char *const sev_names[] = { "note", "warning", "error" };

const char *oa_severity_name(oa_severity_e sev)
{
    return (sev >= OA_SEV_NOTE && sev <= OA_SEV_ERROR) ? sev_names[sev] : "?";
}

int oa_severity_parse(const char *s)
{
    int i;
    for (i = 0; i <= OA_SEV_ERROR; i++) {
        if (s && !apr_strnatcasecmp(s, sev_names[i])) {
            return i;
        }
    }
    return -1;
}

static oa_diag_t *diag_makev(apr_pool_t *p, oa_severity_e sev, const char *file,
                             int line, const char *fmt, va_list ap)
{
    oa_diag_t *d = apr_pcalloc(p, sizeof(*d));
    d->severity = sev;
    d->file = file;
    d->line = line;
    d->message = apr_pvsprintf(p, fmt, ap);
    return d;
}

oa_diag_t *oa_diag_make(apr_pool_t *p, oa_severity_e sev, const char *file,
                        int line, const char *fmt, ...)
{
    oa_diag_t *d;
    va_list ap;
    va_start(ap, fmt);
    d = diag_makev(p, sev, file, line, fmt, ap);
    va_end(ap);
    return d;
}

oa_diag_t *oa_diag_add(apr_array_header_t *diags, oa_severity_e sev,
                       const char *file, int line, const char *fmt, ...)
{
    oa_diag_t *d;
    va_list ap;
    va_start(ap, fmt);
    d = diag_makev(diags->pool, sev, file, line, fmt, ap);
    va_end(ap);
    APR_ARRAY_PUSH(diags, oa_diag_t *) = d;
    return d;
}
