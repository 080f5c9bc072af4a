/* bench.c: oak-bench's main: options, the epoll loop with a window of
 * handshakes in flight, retransmission, the statistics and the responder's
 * CPU time and RSS (read from /proc/PID before and after the run).
 *
 *   oak-bench -t 192.0.2.1 -n 10000 -w 64 --mode childless --pid $(pidof oakd)
 *   oak-bench -t 192.0.2.1 -n 10000 -w 64 --mode v1 --ike aes128-sha256-modp2048 \
 *       --esp aes128-sha256 --pid $(pidof oakd)
 *
 * The last line is machine-readable (bench/run.sh parses it):
 *   RESULT established=N failed=N seconds=S rate=R p50_ms=X p99_ms=Y ...
 * Exit status: 0 when every SA was established, 1 when some failed, 2 for a
 * usage error.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "lib/mono_time.h"
#include "wire/ikev1_names.h"
#include "wire/names.h"

#define NOTIFY_ERR_MAX 16384 /* error Notify types are below (RFC 7296 3.10.1) */

struct bench_stats {
	unsigned established, failed, started;
	unsigned fails[BENCH_FAIL_COUNT];
	unsigned *notify_fails; /* NOTIFY_ERR_MAX counters */
	uint32_t *lat_us;	/* latency of each established SA */
	unsigned retransmits, childless_announced;
	unsigned cookies;    /* handshakes that had to answer a COOKIE (RFC 7296 2.6) */
	unsigned qm3_resent; /* IKEv1: QM3 sent again for a repeated QM2 */
};

/* IKEv1: the QM3 of a finished SA, sent again when the responder repeats
 * QM2 (it installs the SA on QM3, RFC 2409 5.5, and repeats QM2 when QM3
 * was lost). A ring indexed by SA number: at 400 SA/s it remembers the
 * last 20 s. */
#define BENCH_LAST_RING 8192
struct bench_last {
	uint8_t spi_i[8];
	uint8_t tx[128]; /* QM3: header, HASH(3), padding: 76 bytes with SHA-256 */
	uint8_t tx_len;
	bool floated; /* to port 4500 */
};

/* The responder's counters from /proc (given --pid). */
struct proc_sample {
	bool ok;
	double cpu_s;  /* utime + stime, every thread */
	double wait_s; /* time runnable but waiting for a CPU, every thread (schedstat) */
	long rss_kb;   /* VmRSS */
};

struct bench_run {
	struct bench_cfg cfg;
	struct bench_stats st;
	struct bench_sa *slots;
	struct bench_last *last; /* BENCH_LAST_RING, IKEv1 */
	uint16_t *free_slots;
	unsigned n_free, next_seq;
	int fd, pid;
	int fd_natt; /* to the responder's port 4500 (--natt), else -1 */
	uint64_t next_check;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: oak-bench -t TARGET[:PORT] [options]\n"
		"  -t, --target ADDR[:PORT]  the responder (IPv4; port 500)\n"
		"  -s, --source ADDR         our address (default: the route's)\n"
		"  -n, --count N             IKE SAs to establish (100)\n"
		"  -w, --window N            handshakes in flight at most (32)\n"
		"  -m, --mode MODE           child | childless | init (child); IKEv1:\n"
		"                            v1 (Main Mode PSK + Quick Mode) | v1-main\n"
		"      --ike PROPOSAL        aes128gcm16-prfsha256-x25519 (IKEv1 modes:\n"
		"                            aes128-sha256-modp2048)\n"
		"      --esp PROPOSAL        aes128gcm16 (CHILD SA, mode child; v1:\n"
		"                            aes128-sha256)\n"
		"      --psk SECRET          the pre-shared key (or OAK_BENCH_PSK)\n"
		"      --key FILE --cert FILE --peer-cert FILE\n"
		"                            ECDSA P-256 certificates instead (RFC 4754); the\n"
		"                            responder's AUTH must verify with --peer-cert's key\n"
		"      --id ID               our identity, a %%u in it the SA number\n"
		"                            (bench-%%u@oak.test)\n"
		"      --timeout MS          first retransmission after MS (1000), doubling\n"
		"      --tries N             sends per message (4)\n"
		"      --fresh-dh            a new DH key per SA (default: one per run, RFC 7296 "
		"2.12)\n"
		"      --natt                fake a NAT (RFC 7296 2.23, RFC 3947): IKE_AUTH,\n"
		"                            IKEv1 MM5 and later to port 4500\n"
		"      --no-cookies          act as a flood: a COOKIE answer ends the handshake\n"
		"                            (counted as COOKIE) instead of being returned\n"
		"  -p, --pid PID             the responder: report its CPU time and RSS\n"
		"  -h, --help\n");
}

