/*
 * The status records in anonymous shared memory.
 *
 * - The parent makes a segment at every start and restart, sized from the SSL vhost
 *   count; the children inherit the mapping. httpd unloads and reloads the module at a
 *   restart, so the parent keeps the segment in its process pool (shm_state) to find
 *   the previous generation's records.
 * - Each record has a sequence counter, odd while it is written. A writer takes the
 *   record by moving the counter from even to odd (so two writers, say a probe of an
 *   exiting child and one of its successor, never interleave); readers copy the record
 *   and retry while the counter moved. The counter is read with acquire and written with
 *   release ordering (C11 seqlock), so this holds on weakly ordered CPUs too.
 */
#include <string.h>

#include <httpd.h>
#include <http_log.h>

#include <apr_hash.h>
#include <apr_shm.h>
#include <apr_strings.h>

#include "ocsp_audit_shm.h"

APLOG_USE_MODULE(ocsp_audit);

#define SHM_MAGIC 0x4f413032u   /* "OA02" */
#define SPINS     100000        /* a writer killed mid-write must not block the others */

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t count;
    apr_uint32_t rounds;         /* probe rounds ended in this generation */
    apr_uint32_t round_seq;      /* odd while the two below are written */
    apr_time_t round_end;
    apr_interval_time_t round_duration;
} shm_head_t;

typedef struct {
    apr_uint32_t seq;
    oa_status_rec_t rec;
} slot_t;

static shm_head_t *cur_head;
static slot_t *cur_slots;

typedef struct {
    apr_shm_t *shm;
} shm_state_t;

static shm_state_t *shm_state(server_rec *s)
{
    void *data = NULL;
    apr_pool_userdata_get(&data, "ocsp_audit_shm", s->process->pool);
    if (!data) {
        data = apr_pcalloc(s->process->pool, sizeof(shm_state_t));
        apr_pool_userdata_set(data, "ocsp_audit_shm", apr_pool_cleanup_null, s->process->pool);
    }
    return data;
}

/* ------------------------------------------------------------------ one record */

static void slot_read(slot_t *sl, oa_status_rec_t *out)
{
    int tries;
    for (tries = 0; tries < SPINS; tries++) {
        apr_uint32_t before = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE);
        if (before & 1) {
            continue;
        }
        memcpy(out, &sl->rec, sizeof(*out));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&sl->seq, __ATOMIC_RELAXED) == before) {
            return;
        }
    }
    memcpy(out, &sl->rec, sizeof(*out));   /* a writer died mid-write: take what is there */
    out->name[sizeof(out->name) - 1] = '\0';
}

static void slot_write(slot_t *sl, const oa_status_rec_t *in)
{
    apr_uint32_t seq = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
    int tries;
    for (tries = 0; tries < SPINS; tries++) {
        if (!(seq & 1) && __atomic_compare_exchange_n(&sl->seq, &seq, seq + 1, 0,
                                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            break;
        }
        seq = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);
    }
    if (tries == SPINS) {      /* its writer died mid-write: take the record over */
        seq = (seq | 1u) - 1u;
        __atomic_store_n(&sl->seq, seq + 1, __ATOMIC_RELAXED);
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(&sl->rec, in, sizeof(*in));
    __atomic_store_n(&sl->seq, seq + 2, __ATOMIC_RELEASE);
}

int ocsp_audit_shm_count(void)
{
    return cur_head ? (int)cur_head->count : 0;
}

void ocsp_audit_shm_read(int i, oa_status_rec_t *out)
{
    slot_read(&cur_slots[i], out);
}

void ocsp_audit_shm_write(int i, const oa_status_rec_t *in)
{
    slot_write(&cur_slots[i], in);
}

void ocsp_audit_shm_round_done(apr_time_t end, apr_interval_time_t duration)
{
    if (!cur_head) {
        return;
    }
    __atomic_add_fetch(&cur_head->round_seq, 1, __ATOMIC_ACQ_REL);
    cur_head->round_end = end;
    cur_head->round_duration = duration;
    __atomic_add_fetch(&cur_head->round_seq, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&cur_head->rounds, 1, __ATOMIC_RELEASE);
}

void ocsp_audit_shm_rounds(oa_status_server_t *srv)
{
    int tries;
    srv->rounds = 0;
    srv->round_end = 0;
    srv->round_duration = 0;
    for (tries = 0; cur_head && tries < SPINS; tries++) {
        apr_uint32_t before = __atomic_load_n(&cur_head->round_seq, __ATOMIC_ACQUIRE);
        if (before & 1) {
            continue;
        }
        srv->round_end = cur_head->round_end;
        srv->round_duration = cur_head->round_duration;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&cur_head->round_seq, __ATOMIC_RELAXED) == before) {
            srv->rounds = (int)__atomic_load_n(&cur_head->rounds, __ATOMIC_ACQUIRE);
            return;
        }
    }
}

