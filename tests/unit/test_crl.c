/* CRLs made by `openssl ca -gencrl` (tools/make-test-crls.sh) judged, decoded, fetched from
 * a small HTTP server on loopback, and cached by URL. */
#include "oa_test.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <apr_file_io.h>
#include <apr_thread_proc.h>

#include "oa_crl.h"
#include "oa_pki.h"

static const char *pki_dir;
static char crl_dir[300];

#define DAY (APR_TIME_C(86400) * APR_USEC_PER_SEC)

static X509 *cert(const char *name)
{
    oa_pki_t *pki = oa_pki_make(tp);
    return sk_X509_value(oa_pki_file(pki, apr_psprintf(tp, "%s/%s.pem", pki_dir, name))->certs, 0);
}

static char *read_file(apr_pool_t *p, const char *path, apr_size_t *plen)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(EXIT_FAILURE);
    }
    apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    *plen = (apr_size_t)fi.size;
    buf = apr_palloc(p, *plen + 1);
    apr_file_read_full(f, buf, *plen, plen);
    apr_file_close(f);
    return buf;
}

static char *slurp(const char *name, apr_size_t *plen)
{
    return read_file(tp, apr_psprintf(tp, "%s/%s", crl_dir, name), plen);
}

static X509_CRL *crl(const char *name)
{
    apr_size_t len;
    char *buf = slurp(name, &len);
    X509_CRL *c = NULL;
    const char *format = NULL;
    ck_assert_int_eq(oa_crl_parse(&c, &format, tp, (unsigned char *)buf, len), APR_SUCCESS);
    ck_assert_str_eq(format, strstr(name, ".pem") ? "pem" : "der");
    return c;
}

static oa_crl_check_t *judge(const char *crlname, const char *certname)
{
    oa_crl_check_t *r = apr_pcalloc(tp, sizeof(*r));
    oa_crl_judge(r, tp, crl(crlname), cert(certname), cert("int"), NULL);
    ck_assert_ptr_nonnull(r->message);
    return r;
}

START_TEST(verdict_names)
{
    int v;
    ck_assert_str_eq(oa_crl_verdict_name(OA_CRL_OK), "ok");
    ck_assert_str_eq(oa_crl_verdict_name(OA_CRL_BAD_SIGNATURE), "bad-signature");
    ck_assert_str_eq(oa_crl_verdict_name(OA_CRL_TOO_LARGE), "too-large");
    ck_assert_str_eq(oa_crl_verdict_name(OA_CRL_REVOKED), "revoked");
    for (v = OA_CRL_OK; v <= OA_CRL_REVOKED; v++) {
        ck_assert_ptr_nonnull(oa_crl_verdict_name((oa_crl_verdict_e)v));
    }
    ck_assert_int_eq(oa_crl_verdict_of_net(OA_NET_REFUSED), OA_CRL_REFUSED);
    ck_assert_int_eq(oa_crl_verdict_of_net(OA_NET_TIMEOUT), OA_CRL_TIMEOUT);
    ck_assert(oa_crl_verdict_is_network(OA_CRL_TIMEOUT));
    ck_assert(!oa_crl_verdict_is_network(OA_CRL_STALE));
}
END_TEST

START_TEST(crl_url_of_certificates)
{
    ck_assert_str_eq(oa_x509_crl_url(tp, cert("noocsp")), "http://127.0.0.1/int.crl");
    ck_assert_str_eq(oa_x509_crl_url(tp, cert("muststaple-noocsp")), "http://127.0.0.1/int.crl");
    ck_assert_ptr_null(oa_x509_crl_url(tp, cert("norevinfo")));
    ck_assert_ptr_null(oa_x509_crl_url(tp, cert("good")));
}
END_TEST

START_TEST(fresh_der_and_pem)
{
    oa_crl_check_t *r = judge("fresh.der", "good");
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "ok");
    ck_assert_int_eq(r->entries, 1);
    ck_assert(r->this_update > 0 && r->next_update > r->this_update + 6 * DAY);
    ck_assert_int_eq(r->revoked_at, 0);
    r = judge("fresh.pem", "noocsp");
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "ok");
}
END_TEST

START_TEST(revoked_with_date_and_reason)
{
    oa_crl_check_t *r = judge("fresh.der", "revoked");
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "revoked");
    ck_assert_str_eq(r->reason, "keyCompromise");
    ck_assert(r->revoked_at > 0 && r->revoked_at <= apr_time_now());
    ck_assert_ptr_nonnull(strstr(r->message, "revoked since"));
    /* revoked, whatever the dates say */
    ck_assert_str_eq(oa_crl_verdict_name(judge("stale.der", "revoked")->verdict), "revoked");
}
END_TEST