static int parse_target(const char *arg, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strchr(arg, ':');
	size_t hl = colon ? (size_t)(colon - arg) : strlen(arg);
	long port = 500;

	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, arg, hl);
	host[hl] = 0;
	if (colon) {
		char *end;

		port = strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535)
			return -EINVAL;
	}
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -EINVAL;
}

static int parse_uint(const char *arg, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Field i (0-based) of the space-separated fields of a /proc/PID/stat line
 * after the command name, as an unsigned number. */
static int stat_field(const char *line, int i, unsigned long *out)
{
	char *end;

	while (i-- > 0) {
		line = strchr(line, ' ');
		if (!line)
			return -EINVAL;
		line++;
	}
	*out = strtoul(line, &end, 10);
	return end == line ? -EINVAL : 0;
}

/* Sum of the second field of /proc/PID/task/TID/schedstat (ns spent waiting
 * on a run queue) over the threads: how much a busy machine held the
 * responder back. Threads that ended meanwhile are not counted. */
static double run_wait_s(int pid)
{
	char path[96], buf[128];
	struct dirent *de;
	double ns = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long v;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/schedstat", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && stat_field(buf, 1, &v) == 0)
			ns += (double)v;
		fclose(f);
	}
	closedir(d);
	return ns / 1e9;
}

static void sample_proc(int pid, struct proc_sample *s)
{
	char path[64], buf[1024], *p;
	unsigned long ut, stt;
	FILE *f;

	memset(s, 0, sizeof(*s));
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* after the command: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime (proc(5) fields 3..15) */
	if (!p || stat_field(p + 2, 11, &ut) < 0 || stat_field(p + 2, 12, &stt) < 0)
		return;
	s->cpu_s = (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
	s->wait_s = run_wait_s(pid);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, "VmRSS:", 6) == 0) {
			s->rss_kb = strtol(buf + 6, NULL, 10);
			s->ok = true;
		}
	fclose(f);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void arm(struct bench_run *r, struct bench_sa *sa, uint64_t now)
{
	uint64_t t = (uint64_t)r->cfg.timeout_ms * 1000000u << (sa->sends ? sa->sends - 1 : 0);

	sa->t_deadline = now + t;
	if (sa->t_deadline < r->next_check)
		r->next_check = sa->t_deadline;
}

