/* Unit tests of crypto/pool: every job completes exactly once on the loop
 * thread, completions are batched, the queue is bounded, pool_free() cancels
 * what did not start, and a job can sign with a real key. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "crypto/pool.h"
#include "crypto/sig.h"

#define NJOBS 10000

struct job {
	atomic_int worked;
	int done;
	int status;
	pthread_t worker;
	bool done_on_loop;
	unsigned order;
};

static pthread_t loop_thread;
static unsigned done_count;
static pthread_barrier_t two_workers;
static atomic_int barrier_left;

static void count_work(void *arg)
{
	struct job *j = arg;

	/* the first two jobs meet at a barrier: they can only both pass when
	 * two different workers run them at the same time */
	if (atomic_fetch_sub(&barrier_left, 1) > 0)
		pthread_barrier_wait(&two_workers);
	j->worker = pthread_self();
	atomic_fetch_add(&j->worked, 1);
}

static void count_done(void *arg, int status)
{
	struct job *j = arg;

	j->done++;
	j->status = status;
	j->done_on_loop = pthread_equal(pthread_self(), loop_thread);
	j->order = done_count++;
}

static void run_until(struct event_base *base, unsigned want)
{
	while (done_count < want)
		assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
}

static void ten_thousand_jobs_complete_once_on_the_loop(void **state)
{
	struct event_base *base = event_base_new();
	struct crypto_pool *p;
	struct job *jobs = calloc(NJOBS, sizeof(*jobs));
	struct pool_stats st;
	pthread_t first = 0;
	bool two_threads = false;

	(void)state;
	loop_thread = pthread_self();
	done_count = 0;
	atomic_store(&barrier_left, 2);
	pthread_barrier_init(&two_workers, NULL, 2);
	p = pool_new(base, 2, NJOBS);
	assert_non_null(p);
	for (int i = 0; i < NJOBS; i++)
		assert_int_equal(pool_submit(p, count_work, count_done, &jobs[i]), 0);
	assert_int_equal(pool_pending(p), NJOBS);
	run_until(base, NJOBS);
	assert_int_equal(pool_pending(p), 0);
	for (int i = 0; i < NJOBS; i++) {
		assert_int_equal(atomic_load(&jobs[i].worked), 1);
		assert_int_equal(jobs[i].done, 1);
		assert_int_equal(jobs[i].status, 0);
		assert_true(jobs[i].done_on_loop);
		assert_false(pthread_equal(jobs[i].worker, loop_thread));
		if (i == 0)
			first = jobs[i].worker;
		else if (!pthread_equal(first, jobs[i].worker))
			two_threads = true;
	}
	assert_true(two_threads);
	pool_stats(p, &st);
	assert_int_equal(st.threads, 2);
	assert_int_equal(st.submitted, NJOBS);
	assert_int_equal(st.completed, NJOBS);
	assert_int_equal(st.cancelled, 0);
	assert_true(st.wakeups >= 1 && st.wakeups <= NJOBS);
	pool_free(p);
	/* nothing more happens after the pool is gone */
	assert_int_equal(done_count, NJOBS);
	pthread_barrier_destroy(&two_workers);
	free(jobs);
	event_base_free(base);
}

/* Jobs that finish while the loop is busy elsewhere are delivered in one
 * wake-up. */
static void completions_are_batched(void **state)
{
	struct event_base *base = event_base_new();
	struct crypto_pool *p = pool_new(base, 2, 0);
	struct job jobs[100];
	struct pool_stats st;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	loop_thread = pthread_self();
	done_count = 0;
	atomic_store(&barrier_left, 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(pool_submit(p, count_work, count_done, &jobs[i]), 0);
	/* the loop does not run: wait for the workers to finish everything */
	for (int i = 0; i < 100; i++) {
		while (atomic_load(&jobs[i].worked) == 0)
			usleep(1000);
	}
	usleep(50000);			 /* the last worker pushes its job just after `worked` */
	assert_int_equal(done_count, 0); /* done never runs outside the loop */
	assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_equal(done_count, 100);
	pool_stats(p, &st);
	assert_int_equal(st.wakeups, 1);
	pool_free(p);
	event_base_free(base);
}

/* A job that holds its worker until the test lets it go. */
static sem_t started, release;

static void gate_work(void *arg)
{
	struct job *j = arg;

	sem_post(&started);
	sem_wait(&release);
	atomic_fetch_add(&j->worked, 1);
}

static void bounded_queue_refuses_when_full(void **state)
{
	struct event_base *base = event_base_new();
	struct crypto_pool *p = pool_new(base, 1, 4);
	struct job gate = {0}, jobs[5];
	struct pool_stats st;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	loop_thread = pthread_self();
	done_count = 0;
	atomic_store(&barrier_left, 0);
	sem_init(&started, 0, 0);
	sem_init(&release, 0, 0);
	assert_int_equal(pool_submit(p, gate_work, count_done, &gate), 0);
	sem_wait(&started); /* the only worker is busy; the queue is empty */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pool_submit(p, count_work, count_done, &jobs[i]), 0);
	assert_int_equal(pool_submit(p, count_work, count_done, &jobs[4]), -EAGAIN);
	assert_int_equal(pool_pending(p), 5);
	assert_int_equal(pool_submit(p, NULL, count_done, &jobs[4]), -EINVAL);
	assert_int_equal(pool_submit(p, count_work, NULL, &jobs[4]), -EINVAL);
	sem_post(&release);
	run_until(base, 5);
	assert_int_equal(jobs[4].done, 0);
	assert_int_equal(atomic_load(&jobs[4].worked), 0);
	/* room again */
	assert_int_equal(pool_submit(p, count_work, count_done, &jobs[4]), 0);
	run_until(base, 6);
	pool_stats(p, &st);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.submitted, 6);
	pool_free(p);
	sem_destroy(&started);
	sem_destroy(&release);
	event_base_free(base);
}