START_TEST(stale_and_future)
{
    oa_crl_check_t *r = judge("stale.der", "good");
    oa_crl_opts_t o;
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "stale");
    ck_assert_ptr_nonnull(strstr(r->message, "nextUpdate"));
    r = judge("future.der", "good");
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "future");
    /* a clock three days ahead finds the future CRL current */
    memset(&o, 0, sizeof(o));
    o.now = apr_time_now() + 3 * DAY;
    oa_crl_judge(r, tp, crl("future.der"), cert("good"), cert("int"), &o);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "ok");
    /* within the skew is not stale: nextUpdate 2 days ago, skew 3 days */
    o.now = 0;
    o.skew = 3 * DAY;
    oa_crl_judge(r, tp, crl("stale.der"), cert("good"), cert("int"), &o);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "ok");
}
END_TEST

START_TEST(signed_by_another_key_or_issuer)
{
    oa_crl_check_t *r = judge("badsig.der", "good");
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "bad-signature");
    ck_assert_ptr_nonnull(strstr(r->message, "signature"));
    /* the right CRL for another issuer's certificate: the names differ */
    r = apr_pcalloc(tp, sizeof(*r));
    oa_crl_judge(r, tp, crl("fresh.der"), cert("other"), cert("other-int"), NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "bad-signature");
    ck_assert_ptr_nonnull(strstr(r->message, "OA Test Intermediate"));
    /* no issuer: nothing to verify with */
    oa_crl_judge(r, tp, crl("fresh.der"), cert("good"), NULL, NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "no-issuer");
}
END_TEST

START_TEST(garbage_is_not_a_crl)
{
    apr_size_t len;
    char *buf = slurp("garbage.crl", &len);
    X509_CRL *c = (X509_CRL *)1;
    ck_assert_int_eq(oa_crl_parse(&c, NULL, tp, (unsigned char *)buf, len), APR_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(oa_crl_parse(&c, NULL, tp, (const unsigned char *)"\x30\x03\x02\x01", 4),
                     APR_EINVAL);
    ck_assert_int_eq(oa_crl_parse(&c, NULL, tp, (const unsigned char *)"", 0), APR_EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ over HTTP */

/* a server on loopback that answers every request by its path: a process of its own,
 * forked before any test, that forks again for each connection (no threads: the suite
 * forks each test, and runs under the sanitizers) */
typedef struct {
    pid_t pid;
    int fd;
    int port;
    int *requests;              /* shared: the tests run in forked children */
    const char *fresh;          /* the DER CRL */
    apr_size_t fresh_len;
} server_t;

static server_t srv;

static void send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void answer(int c, const char *path)
{
    char head[256];
    if (!strcmp(path, "/fresh.der")) {
        snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\n"
                 "Content-Length: %zu\r\n\r\n", (size_t)srv.fresh_len);
        send_all(c, head, strlen(head));
        send_all(c, srv.fresh, srv.fresh_len);
    }
    else if (!strcmp(path, "/nolength.der")) {
        /* no Content-Length: read to the end */
        send_all(c, "HTTP/1.0 200 OK\r\n\r\n", 19);
        send_all(c, srv.fresh, srv.fresh_len);
    }
    else if (!strcmp(path, "/huge")) {
        send_all(c, "HTTP/1.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n", 48);
    }
    else if (!strcmp(path, "/silent")) {
        sleep(2);
    }
    else {
        const char *nf = "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        send_all(c, nf, strlen(nf));
    }
}

static void serve_one(int c)
{
    char req[2048], path[256];
    size_t got = 0;
    {
        while (got < sizeof(req) - 1) {
            ssize_t n = recv(c, req + got, sizeof(req) - 1 - got, 0);
            if (n <= 0) {
                break;
            }
            got += (size_t)n;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n")) {
                break;
            }
        }
        req[got] = '\0';
        __atomic_add_fetch(srv.requests, 1, __ATOMIC_SEQ_CST);
        if (sscanf(req, "GET %255s ", path) == 1) {
            answer(c, path);
        }
        close(c);
    }
}

static void serve(void)
{
    signal(SIGCHLD, SIG_IGN);   /* no zombies */
    for (;;) {
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0) {
            _exit(0);
        }
        if (fork() == 0) {
            serve_one(c);
            _exit(0);
        }
        close(c);
    }
}