static void send_raw(struct bench_run *r, bool floated, uint8_t *buf, size_t len)
{
	/* after IKE_SA_INIT (IKEv1: MM4) behind a (faked) NAT: port 4500 with
	 * the non-ESP marker (RFC 7296 2.23, RFC 3947 4, RFC 3948 2.2) */
	static uint8_t marker[4];
	struct iovec iov[2] = {{marker, sizeof(marker)}, {buf, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	/* a failed send (ENOBUFS under load) is a lost packet: the timer retries */
	if (r->fd_natt >= 0 && floated)
		(void)!sendmsg(r->fd_natt, &mh, 0);
	else
		(void)!send(r->fd, buf, len, 0);
}

static void send_tx(struct bench_run *r, struct bench_sa *sa, uint64_t now)
{
	send_raw(r, sa->state == BSA_AUTH || sa->floated, sa->tx, sa->tx_len);
	sa->sends++;
	arm(r, sa, now);
}

static void finish(struct bench_run *r, struct bench_sa *sa, enum bench_step st,
		   const struct bench_result *res, uint64_t now)
{
	r->st.cookies += sa->cookie_len > 0;
	if (st == BENCH_STEP_SEND_DONE && sa->tx_len <= sizeof(r->last->tx)) {
		struct bench_last *l = &r->last[sa->seq % BENCH_LAST_RING];

		memcpy(l->spi_i, sa->spi_i, 8);
		memcpy(l->tx, sa->tx, sa->tx_len);
		l->tx_len = (uint8_t)sa->tx_len;
		l->floated = sa->floated;
	}
	if (st == BENCH_STEP_DONE || st == BENCH_STEP_SEND_DONE) {
		r->st.lat_us[r->st.established++] = (uint32_t)((now - sa->t_start) / 1000);
		r->st.childless_announced += sa->announced_childless;
	} else {
		r->st.failed++;
		if (res->notify && res->notify < NOTIFY_ERR_MAX)
			r->st.notify_fails[res->notify]++;
		else
			r->st.fails[res->fail]++;
	}
	bench_ike_release(sa);
	r->free_slots[r->n_free++] = sa->slot;
}

static int sa_start(struct bench_run *r, struct bench_sa *sa, uint32_t seq)
{
	return bench_is_v1(&r->cfg) ? bench_ikev1_start(&r->cfg, sa, seq)
				    : bench_ike_start(&r->cfg, sa, seq);
}

static void fill_window(struct bench_run *r)
{
	while (r->n_free && r->next_seq < r->cfg.n) {
		uint16_t slot = r->free_slots[--r->n_free];
		struct bench_sa *sa = &r->slots[slot];
		struct bench_result res = {BENCH_FAIL_LOCAL, 0};

		sa->slot = slot;
		r->st.started++;
		if (sa_start(r, sa, r->next_seq++) < 0) {
			finish(r, sa, BENCH_STEP_FAILED, &res, mono_ns());
			continue;
		}
		send_tx(r, sa, mono_ns());
	}
}

/* A repeated QM2 (buf, at least a header) of a finished IKEv1 SA: QM3 again. */
static void resend_qm3(struct bench_run *r, const uint8_t *buf)
{
	/* SPIi octets 4-7: the SA number (bench_ikev1_start) */
	uint32_t seq =
		(uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	struct bench_last *l = &r->last[seq % BENCH_LAST_RING];

	/* byte 18: the Exchange Type (RFC 2408 3.1) */
	if (l->tx_len && memcmp(l->spi_i, buf, 8) == 0 && buf[18] == IKEV1_XCHG_QUICK) {
		send_raw(r, l->floated, l->tx, l->tx_len);
		r->st.qm3_resent++;
	}
}

static void on_datagram(struct bench_run *r, const uint8_t *buf, size_t len, uint64_t now)
{
	struct bench_result res;
	struct bench_sa *sa;
	enum bench_step st;
	unsigned slot;

	if (len < 28 || buf[0] != r->cfg.spi_tag[0] || buf[1] != r->cfg.spi_tag[1])
		return;
	slot = (unsigned)buf[2] << 8 | buf[3];
	if (slot >= r->cfg.window)
		return;
	sa = &r->slots[slot];
	if (sa->state == BSA_FREE || memcmp(sa->spi_i, buf, 8) != 0) {
		if (r->last) /* IKEv1: an SA that is done */
			resend_qm3(r, buf);
		return;
	}
	st = bench_is_v1(&r->cfg) ? bench_ikev1_input(&r->cfg, sa, buf, len, &res)
				  : bench_ike_input(&r->cfg, sa, buf, len, &res);
	if (st == BENCH_STEP_SEND || st == BENCH_STEP_SEND_DONE)
		send_tx(r, sa, now);
	if (st == BENCH_STEP_DONE || st == BENCH_STEP_FAILED || st == BENCH_STEP_SEND_DONE)
		finish(r, sa, st, &res, now);
}

static void check_timers(struct bench_run *r, uint64_t now)
{
	r->next_check = UINT64_MAX;
	for (unsigned i = 0; i < r->cfg.window; i++) {
		struct bench_sa *sa = &r->slots[i];
		struct bench_result res = {BENCH_FAIL_TIMEOUT, 0};

		if (sa->state == BSA_FREE)
			continue;
		if (sa->t_deadline > now) {
			if (sa->t_deadline < r->next_check)
				r->next_check = sa->t_deadline;
		} else if (sa->sends >= r->cfg.tries) {
			finish(r, sa, BENCH_STEP_FAILED, &res, now);
		} else {
			r->st.retransmits++;
			send_tx(r, sa, now);
		}
	}
}

/* Every datagram waiting on fd; marker: strip the 4-octet non-ESP marker of
 * port 4500 (RFC 3948 2.2), dropping what lacks it (ESP, keepalives). */
static void drain(struct bench_run *r, int fd, bool marker)
{
	static uint8_t buf[65536];
	static const uint8_t zero[4];
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0 || errno == ECONNREFUSED) {
		if (!marker && len > 0)
			on_datagram(r, buf, (size_t)len, mono_ns());
		else if (marker && len > 4 && memcmp(buf, zero, 4) == 0)
			on_datagram(r, buf + 4, (size_t)len - 4, mono_ns());
	}
}

static void run_loop(struct bench_run *r)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev) < 0 ||
	    (r->fd_natt >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, r->fd_natt, &ev) < 0)) {
		perror("oak-bench: epoll");
		exit(1);
	}
	r->next_check = UINT64_MAX;
	fill_window(r);
	while (r->st.established + r->st.failed < r->cfg.n) {
		uint64_t now = mono_ns();
		int wait_ms = r->next_check == UINT64_MAX ? 1000
			      : r->next_check <= now	  ? 0
						     : (int)((r->next_check - now) / 1000000 + 1);

		if (epoll_wait(ep, &ev, 1, wait_ms) < 0 && errno != EINTR) {
			perror("oak-bench: epoll_wait");
			exit(1);
		}
		drain(r, r->fd, false);
		if (r->fd_natt >= 0)
			drain(r, r->fd_natt, true);
		now = mono_ns();
		if (now >= r->next_check)
			check_timers(r, now);
		fill_window(r);
	}
	close(ep);
}

