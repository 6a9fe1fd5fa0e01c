#include <string.h>

#include <apr_strings.h>

#include "oa_report_verdicts.h"
#include "oa_text.h"

void oa_report_verdict_text(apr_pool_t *p, const oa_verdict_t *v, const char *on,
                            const char *off, oa_out_fn *out, void *ctx)
{
    const char *s = apr_psprintf(p, "    verdict: %s%s, %s%s: %s\n%s%s%s", on,
                                 oa_level_name(v->level), oa_state_name(v->state), off,
                                 oa_text_escape(p, v->reason),
                                 v->fix ? "    fix: " : "", v->fix ? oa_text_escape(p, v->fix) : "",
                                 v->fix ? "\n" : "");
    out(ctx, s, strlen(s));
}

void oa_report_verdicts_members(oa_json_t *j, apr_pool_t *p, const oa_audit_t *a)
{
    apr_pool_t *tmp;
    int i;
    apr_pool_create(&tmp, p);
    oa_json_arr_open(j, "vhosts");
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, const oa_analysis_t *);
        oa_verdict_t v;
        oa_verdict_of_analysis(&v, tmp, an, a->now);
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "name", oa_vhost_label(tmp, an->vh));
        oa_json_str(j, "file", an->vh->file);
        oa_json_int(j, "line", an->vh->line);
        oa_json_str(j, "level", oa_level_name(v.level));
        oa_json_str(j, "state", oa_state_name(v.state));
        oa_json_str(j, "reason", v.reason);
        oa_json_str(j, "fix", v.fix);
        oa_json_str(j, "revocation", oa_revocation_name(v.revocation));
        oa_json_obj_close(j);
        apr_pool_clear(tmp);
    }
    oa_json_arr_close(j);
    apr_pool_destroy(tmp);
}
