/*
 * The status records in shared memory: made by the parent at every start and restart,
 * inherited by the children, written by the probes, read by the status handler.
 */
#ifndef OCSP_AUDIT_SHM_H
#define OCSP_AUDIT_SHM_H

#include <httpd.h>

#include "oa_status.h"

/**
 * In the parent, after an audit: a new segment with one record per SSL vhost, each
 * filled by fill(rec, i, data). What the previous generation's segment knew of a vhost
 * that still exists (same name and addresses) is carried over; then that segment is
 * dropped (old children keep their own mapping until they exit).
 * @return APR_SUCCESS, or why there is no segment (no live status then)
 */
apr_status_t ocsp_audit_shm_make(server_rec *s, int n,
                                 void (*fill)(oa_status_rec_t *rec, int i, void *data),
                                 void *data);

/** How many records the current segment has (0 without one). */
int ocsp_audit_shm_count(void);

/** A consistent copy of record i, though a probe may be writing it. */
void ocsp_audit_shm_read(int i, oa_status_rec_t *out);

/** Replace record i (safe against readers, other writers and other processes). */
void ocsp_audit_shm_write(int i, const oa_status_rec_t *in);

/** A probe round ended (the probing child), and what readers learn of the rounds. */
void ocsp_audit_shm_round_done(apr_time_t end, apr_interval_time_t duration);
void ocsp_audit_shm_rounds(oa_status_server_t *srv);

/** A copy of every record, for a reader (*pn: how many). */
oa_status_rec_t *ocsp_audit_shm_snapshot(apr_pool_t *p, int *pn);

#endif