/* IKEv1 after a run that lost messages: answer the responder's repeated
 * QM2 for BENCH_LINGER_S more, so that the last SAs whose QM3 was lost get
 * installed too. oakd and charon repeat a message first after 4 s x 1.8
 * (their retransmit_timeout and retransmit_base defaults). */
#define BENCH_LINGER_S 10
static void linger(struct bench_run *r)
{
	struct epoll_event ev = {.events = EPOLLIN};
	uint64_t end = mono_ns() + BENCH_LINGER_S * 1000000000ull;
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev) < 0 ||
	    (r->fd_natt >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, r->fd_natt, &ev) < 0)) {
		if (ep >= 0)
			close(ep);
		return;
	}
	for (uint64_t now = mono_ns(); now < end; now = mono_ns()) {
		if (epoll_wait(ep, &ev, 1, (int)((end - now) / 1000000 + 1)) < 0 && errno != EINTR)
			break;
		drain(r, r->fd, false);
		if (r->fd_natt >= 0)
			drain(r, r->fd_natt, true);
	}
	close(ep);
}

static double gen_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static void print_failures(const struct bench_stats *st, bool v1)
{
	const struct enum_names *names = v1 ? &ikev1_notify_names : &ikev2_notify_names;

	printf("failures: %u", st->failed);
	for (unsigned i = 0; i < BENCH_FAIL_COUNT; i++)
		if (st->fails[i])
			printf(" %s=%u", bench_fail_name((enum bench_fail)i), st->fails[i]);
	for (unsigned i = 1; i < NOTIFY_ERR_MAX; i++)
		if (st->notify_fails[i]) {
			char nb[32];

			printf(" %s=%u", enum_name_or(names, i, nb, sizeof(nb)),
			       st->notify_fails[i]);
		}
	printf("\n");
}

