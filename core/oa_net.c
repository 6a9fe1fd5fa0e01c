#include <errno.h>
#include <sys/socket.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_poll.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>

#include <apr_atomic.h>

#include "oa_net.h"

static apr_uint32_t cancelled;

void oa_net_cancel_all(void)
{
    apr_atomic_set32(&cancelled, 1);
}

int oa_net_cancelled(void)
{
    return apr_atomic_read32(&cancelled) != 0;
}

/* the next wait: until the deadline, but never longer than a cancel slice */
static apr_interval_time_t slice(apr_time_t deadline)
{
    apr_interval_time_t left = deadline - apr_time_now();
    return left > OA_NET_CANCEL_SLICE ? OA_NET_CANCEL_SLICE : left;
}

const char *oa_net_error_name(oa_net_error_e e)
{
    static const char *const names[] = { "ok", "dns", "dns-timeout", "refused", "timeout",
                                         "unreachable", "cancelled", "error" };
    return (e >= OA_NET_OK && e <= OA_NET_ERROR) ? names[e] : "error";
}

/* ------------------------------------------------------------------ resolving */

/* The lookup runs in a detached thread with its own pool; whoever finishes last (the
 * caller giving up, or the thread) frees the shared state. */
typedef struct {
    apr_pool_t *pool;            /* owned by the job */
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *done_cv;
    const char *host;
    apr_port_t port;
    apr_sockaddr_t *addr;        /* in job->pool */
    apr_status_t rv;
    int done;
    int abandoned;
} dns_job_t;

static void *APR_THREAD_FUNC dns_thread(apr_thread_t *t, void *data)
{
    dns_job_t *job = data;
    apr_sockaddr_t *sa = NULL;
    apr_status_t rv = apr_sockaddr_info_get(&sa, job->host, APR_UNSPEC, job->port, 0, job->pool);
    int abandoned;
    apr_thread_mutex_lock(job->lock);
    job->rv = rv;
    job->addr = sa;
    job->done = 1;
    abandoned = job->abandoned;
    apr_thread_cond_signal(job->done_cv);
    apr_thread_mutex_unlock(job->lock);
    if (abandoned) {
        apr_pool_destroy(job->pool);
    }
    return NULL;
}

/* every address of the list, copied into p, each IP once */
static apr_array_header_t *addresses_of(apr_pool_t *p, const apr_sockaddr_t *list)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(apr_sockaddr_t *));
    apr_hash_t *seen = apr_hash_make(p);
    apr_sockaddr_t *copy = NULL, *sa;
    if (apr_sockaddr_info_copy(&copy, list, p) != APR_SUCCESS) {
        return out;
    }
    for (sa = copy; sa; sa = sa->next) {
        char *ip = NULL;
        apr_sockaddr_ip_get(&ip, sa);
        if (ip && !apr_hash_get(seen, ip, APR_HASH_KEY_STRING)) {
            apr_hash_set(seen, ip, APR_HASH_KEY_STRING, ip);
            APR_ARRAY_PUSH(out, apr_sockaddr_t *) = sa;
        }
    }
    return out;
}

