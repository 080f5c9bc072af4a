/* fuzz_ikev2_engine.c: arbitrary datagrams to a responder IKEv2 engine.
 *
 * The input is a sequence of records, each a 2-byte big-endian length and
 * that many bytes (what does not parse as a record is one last datagram).
 * Each record goes to one fresh responder engine as a datagram from
 * 192.0.2.2:500, the crypto jobs it submits are run, and the clock moves by
 * a second. The engine must never crash (sanitizers watch memory) and never
 * send more than one datagram per datagram it received.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "conf/parse.h"
#include "crypto/rand.h"
#include "ike/env.h"
#include "ikev2/engine.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf_text[] =
	"daemon { cookie_threshold = 8 }\n"
	"connections {\n"
	"  gw {\n"
	"    version = 2\n"
	"    local_addrs = 192.0.2.1\n"
	"    remote_addrs = 192.0.2.2\n"
	"    proposals = aes128-sha256-x25519, aes256gcm16-prfsha384-ecp384, "
	"aes128-sha1-modp2048, aes256-sha256-modp3072\n"
	"    local { auth = psk\n id = moon.example.org }\n"
	"    remote { auth = psk }\n"
	"    children { net { local_ts = 10.1.0.0/16\n remote_ts = 10.2.0.0/16\n"
	"                     esp_proposals = aes128gcm16, aes128-sha256-modp2048 } }\n"
	"  }\n"
	"}\n"
	"secrets { ike-1 { secret = s3cret } }\n";

#define MAX_JOBS 16

struct job {
	void (*work)(void *arg);
	void (*done)(void *arg, int status);
	void *arg;
};

static struct job jobs[MAX_JOBS];
static size_t njobs;
static unsigned sends;
static uint32_t next_spi = 0xc1000001u;
static uint64_t rng_state;

static int f_send(void *ctx, const struct ip_endpoint *l, const struct ip_endpoint *r,
		  const uint8_t *msg, size_t len)
{
	sends++;
	return 0;
}

static int f_alloc_spi(void *ctx, uint8_t proto, const struct ip_addr *src,
		       const struct ip_addr *dst, uint32_t reqid, uint32_t *spi)
{
	*spi = next_spi++;
	return 0;
}

static int f_add_sa(void *ctx, const struct kernel_sa *sa)
{
	return 0;
}

static int f_del_sa(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst)
{
	return 0;
}

static int f_policy(void *ctx, const struct kernel_policy *p)
{
	return 0;
}

static int f_submit(void *ctx, void (*work)(void *arg), void (*done)(void *arg, int status),
		    void *arg)
{
	if (njobs == MAX_JOBS)
		return -EAGAIN;
	jobs[njobs++] = (struct job){work, done, arg};
	return 0;
}

static void run_jobs(void)
{
	while (njobs) {
		struct job j = jobs[--njobs];

		j.work(j.arg);
		j.done(j.arg, 0);
	}
}

static int f_rand(void *ctx, uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[i] = (uint8_t)(rng_state >> 56);
	}
	return 0;
}

static struct oak_config *config(void)
{
	static struct oak_config *cfg;
	struct conf_tree *t = NULL;
	struct conf_err err;

	if (cfg)
		return cfg;
	if (conf_parse_string("fuzz.conf", conf_text, &t, &err) ||
	    conf_model_build(t, &cfg, &err)) {
		fprintf(stderr, "fuzz config: %s:%d: %s\n", err.file, err.line, err.msg);
		abort();
	}
	return cfg;
}

static const struct net_ops net = {NULL, f_send, NULL};
static const struct kernel_ops kernel = {.alloc_spi = f_alloc_spi,
					 .add_sa = f_add_sa,
					 .del_sa = f_del_sa,
					 .add_policy = f_policy,
					 .del_policy = f_policy};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_env env;
	struct ikev2_engine *e;
	struct ip_endpoint local, remote;
	uint64_t now = 1000;
	size_t off = 0;

	log_set_all(LVL_ERR);
	rng_state = 0x0123456789abcdefULL;
	rand_set_source(f_rand, NULL);
	memset(&env, 0, sizeof(env));
	env.net = &net;
	env.kernel = &kernel;
	env.jobs.submit = f_submit;
	env.config = config();
	e = ikev2_engine_new(&env);
	if (!e)
		abort();
	memset(&local, 0, sizeof(local));
	memset(&remote, 0, sizeof(remote));
	ip_addr_parse("192.0.2.1", &local.addr);
	ip_addr_parse("192.0.2.2", &remote.addr);
	local.port = remote.port = 500;
	while (off < size) {
		size_t len = size - off, at = off;

		if (size - off >= 2 && (size_t)(data[off] << 8 | data[off + 1]) <= size - off - 2) {
			len = (size_t)(data[off] << 8 | data[off + 1]);
			at = off + 2;
		}
		sends = 0;
		ikev2_recv(e, &local, &remote, data + at, len, now);
		run_jobs();
		if (sends > 1)
			abort(); /* more than one answer to one datagram */
		now += 1000;
		ikev2_run_timers(e, now);
		off = at + len;
	}
	ikev2_engine_free(e);
	rand_set_source(NULL, NULL);
	return 0;
}