static void report(struct bench_run *r, double secs, double gen_cpu, const struct proc_sample *p0,
		   const struct proc_sample *p1)
{
	struct bench_stats *st = &r->st;
	double rate = secs > 0 ? st->established / secs : 0, p50 = 0, p99 = 0;
	double cpu_us = 0, rss_b = 0;
	unsigned ok = st->established ? st->established : 1;

	qsort(st->lat_us, st->established, sizeof(uint32_t), cmp_u32);
	if (st->established) {
		size_t i50 = (st->established - 1) / 2;
		size_t i99 = (size_t)((st->established - 1) * 0.99);

		p50 = (double)st->lat_us[i50] / 1000.0;
		p99 = (double)st->lat_us[i99] / 1000.0;
	}
	printf("established %u/%u in %.3f s: %.1f SA/s (%u retransmissions, %u COOKIE "
	       "requests answered)\n",
	       st->established, r->cfg.n, secs, rate, st->retransmits, st->cookies);
	printf("latency: p50 %.2f ms, p99 %.2f ms\n", p50, p99);
	print_failures(st, bench_is_v1(&r->cfg));
	if (p0->ok && p1->ok) {
		cpu_us = (p1->cpu_s - p0->cpu_s) * 1e6 / ok;
		rss_b = (double)(p1->rss_kb - p0->rss_kb) * 1024.0 / ok;
		printf("responder pid %d: CPU %.3f s = %.1f us per SA; RSS %ld -> %ld KiB = "
		       "%.0f bytes per SA; waited %.3f s for a CPU\n",
		       r->pid, p1->cpu_s - p0->cpu_s, cpu_us, p0->rss_kb, p1->rss_kb, rss_b,
		       p1->wait_s - p0->wait_s);
	} else if (r->pid) {
		printf("responder pid %d: /proc/%d not readable\n", r->pid, r->pid);
	}
	if (bench_is_v1(&r->cfg))
		printf("generator: CPU %.3f s = %.1f us per SA; QM3 sent again for %u repeated "
		       "QM2\n",
		       gen_cpu, gen_cpu * 1e6 / ok, st->qm3_resent);
	else
		printf("generator: CPU %.3f s = %.1f us per SA; %u of %u responders announced "
		       "CHILDLESS_IKEV2_SUPPORTED\n",
		       gen_cpu, gen_cpu * 1e6 / ok, st->childless_announced, st->established);
	printf("RESULT established=%u failed=%u seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f "
	       "resp_cpu_s=%.3f resp_cpu_us_per_sa=%.1f resp_rss_kb_before=%ld "
	       "resp_rss_kb_after=%ld resp_rss_bytes_per_sa=%.0f gen_cpu_us_per_sa=%.1f "
	       "resp_wait_s=%.3f\n",
	       st->established, st->failed, secs, rate, p50, p99, p1->cpu_s - p0->cpu_s, cpu_us,
	       p0->rss_kb, p1->rss_kb, rss_b, gen_cpu * 1e6 / ok, p1->wait_s - p0->wait_s);
}

/* A UDP socket from source (its port 0: any) to target; source gets the
 * address and port the kernel chose. */
