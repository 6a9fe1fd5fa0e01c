/**
 * @file oa_net.h
 * @brief Resolving and connecting with hard deadlines and per-phase timings, and the
 *        classification of what went wrong (DNS, refused, timeout, ...).
 */
#ifndef OA_NET_H
#define OA_NET_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_network_io.h>
#include <apr_time.h>

/** What went wrong, as the seeds name the causes. */
typedef enum {
    OA_NET_OK = 0,
    OA_NET_DNS,          /**< the name does not resolve (NXDOMAIN, no address) */
    OA_NET_DNS_TIMEOUT,  /**< the resolver did not answer in time */
    OA_NET_REFUSED,      /**< connection refused: nothing listens (responder down) */
    OA_NET_TIMEOUT,      /**< no answer in time: a firewall black hole or a hung server */
    OA_NET_UNREACHABLE,  /**< no route, network unreachable */
    OA_NET_CANCELLED,    /**< given up: the process is exiting (oa_net_cancel_all) */
    OA_NET_ERROR         /**< anything else (see the message) */
} oa_net_error_e;

/** "dns", "dns-timeout", "refused", "timeout", "unreachable", "cancelled", "error" ("ok" for 0). */
const char *oa_net_error_name(oa_net_error_e e);

typedef struct oa_conn_t {
    apr_socket_t *sock;          /**< connected, non-blocking; closed with the pool */
    apr_sockaddr_t *addr;        /**< the address connected to */
    const char *ip;              /**< as text */
    apr_interval_time_t t_dns;   /**< time to resolve */
    apr_interval_time_t t_connect; /**< time to connect (every attempt) */
    oa_net_error_e error;
    const char *message;         /**< what happened, for people */
    int addresses;               /**< how many addresses the name resolved to */
    int attempts;                /**< addresses tried (the last one is addr) */
} oa_conn_t;

/**
 * Resolve host (a name or an address literal) for TCP within timeout: every address,
 * in the resolver's order (getaddrinfo with AI_ADDRCONFIG, as APR and clients ask), each
 * once. The resolver runs in a thread of its own so that a dead resolver cannot hold the
 * caller past the deadline.
 * @param paddrs  the addresses (apr_sockaddr_t *, with port set), at least one
 * @param pc      t_dns, and on failure error (dns, dns-timeout) and message
 */
apr_status_t oa_net_resolve(apr_array_header_t **paddrs, oa_conn_t **pc, apr_pool_t *p,
                            const char *host, apr_port_t port, apr_interval_time_t timeout);

/**
 * Resolve host and connect to port, each phase within timeout. On a connect failure
 * the next address is tried, as clients do; each attempt gets an equal share of what
 * is left of the connect phase.
 * @return APR_SUCCESS with c->sock set, or an error with c->error/c->message set (of
 *         the last address tried).
 */
apr_status_t oa_net_connect(oa_conn_t **pc, apr_pool_t *p, const char *host, apr_port_t port,
                            apr_interval_time_t timeout);

/** Connect to one address (from oa_net_resolve) within timeout; t_dns stays 0. */
apr_status_t oa_net_connect_addr(oa_conn_t **pc, apr_pool_t *p, apr_sockaddr_t *addr,
                                 apr_interval_time_t timeout);

/**
 * Wait until the socket is readable (want_write 0) or writable (1), or the deadline.
 * Returns APR_TIMEUP at the deadline and APR_ECONNABORTED once oa_net_cancel_all()
 * was called.
 */
apr_status_t oa_net_wait(apr_socket_t *s, int want_write, apr_time_t deadline);

/**
 * Make every wait of this process (resolving, connecting, reading, writing) give up
 * within OA_NET_CANCEL_SLICE: for a process that is about to exit with probes in
 * flight (an httpd child at a graceful restart). It cannot be undone.
 */
void oa_net_cancel_all(void);

/** Has oa_net_cancel_all() been called? */
int oa_net_cancelled(void);

/** How long a wait may go on after oa_net_cancel_all(). */
#define OA_NET_CANCEL_SLICE apr_time_from_msec(100)

#endif /* OA_NET_H */