oa_status_rec_t *ocsp_audit_shm_snapshot(apr_pool_t *p, int *pn)
{
    int i, n = ocsp_audit_shm_count();
    oa_status_rec_t *recs = apr_pcalloc(p, sizeof(*recs) * (apr_size_t)(n ? n : 1));
    for (i = 0; i < n; i++) {
        slot_read(&cur_slots[i], &recs[i]);
    }
    *pn = n;
    return recs;
}

/* ------------------------------------------------------------------ a generation */

/* keep the live part of what the last generation knew */
static void carry_over(oa_status_rec_t *rec, const oa_status_rec_t *old)
{
    rec->checked_at = old->checked_at;
    memcpy(rec->staple, old->staple, sizeof(rec->staple));
    rec->staple_not_asked = old->staple_not_asked;
    rec->verified = old->verified;
    rec->chain = old->chain;
    rec->this_update = old->this_update;
    rec->next_update = old->next_update;
    rec->produced_at = old->produced_at;
    memcpy(rec->probe_error, old->probe_error, sizeof(rec->probe_error));
    memcpy(rec->responder_url, old->responder_url, sizeof(rec->responder_url));
    memcpy(rec->responder_proxy, old->responder_proxy, sizeof(rec->responder_proxy));
    rec->responder_checked = old->responder_checked;
    rec->responder_checked_at = old->responder_checked_at;
    rec->responder_up = old->responder_up;
    rec->latency_ms = old->latency_ms;
    memcpy(rec->responder_error, old->responder_error, sizeof(rec->responder_error));
    rec->responder_down_since = old->responder_down_since;
    rec->stop_at = old->stop_at;
    /* the CRL check, while the certificate and its distribution point are the same: a
     * renewed certificate is checked anew */
    if (!strcmp(rec->cert_serial, old->cert_serial) && !strcmp(rec->crl.url, old->crl.url)) {
        rec->crl = old->crl;
    }
}

static const char *vhost_key(apr_pool_t *p, const oa_status_rec_t *r)
{
    return apr_pstrcat(p, r->name, "\n", r->addresses, NULL);
}

/* the old generation's records by vhost: one pass, so a restart stays linear */
static apr_hash_t *index_old(apr_pool_t *p, shm_head_t *head, slot_t *slots)
{
    apr_hash_t *h = apr_hash_make(p);
    apr_uint32_t i;
    for (i = 0; head && i < head->count; i++) {
        oa_status_rec_t *old = apr_palloc(p, sizeof(*old));
        slot_read(&slots[i], old);
        apr_hash_set(h, vhost_key(p, old), APR_HASH_KEY_STRING, old);
    }
    return h;
}

apr_status_t ocsp_audit_shm_make(server_rec *s, int n,
                                 void (*fill)(oa_status_rec_t *rec, int i, void *data),
                                 void *data)
{
    shm_state_t *st = shm_state(s);
    apr_shm_t *shm = NULL;
    apr_size_t size = sizeof(shm_head_t) + sizeof(slot_t) * (apr_size_t)(n ? n : 1);
    shm_head_t *head, *old_head = NULL;
    apr_hash_t *old;
    apr_pool_t *tmp;
    apr_status_t rv;
    int i;

    /* the process pool outlives pconf: the old segment is still there to copy from */
    rv = apr_shm_create(&shm, size, NULL, s->process->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    head = apr_shm_baseaddr_get(shm);
    memset(head, 0, size);
    head->magic = SHM_MAGIC;
    head->count = (apr_uint32_t)n;
    if (st->shm) {
        old_head = apr_shm_baseaddr_get(st->shm);
        if (old_head->magic != SHM_MAGIC) {
            old_head = NULL;
        }
    }
    apr_pool_create(&tmp, s->process->pool);
    old = index_old(tmp, old_head, old_head ? (slot_t *)(old_head + 1) : NULL);
    for (i = 0; i < n; i++) {
        oa_status_rec_t *rec = &((slot_t *)(head + 1))[i].rec, *was;
        fill(rec, i, data);
        if ((was = apr_hash_get(old, vhost_key(tmp, rec), APR_HASH_KEY_STRING)) != NULL) {
            carry_over(rec, was);
        }
    }
    apr_pool_destroy(tmp);
    if (st->shm) {
        apr_shm_destroy(st->shm);
    }
    st->shm = shm;
    cur_head = head;
    cur_slots = (slot_t *)(head + 1);
    return APR_SUCCESS;
}