static int open_socket(struct sockaddr_in *source, const struct sockaddr_in *target)
{
	socklen_t sl = sizeof(*source);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), sz = 8 << 20;

	if (fd < 0)
		return -errno;
	/* big buffers: a window of answers may arrive while we compute */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if ((source->sin_family && bind(fd, (struct sockaddr *)source, sl) < 0) ||
	    connect(fd, (const struct sockaddr *)target, sizeof(*target)) < 0 ||
	    getsockname(fd, (struct sockaddr *)source, &sl) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

enum {
	OPT_IKE = 256,
	OPT_ESP,
	OPT_PSK,
	OPT_ID,
	OPT_TIMEOUT,
	OPT_TRIES,
	OPT_FRESH_DH,
	OPT_KEY,
	OPT_CERT,
	OPT_PEER_CERT,
	OPT_NATT,
	OPT_NO_COOKIES
};

static const struct option long_opts[] = {
	{"target", required_argument, NULL, 't'},
	{"source", required_argument, NULL, 's'},
	{"count", required_argument, NULL, 'n'},
	{"window", required_argument, NULL, 'w'},
	{"mode", required_argument, NULL, 'm'},
	{"pid", required_argument, NULL, 'p'},
	{"ike", required_argument, NULL, OPT_IKE},
	{"esp", required_argument, NULL, OPT_ESP},
	{"psk", required_argument, NULL, OPT_PSK},
	{"id", required_argument, NULL, OPT_ID},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"tries", required_argument, NULL, OPT_TRIES},
	{"fresh-dh", no_argument, NULL, OPT_FRESH_DH},
	{"key", required_argument, NULL, OPT_KEY},
	{"cert", required_argument, NULL, OPT_CERT},
	{"peer-cert", required_argument, NULL, OPT_PEER_CERT},
	{"natt", no_argument, NULL, OPT_NATT},
	{"no-cookies", no_argument, NULL, OPT_NO_COOKIES},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct bench_args {
	const char *ike, *esp, *psk, *key, *cert, *peer_cert;
	bool have_target;
};

static int parse_mode(const char *arg, enum bench_mode *mode)
{
	if (strcmp(arg, "child") == 0)
		*mode = BENCH_MODE_CHILD;
	else if (strcmp(arg, "childless") == 0)
		*mode = BENCH_MODE_CHILDLESS;
	else if (strcmp(arg, "init") == 0)
		*mode = BENCH_MODE_INIT_ONLY;
	else if (strcmp(arg, "v1") == 0)
		*mode = BENCH_MODE_V1;
	else if (strcmp(arg, "v1-main") == 0)
		*mode = BENCH_MODE_V1_MAIN;
	else
		return -EINVAL;
	return 0;
}

/* One option; 0, or -EINVAL after saying what was wrong. */
static int parse_opt(int c, const char *arg, struct bench_run *r, struct bench_args *a)
{
	struct bench_cfg *cfg = &r->cfg;
	unsigned pid = 0;
	int bad = 0;

	switch (c) {
	case 't':
		bad = parse_target(arg, &cfg->target);
		a->have_target = !bad;
		break;
	case 's':
		bad = parse_target(arg, &cfg->source);
		cfg->source.sin_port = 0;
		break;
	case 'n':
		bad = parse_uint(arg, 1, 10000000, &cfg->n);
		break;
	case 'w':
		bad = parse_uint(arg, 1, 65535, &cfg->window);
		break;
	case 'm':
		bad = parse_mode(arg, &cfg->mode);
		break;
	case 'p':
		bad = parse_uint(arg, 1, 1u << 30, &pid);
		r->pid = (int)pid;
		break;
	case OPT_IKE:
		a->ike = arg;
		break;
	case OPT_ESP:
		a->esp = arg;
		break;
	case OPT_PSK:
		a->psk = arg;
		break;
	case OPT_ID:
		cfg->id_fmt = arg;
		break;
	case OPT_TIMEOUT:
		bad = parse_uint(arg, 1, 600000, &cfg->timeout_ms);
		break;
	case OPT_TRIES:
		bad = parse_uint(arg, 1, 20, &cfg->tries);
		break;
	case OPT_KEY:
		a->key = arg;
		break;
	case OPT_CERT:
		a->cert = arg;
		break;
	case OPT_PEER_CERT:
		a->peer_cert = arg;
		break;
	case OPT_NATT:
		cfg->natt = true;
		break;
	case OPT_NO_COOKIES:
		cfg->no_cookies = true;
		break;
	case OPT_FRESH_DH:
		cfg->fresh_dh = true;
		break;
	case 'h':
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		return -EINVAL;
	}
	if (bad) {
		const struct option *o = long_opts;

		while (o->name && o->val != c)
			o++;
		fprintf(stderr, "oak-bench: bad value '%s' for --%s (see --help)\n", arg,
			o->name ? o->name : "?");
	}
	return bad ? -EINVAL : 0;
}

/* The identity may hold one %u (the SA number) and no other '%'. */
static bool id_fmt_ok(const char *fmt)
{
	const char *p = strchr(fmt, '%');

	return !p || (p[1] == 'u' && !strchr(p + 2, '%'));
}

static int parse_args(int argc, char **argv, struct bench_run *r, struct bench_args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "t:s:n:w:m:p:h", long_opts, NULL)) != -1)
		if (parse_opt(c, optarg, r, a) < 0)
			return -EINVAL;
	if (optind < argc || !a->have_target) {
		fprintf(stderr, "oak-bench: %s\n",
			optind < argc ? "unexpected argument" : "-t TARGET is required");
		usage(stderr);
		return -EINVAL;
	}
	if ((a->key || a->cert || a->peer_cert) && !(a->key && a->cert && a->peer_cert)) {
		fprintf(stderr, "oak-bench: certificate authentication needs --key, --cert and "
				"--peer-cert together\n");
		return -EINVAL;
	}
	if (!a->key && (!a->psk || !*a->psk)) {
		fprintf(stderr, "oak-bench: expected a pre-shared key (--psk or OAK_BENCH_PSK) or "
				"--key/--cert/--peer-cert\n");
		return -EINVAL;
	}
	if (bench_is_v1(&r->cfg) && a->key) {
		fprintf(stderr, "oak-bench: the IKEv1 modes take --psk, not certificates\n");
		return -EINVAL;
	}
	if (!id_fmt_ok(r->cfg.id_fmt)) {
		fprintf(stderr, "oak-bench: --id may hold one %%u and no other %%, got '%s'\n",
			r->cfg.id_fmt);
		return -EINVAL;
	}
	return 0;
}