static void *release_later(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	sem_post(&release);
	return NULL;
}

/* pool_free with one job running and three queued: the running one finishes
 * (done, 0), the queued ones are cancelled (done, -ECANCELED, no work); all
 * four done calls happen inside pool_free on the calling thread. */
static void free_cancels_queued_and_finishes_running(void **state)
{
	struct event_base *base = event_base_new();
	struct crypto_pool *p = pool_new(base, 1, 0);
	struct job gate = {0}, jobs[3];
	pthread_t helper;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	loop_thread = pthread_self();
	done_count = 0;
	atomic_store(&barrier_left, 0);
	sem_init(&started, 0, 0);
	sem_init(&release, 0, 0);
	assert_int_equal(pool_submit(p, gate_work, count_done, &gate), 0);
	sem_wait(&started);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pool_submit(p, count_work, count_done, &jobs[i]), 0);
	pthread_create(&helper, NULL, release_later, NULL);
	pool_free(p);
	pthread_join(helper, NULL);
	assert_int_equal(done_count, 4);
	assert_int_equal(atomic_load(&gate.worked), 1);
	assert_int_equal(gate.done, 1);
	assert_int_equal(gate.status, 0);
	assert_true(gate.done_on_loop);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(atomic_load(&jobs[i].worked), 0);
		assert_int_equal(jobs[i].done, 1);
		assert_int_equal(jobs[i].status, -ECANCELED);
		assert_true(jobs[i].done_on_loop);
	}
	/* finished jobs are delivered before cancelled ones */
	assert_int_equal(gate.order, 0);
	pool_free(NULL);
	sem_destroy(&started);
	sem_destroy(&release);
	event_base_free(base);
}

/* A done callback may submit the next job (a handler resumed by one job may
 * need another). */
static struct crypto_pool *chain_pool;
static int chain_left;

static void chain_work(void *arg)
{
	(void)arg;
}

static void chain_done(void *arg, int status)
{
	assert_int_equal(status, 0);
	done_count++;
	if (--chain_left > 0)
		assert_int_equal(pool_submit(chain_pool, chain_work, chain_done, arg), 0);
}

static void done_may_submit(void **state)
{
	struct event_base *base = event_base_new();

	(void)state;
	chain_pool = pool_new(base, 0, 0);
	assert_non_null(chain_pool);
	done_count = 0;
	chain_left = 50;
	assert_int_equal(pool_submit(chain_pool, chain_work, chain_done, NULL), 0);
	run_until(base, 50);
	assert_int_equal(pool_pending(chain_pool), 0);
	pool_free(chain_pool);
	event_base_free(base);
}

/* The real use: sign on a worker, verify on the loop. */
struct sign_job {
	const struct sig_key *key;
	struct span msg;
	uint8_t *sig;
	size_t sig_len;
	int rc;
	bool verified;
	const struct sig_pubkey *pub;
};

static void sign_work(void *arg)
{
	struct sign_job *j = arg;

	j->rc = sig_sign(j->key, SIG_ECDSA_SHA384, &j->msg, 1, &j->sig, &j->sig_len);
}

static void sign_done(void *arg, int status)
{
	struct sign_job *j = arg;

	assert_int_equal(status, 0);
	assert_true(pthread_equal(pthread_self(), loop_thread));
	assert_int_equal(j->rc, 0);
	j->verified = sig_verify(j->pub, SIG_ECDSA_SHA384, &j->msg, 1, j->sig, j->sig_len) == 0;
	free(j->sig);
	done_count++;
}

static void job_signs_with_a_real_key(void **state)
{
	struct event_base *base = event_base_new();
	struct crypto_pool *p = pool_new(base, 2, 0);
	struct sig_key *k = NULL;
	struct sig_pubkey *pub;
	struct sign_job jobs[8];

	(void)state;
	loop_thread = pthread_self();
	done_count = 0;
	assert_int_equal(sig_key_load_file(th_src_path("tests/vectors/sig/p384.pem"), NULL, &k), 0);
	pub = sig_key_pubkey(k);
	memset(jobs, 0, sizeof(jobs));
	/* one key shared by all jobs at once: keys are immutable */
	for (int i = 0; i < 8; i++) {
		jobs[i].key = k;
		jobs[i].pub = pub;
		jobs[i].msg = (struct span){(const uint8_t *)"AUTH octets", 11};
		assert_int_equal(pool_submit(p, sign_work, sign_done, &jobs[i]), 0);
	}
	run_until(base, 8);
	for (int i = 0; i < 8; i++)
		assert_true(jobs[i].verified);
	pool_free(p);
	sig_pubkey_free(pub);
	sig_key_free(k);
	event_base_free(base);
}

static void new_refuses_a_null_base(void **state)
{
	(void)state;
	errno = 0;
	assert_null(pool_new(NULL, 1, 0));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pool_pending(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ten_thousand_jobs_complete_once_on_the_loop),
		cmocka_unit_test(completions_are_batched),
		cmocka_unit_test(bounded_queue_refuses_when_full),
		cmocka_unit_test(free_cancels_queued_and_finishes_running),
		cmocka_unit_test(done_may_submit),
		cmocka_unit_test(job_signs_with_a_real_key),
		cmocka_unit_test(new_refuses_a_null_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