static void server_start(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    static apr_pool_t *sp;
    apr_size_t len;
    apr_pool_create(&sp, NULL);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) || listen(srv.fd, 64)
        || getsockname(srv.fd, (struct sockaddr *)&a, &alen)) {
        perror("test server");
        exit(EXIT_FAILURE);
    }
    srv.port = ntohs(a.sin_port);
    srv.fresh = read_file(sp, apr_psprintf(sp, "%s/fresh.der", crl_dir), &len);
    srv.fresh_len = len;
    srv.requests = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                        -1, 0);
    if (srv.requests == MAP_FAILED) {
        perror("mmap");
        exit(EXIT_FAILURE);
    }
    fflush(NULL);
    srv.pid = fork();
    if (srv.pid == 0) {
        serve();
    }
    close(srv.fd);
}

static void server_stop(void)
{
    if (srv.pid > 0) {
        kill(srv.pid, SIGTERM);
        waitpid(srv.pid, NULL, 0);
    }
}

static const char *url(const char *path)
{
    return apr_psprintf(tp, "http://127.0.0.1:%d%s", srv.port, path);
}

START_TEST(fetch_der_with_and_without_length)
{
    oa_crl_check_t *r;
    ck_assert_int_eq(oa_crl_check(&r, tp, NULL, cert("good"), cert("int"), url("/fresh.der"),
                                  NULL), APR_SUCCESS);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "ok");
    ck_assert_str_eq(r->format, "der");
    ck_assert_int_eq(r->size, srv.fresh_len);
    ck_assert_str_eq(r->ip, "127.0.0.1");
    ck_assert(r->t_total >= r->t_response);
    oa_crl_check(&r, tp, NULL, cert("revoked"), cert("int"), url("/nolength.der"), NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "revoked");
}
END_TEST

START_TEST(fetch_failures_are_classified)
{
    oa_crl_check_t *r;
    oa_crl_opts_t o;
    apr_time_t t0;
    memset(&o, 0, sizeof(o));
    oa_crl_check(&r, tp, NULL, cert("good"), cert("int"), url("/missing"), NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "http");
    ck_assert_ptr_nonnull(strstr(r->message, "404"));
    oa_crl_check(&r, tp, NULL, cert("good"), cert("int"), url("/huge"), NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "too-large");
    /* a body over a lower limit, without Content-Length */
    o.max_size = 100;
    oa_crl_check(&r, tp, NULL, cert("good"), cert("int"), url("/nolength.der"), &o);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "too-large");
    /* silence: given up at the deadline */
    o.max_size = 0;
    o.timeout = apr_time_from_msec(300);
    t0 = apr_time_now();
    oa_crl_check(&r, tp, NULL, cert("good"), cert("int"), url("/silent"), &o);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "timeout");
    ck_assert(apr_time_now() - t0 < apr_time_from_msec(1500));
    oa_crl_check(&r, tp, NULL, cert("good"), cert("int"), "https://127.0.0.1/x.crl", NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "url");
    oa_crl_check(&r, tp, NULL, cert("norevinfo"), cert("int"), NULL, NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "none");
}
END_TEST

START_TEST(refused)
{
    /* a port nobody listens on: bound, then closed */
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    oa_crl_check_t *r;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    oa_crl_check(&r, tp, NULL, cert("good"), cert("int"),
                 apr_psprintf(tp, "http://127.0.0.1:%d/int.crl", ntohs(a.sin_port)), NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "refused");
    ck_assert(oa_crl_verdict_is_network(r->verdict));
}
END_TEST

START_TEST(cache_fetches_each_url_once)
{
    oa_crl_cache_t *c = oa_crl_cache_make(tp);
    oa_crl_check_t *r;
    int before = __atomic_load_n(srv.requests, __ATOMIC_SEQ_CST), i;
    for (i = 0; i < 50; i++) {
        oa_crl_check(&r, tp, c, cert(i % 2 ? "good" : "revoked"), cert("int"), url("/fresh.der"),
                     NULL);
        ck_assert_str_eq(oa_crl_verdict_name(r->verdict), i % 2 ? "ok" : "revoked");
        ck_assert_int_eq(r->cached, i > 0);
    }
    ck_assert_int_eq(oa_crl_cache_fetches(c), 1);
    ck_assert_int_eq(__atomic_load_n(srv.requests, __ATOMIC_SEQ_CST) - before, 1);
    /* a failure is remembered too (for opts retry), not asked again at once */
    oa_crl_check(&r, tp, c, cert("good"), cert("int"), url("/missing"), NULL);
    oa_crl_check(&r, tp, c, cert("good"), cert("int"), url("/missing"), NULL);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "http");
    ck_assert_int_eq(oa_crl_cache_fetches(c), 2);
}
END_TEST