static int run_alloc(struct bench_run *r)
{
	r->slots = calloc(r->cfg.window, sizeof(*r->slots));
	r->free_slots = calloc(r->cfg.window, sizeof(*r->free_slots));
	if (bench_is_v1(&r->cfg))
		r->last = calloc(BENCH_LAST_RING, sizeof(*r->last));
	r->st.lat_us = calloc(r->cfg.n, sizeof(*r->st.lat_us));
	r->st.notify_fails = calloc(NOTIFY_ERR_MAX, sizeof(unsigned));
	if (!r->slots || !r->free_slots || (bench_is_v1(&r->cfg) && !r->last) || !r->st.lat_us ||
	    !r->st.notify_fails)
		return -ENOMEM;
	for (unsigned i = 0; i < r->cfg.window; i++)
		r->free_slots[r->n_free++] = (uint16_t)(r->cfg.window - 1 - i);
	return 0;
}

static void run_free(struct bench_run *r)
{
	for (unsigned i = 0; r->slots && i < r->cfg.window; i++)
		if (r->slots[i].state != BSA_FREE)
			bench_ike_release(&r->slots[i]);
	free(r->last);
	free(r->slots);
	free(r->free_slots);
	free(r->st.lat_us);
	free(r->st.notify_fails);
	bench_ike_cleanup(&r->cfg);
}