static apr_status_t resolve(apr_array_header_t **paddrs, apr_pool_t *p, const char *host,
                            apr_port_t port, apr_interval_time_t timeout)
{
    apr_pool_t *jp;
    dns_job_t *job;
    apr_threadattr_t *attr;
    apr_thread_t *t;
    apr_time_t deadline = apr_time_now() + timeout;
    apr_status_t rv;
    int abandon = 0;

    *paddrs = NULL;
    /* the job's pool must outlive the caller's if the caller gives up */
    if (apr_pool_create_unmanaged(&jp) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    job = apr_pcalloc(jp, sizeof(*job));
    job->pool = jp;
    job->host = apr_pstrdup(jp, host);
    job->port = port;
    apr_thread_mutex_create(&job->lock, APR_THREAD_MUTEX_DEFAULT, jp);
    apr_thread_cond_create(&job->done_cv, jp);
    apr_threadattr_create(&attr, jp);
    apr_threadattr_detach_set(attr, 1);
    if (apr_thread_create(&t, attr, dns_thread, job, jp) != APR_SUCCESS) {
        /* no thread: resolve here, without the deadline */
        apr_sockaddr_t *sa = NULL;
        apr_pool_destroy(jp);
        rv = apr_sockaddr_info_get(&sa, host, APR_UNSPEC, port, 0, p);
        if (rv == APR_SUCCESS) {
            *paddrs = addresses_of(p, sa);
        }
        return rv;
    }
    apr_thread_mutex_lock(job->lock);
    while (!job->done && !oa_net_cancelled()) {
        apr_interval_time_t left = slice(deadline);
        if (left <= 0) {
            break;
        }
        apr_thread_cond_timedwait(job->done_cv, job->lock, left);
    }
    if (!job->done) {
        job->abandoned = abandon = 1;
        rv = oa_net_cancelled() ? APR_ECONNABORTED : APR_TIMEUP;
    }
    else {
        rv = job->rv;
        if (rv == APR_SUCCESS) {
            /* every address, in the resolver's order, copied into the caller's pool */
            *paddrs = addresses_of(p, job->addr);
        }
    }
    apr_thread_mutex_unlock(job->lock);
    if (!abandon) {
        apr_pool_destroy(jp);
    }
    if (rv == APR_SUCCESS && !(*paddrs)->nelts) {
        rv = APR_EGENERAL;
    }
    return rv;
}

apr_status_t oa_net_resolve(apr_array_header_t **paddrs, oa_conn_t **pc, apr_pool_t *p,
                            const char *host, apr_port_t port, apr_interval_time_t timeout)
{
    oa_conn_t *c = apr_pcalloc(p, sizeof(*c));
    apr_time_t t0 = apr_time_now();
    apr_status_t rv;
    char ebuf[256];

    *pc = c;
    rv = resolve(paddrs, p, host, port, timeout);
    c->t_dns = apr_time_now() - t0;
    if (rv != APR_SUCCESS && oa_net_cancelled()) {
        c->error = OA_NET_CANCELLED;
        c->message = "given up: the process is exiting";
        return rv;
    }
    if (rv != APR_SUCCESS) {
        c->error = APR_STATUS_IS_TIMEUP(rv) ? OA_NET_DNS_TIMEOUT : OA_NET_DNS;
        c->message = APR_STATUS_IS_TIMEUP(rv)
            ? apr_psprintf(p, "resolving %s: no answer from the resolver within %" APR_TIME_T_FMT
                           " ms", host, apr_time_as_msec(timeout))
            : apr_psprintf(p, "resolving %s: %s", host, apr_strerror(rv, ebuf, sizeof(ebuf)));
        return rv;
    }
    c->addresses = (*paddrs)->nelts;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ connecting */

apr_status_t oa_net_wait(apr_socket_t *s, int want_write, apr_time_t deadline)
{
    apr_pollfd_t pfd;
    apr_int32_t n = 0;
    apr_interval_time_t left;
    apr_status_t rv;

    memset(&pfd, 0, sizeof(pfd));
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.desc.s = s;
    pfd.reqevents = want_write ? APR_POLLOUT : APR_POLLIN;
    /* in slices, so that a cancel is seen promptly */
    while (!oa_net_cancelled()) {
        if ((left = slice(deadline)) <= 0) {
            return APR_TIMEUP;
        }
        rv = apr_poll(&pfd, 1, &n, left);
        if (rv == APR_SUCCESS && n > 0) {
            return APR_SUCCESS;
        }
        if (rv != APR_SUCCESS && !APR_STATUS_IS_EINTR(rv) && !APR_STATUS_IS_TIMEUP(rv)) {
            return rv;
        }
    }
    return APR_ECONNABORTED;
}

static oa_net_error_e classify(apr_status_t rv)
{
    if (oa_net_cancelled()) {
        return OA_NET_CANCELLED;
    }
    if (APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_ETIMEDOUT(rv)) {
        return OA_NET_TIMEOUT;
    }
    if (APR_STATUS_IS_ECONNREFUSED(rv)) {
        return OA_NET_REFUSED;
    }
    if (APR_STATUS_IS_ENETUNREACH(rv) || APR_STATUS_IS_EHOSTUNREACH(rv)) {
        return OA_NET_UNREACHABLE;
    }
    return OA_NET_ERROR;
}

/* one attempt at c->addr, until deadline */
static apr_status_t connect_one(oa_conn_t *c, apr_pool_t *p, apr_time_t deadline,
                                apr_interval_time_t timeout)
{
    apr_time_t t0 = apr_time_now();
    apr_port_t port = c->addr->port;
    apr_status_t rv;
    char ebuf[256];

    apr_sockaddr_ip_get((char **)&c->ip, c->addr);
    rv = apr_socket_create(&c->sock, c->addr->family, SOCK_STREAM, APR_PROTO_TCP, p);
    if (rv == APR_SUCCESS) {
        apr_socket_opt_set(c->sock, APR_SO_NONBLOCK, 1);
        apr_socket_timeout_set(c->sock, 0);
        rv = apr_socket_connect(c->sock, c->addr);
        if (APR_STATUS_IS_EINPROGRESS(rv) || APR_STATUS_IS_EAGAIN(rv)) {
            rv = oa_net_wait(c->sock, 1, deadline);
            if (rv == APR_SUCCESS) {
                /* the outcome of a non-blocking connect */
                int err = 0;
                socklen_t len = sizeof(err);
                apr_os_sock_t fd;
                apr_os_sock_get(&fd, c->sock);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
                    err = errno;
                }
                rv = err ? APR_FROM_OS_ERROR(err) : APR_SUCCESS;
            }
        }
    }
    c->t_connect += apr_time_now() - t0;
    if (rv != APR_SUCCESS) {
        c->error = classify(rv);
        c->message = c->error == OA_NET_TIMEOUT
            ? apr_psprintf(p, "connecting to %s port %u: no answer within %" APR_TIME_T_FMT
                           " ms (a firewall dropping packets, or the host is down)", c->ip,
                           port, apr_time_as_msec(timeout))
            : apr_psprintf(p, "connecting to %s port %u: %s", c->ip, port,
                           apr_strerror(rv, ebuf, sizeof(ebuf)));
        if (c->sock) {
            apr_socket_close(c->sock);
            c->sock = NULL;
        }
        return rv;
    }
    c->error = OA_NET_OK;
    c->message = NULL;
    return APR_SUCCESS;
}

apr_status_t oa_net_connect_addr(oa_conn_t **pc, apr_pool_t *p, apr_sockaddr_t *addr,
                                 apr_interval_time_t timeout)
{
    oa_conn_t *c = apr_pcalloc(p, sizeof(*c));
    *pc = c;
    c->addr = addr;
    c->addresses = 1;
    c->attempts = 1;
    return connect_one(c, p, apr_time_now() + timeout, timeout);
}

apr_status_t oa_net_connect(oa_conn_t **pc, apr_pool_t *p, const char *host, apr_port_t port,
                            apr_interval_time_t timeout)
{
    apr_array_header_t *addrs;
    apr_time_t deadline;
    apr_status_t rv;
    oa_conn_t *c;
    int i;

    rv = oa_net_resolve(&addrs, pc, p, host, port, timeout);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* the next address on a failure, as clients do; each attempt gets an equal share of
     * what is left of the phase, the last one all of it (curl's rule) */
    c = *pc;
    deadline = apr_time_now() + timeout;
    for (i = 0; i < addrs->nelts; i++) {
        apr_interval_time_t left = deadline - apr_time_now();
        apr_interval_time_t share = (left > 0 ? left : 0) / (addrs->nelts - i);
        c->addr = APR_ARRAY_IDX(addrs, i, apr_sockaddr_t *);
        c->attempts++;
        rv = connect_one(c, p, apr_time_now() + share, share);
        if (rv == APR_SUCCESS || oa_net_cancelled()) {
            break;
        }
    }
    return rv;
}