/* a clock past nextUpdate fetches again */
START_TEST(cache_refetches_after_next_update)
{
    oa_crl_cache_t *c = oa_crl_cache_make(tp);
    oa_crl_check_t *r;
    oa_crl_opts_t o;
    memset(&o, 0, sizeof(o));
    oa_crl_check(&r, tp, c, cert("good"), cert("int"), url("/fresh.der"), &o);
    o.now = apr_time_now() + 6 * DAY;
    oa_crl_check(&r, tp, c, cert("good"), cert("int"), url("/fresh.der"), &o);
    ck_assert_int_eq(oa_crl_cache_fetches(c), 1);
    o.now = apr_time_now() + 8 * DAY;
    oa_crl_check(&r, tp, c, cert("good"), cert("int"), url("/fresh.der"), &o);
    ck_assert_int_eq(oa_crl_cache_fetches(c), 2);
    ck_assert_str_eq(oa_crl_verdict_name(r->verdict), "stale");
}
END_TEST

typedef struct {
    oa_crl_cache_t *c;
    X509 *leaf, *issuer;
    const char *url;
    int ok;
} worker_t;

static void *APR_THREAD_FUNC worker(apr_thread_t *t, void *arg)
{
    worker_t *w = arg;
    apr_pool_t *p;
    oa_crl_check_t *r;
    apr_pool_create(&p, NULL);
    (void)t;
    oa_crl_check(&r, p, w->c, w->leaf, w->issuer, w->url, NULL);
    w->ok = r->verdict == OA_CRL_OK;
    apr_pool_destroy(p);
    return NULL;
}

START_TEST(cache_single_flight_across_threads)
{
    enum { N = 16 };
    oa_crl_cache_t *c = oa_crl_cache_make(tp);
    apr_thread_t *th[N];
    worker_t w[N];
    int i, before = __atomic_load_n(srv.requests, __ATOMIC_SEQ_CST);
    for (i = 0; i < N; i++) {
        w[i].c = c;
        w[i].leaf = cert("good");
        w[i].issuer = cert("int");
        w[i].url = url("/fresh.der");
        w[i].ok = 0;
        ck_assert_int_eq(apr_thread_create(&th[i], NULL, worker, &w[i], tp), APR_SUCCESS);
    }
    for (i = 0; i < N; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, th[i]);
        ck_assert(w[i].ok);
    }
    ck_assert_int_eq(oa_crl_cache_fetches(c), 1);
    ck_assert_int_eq(__atomic_load_n(srv.requests, __ATOMIC_SEQ_CST) - before, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_crl");
    TCase *tc = tcase_create("crl");
    char cmd[700];
    int rc;
    apr_initialize();
    pki_dir = oa_test_make_pki();
    snprintf(crl_dir, sizeof(crl_dir), "%s/crls", pki_dir);
    snprintf(cmd, sizeof(cmd), "sh '%s/tools/make-test-crls.sh' '%s' '%s'", OA_TEST_SRCDIR,
             pki_dir, crl_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not make the test CRLs: %s\n", cmd);
        return EXIT_FAILURE;
    }
    server_start();
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, verdict_names);
    tcase_add_test(tc, crl_url_of_certificates);
    tcase_add_test(tc, fresh_der_and_pem);
    tcase_add_test(tc, revoked_with_date_and_reason);
    tcase_add_test(tc, stale_and_future);
    tcase_add_test(tc, signed_by_another_key_or_issuer);
    tcase_add_test(tc, garbage_is_not_a_crl);
    tcase_add_test(tc, fetch_der_with_and_without_length);
    tcase_add_test(tc, fetch_failures_are_classified);
    tcase_add_test(tc, refused);
    tcase_add_test(tc, cache_fetches_each_url_once);
    tcase_add_test(tc, cache_refetches_after_next_update);
    tcase_add_test(tc, cache_single_flight_across_threads);
    suite_add_tcase(s, tc);
    rc = oa_test_run(s);
    server_stop();
    oa_test_remove_pki(pki_dir);
    return rc;
}