int main(int argc, char **argv)
{
	static const char *const modes[] = {"child", "childless", "init", "v1", "v1-main"};
	static const char def_ike[] = "aes128gcm16-prfsha256-x25519", def_esp[] = "aes128gcm16";
	struct bench_args a = {.ike = def_ike, .esp = def_esp, .psk = getenv("OAK_BENCH_PSK")};
	struct proc_sample p0, p1;
	struct bench_run r;
	char err[256], tb[INET_ADDRSTRLEN], sb[INET_ADDRSTRLEN];
	uint64_t t0;
	double g0, g1, secs;
	int rc;

	memset(&r, 0, sizeof(r));
	r.cfg.n = 100;
	r.cfg.window = 32;
	r.cfg.timeout_ms = 1000;
	r.cfg.tries = 4;
	r.cfg.id_fmt = "bench-%u@oak.test";
	if (parse_args(argc, argv, &r, &a) < 0)
		return 2;
	if (bench_is_v1(&r.cfg) && a.ike == def_ike) /* IKEv1 has no AEAD (RFC 2409) */
		a.ike = "aes128-sha256-modp2048";
	if (bench_is_v1(&r.cfg) && a.esp == def_esp)
		a.esp = "aes128-sha256";
	if (r.cfg.window > r.cfg.n)
		r.cfg.window = r.cfg.n;
	if ((a.key && bench_ike_certs(&r.cfg, a.key, a.cert, a.peer_cert, err, sizeof(err)) < 0) ||
	    bench_ike_setup(&r.cfg, a.ike, a.esp, a.psk, err, sizeof(err)) < 0 ||
	    (bench_is_v1(&r.cfg) && bench_ikev1_setup(&r.cfg, err, sizeof(err)) < 0)) {
		fprintf(stderr, "oak-bench: %s\n", err);
		bench_ike_cleanup(&r.cfg);
		return 2;
	}
	r.fd_natt = -1;
	r.fd = open_socket(&r.cfg.source, &r.cfg.target);
	if (r.fd >= 0 && r.cfg.natt) {
		struct sockaddr_in src = r.cfg.source, dst = r.cfg.target;

		src.sin_port = 0;
		dst.sin_port = htons(4500);
		r.fd_natt = open_socket(&src, &dst);
		if (r.fd_natt < 0) {
			close(r.fd);
			r.fd = r.fd_natt;
		}
	}
	if (r.fd < 0 || run_alloc(&r) < 0) {
		fprintf(stderr, "oak-bench: %s\n", strerror(r.fd < 0 ? -r.fd : ENOMEM));
		run_free(&r);
		return 2;
	}
	printf("oak-bench: %u IKE SAs, window %u, mode %s, ike %s%s%s, %s -> %s:%u\n", r.cfg.n,
	       r.cfg.window, modes[r.cfg.mode], a.ike,
	       r.cfg.mode == BENCH_MODE_CHILD || r.cfg.mode == BENCH_MODE_V1 ? ", esp " : "",
	       r.cfg.mode == BENCH_MODE_CHILD || r.cfg.mode == BENCH_MODE_V1 ? a.esp : "",
	       inet_ntop(AF_INET, &r.cfg.source.sin_addr, sb, sizeof(sb)),
	       inet_ntop(AF_INET, &r.cfg.target.sin_addr, tb, sizeof(tb)),
	       ntohs(r.cfg.target.sin_port));
	sample_proc(r.pid, &p0);
	g0 = gen_cpu_s();
	t0 = mono_ns();
	run_loop(&r);
	sample_proc(r.pid, &p1);
	secs = (double)(mono_ns() - t0) / 1e9;
	g1 = gen_cpu_s();
	if (r.cfg.mode == BENCH_MODE_V1 && r.st.retransmits && r.st.established) {
		printf("messages were lost: %u s more for repeated QM2\n", BENCH_LINGER_S);
		fflush(stdout);
		linger(&r);
	}
	report(&r, secs, g1 - g0, &p0, &p1);
	rc = r.st.failed ? 1 : 0;
	close(r.fd);
	if (r.fd_natt >= 0)
		close(r.fd_natt);
	run_free(&r);
	return rc;
}
