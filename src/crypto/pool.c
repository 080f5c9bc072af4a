/* pool.c: the crypto worker pool (contract in pool.h). */
#include "crypto/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"

#define POOL_MAX_THREADS 256

struct pool_job {
	void (*work)(void *arg);
	void (*done)(void *arg, int status);
	void *arg;
	struct pool_job *next;
};

/* A FIFO of jobs linked through `next`. */
struct job_list {
	struct pool_job *head, *tail;
	size_t count;
};

struct crypto_pool {
	struct event_base *base; /* (borrowed) */
	struct event *ev;	 /* read side of efd on base; inline: activated by hand */
	int efd;		 /* eventfd: workers -> loop (-1 inline) */
	bool inline_jobs;	 /* no workers: the loop runs the jobs (pool.h) */

	pthread_mutex_t lock;	  /* guards queue, finished, stopping */
	pthread_cond_t cond;	  /* signalled when queue grows or stopping is set */
	struct job_list queue;	  /* submitted, not started */
	struct job_list finished; /* work ran, done not yet called */
	bool stopping;

	pthread_t *threads;
	unsigned nthreads;
	size_t max_queued;

	/* loop thread only */
	size_t pending;
	struct pool_stats st;
};

static void list_push(struct job_list *l, struct pool_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->count++;
}

static struct pool_job *list_pop(struct job_list *l)
{
	struct pool_job *j = l->head;

	if (j == NULL)
		return NULL;
	l->head = j->next;
	if (l->head == NULL)
		l->tail = NULL;
	l->count--;
	return j;
}

/* Move all of *from to the caller, leaving *from empty. */
static struct job_list list_take(struct job_list *from)
{
	struct job_list l = *from;

	from->head = from->tail = NULL;
	from->count = 0;
	return l;
}

static void wake_loop(struct crypto_pool *p)
{
	uint64_t one = 1;

	/* eventfd writes of 8 bytes only fail when the counter would overflow,
	 * and then the loop has a wake-up pending anyway */
	while (write(p->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *worker_main(void *arg)
{
	struct crypto_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct pool_job *j;
		bool was_empty;

		while (!p->stopping && p->queue.head == NULL)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stopping)
			break; /* pool_free took the queue: those jobs are cancelled */
		j = list_pop(&p->queue);
		pthread_mutex_unlock(&p->lock);

		j->work(j->arg);

		pthread_mutex_lock(&p->lock);
		was_empty = p->finished.head == NULL;
		list_push(&p->finished, j);
		/* one wake-up per batch: the loop takes the whole list, so only
		 * the push that makes it non-empty needs to wake it */
		if (was_empty)
			wake_loop(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void deliver(struct crypto_pool *p, struct job_list *l, int status)
{
	struct pool_job *j;

	while ((j = list_pop(l)) != NULL) {
		p->pending--;
		if (status == 0)
			p->st.completed++;
		else
			p->st.cancelled++;
		j->done(j->arg, status);
		free(j);
	}
}

/* The loop side: drain the eventfd first, then take the list, so that a
 * push after the take always leaves a wake-up behind. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct crypto_pool *p = arg;
	struct job_list done;
	uint64_t n;

	(void)what;
	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&p->lock);
	done = list_take(&p->finished);
	pthread_mutex_unlock(&p->lock);
	if (done.head == NULL)
		return;
	p->st.wakeups++;
	deliver(p, &done, 0);
}

/* Inline mode: run the jobs queued so far, each followed by its done, on the
 * loop thread. Jobs that a done submits are queued again and run on the next
 * round of the loop, so the loop still sees its other events in between. */
static void on_inline(evutil_socket_t fd, short what, void *arg)
{
	struct crypto_pool *p = arg;
	struct job_list run;
	struct pool_job *j;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&p->lock);
	run = list_take(&p->queue);
	pthread_mutex_unlock(&p->lock);
	if (run.head == NULL)
		return;
	p->st.wakeups++;
	while ((j = list_pop(&run)) != NULL) {
		j->work(j->arg);
		p->pending--;
		p->st.completed++;
		j->done(j->arg, 0);
		free(j);
	}
}

/* The CPUs this process may run on (its affinity mask: taskset, cgroups'
 * cpusets), else the online ones. */
static unsigned usable_cores(void)
{
	cpu_set_t set;
	long n = -1;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > POOL_MAX_THREADS ? POOL_MAX_THREADS : (unsigned)n;
}

/* Start the workers with every signal blocked (they inherit the mask). */
static int start_threads(struct crypto_pool *p)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (p->nthreads = 0; p->nthreads < p->st.threads; p->nthreads++) {
		rc = pthread_create(&p->threads[p->nthreads], NULL, worker_main, p);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

static void stop_threads(struct crypto_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

static void pool_destroy(struct crypto_pool *p)
{
	if (p->ev)
		event_free(p->ev);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}

struct crypto_pool *pool_new(struct event_base *base, unsigned nthreads, size_t max_queued)
{
	struct crypto_pool *p;
	int rc;

	if (base == NULL) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->base = base;
	p->efd = -1;
	p->max_queued = max_queued ? max_queued : POOL_DEFAULT_MAX_QUEUED;
	p->st.threads = nthreads ? (nthreads > POOL_MAX_THREADS ? POOL_MAX_THREADS : nthreads)
				 : usable_cores();
	/* one usable CPU: a worker could only take turns with the loop, and each
	 * hand-off costs two context switches and a wake-up (pool.h) */
	p->inline_jobs = nthreads == 0 && p->st.threads == 1;
	if (p->inline_jobs)
		p->st.threads = 0;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->threads = calloc(p->st.threads ? p->st.threads : 1, sizeof(*p->threads));
	if (!p->inline_jobs)
		p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->threads == NULL || (!p->inline_jobs && p->efd < 0))
		goto fail;
	if (p->inline_jobs)
		p->ev = event_new(base, -1, EV_PERSIST, on_inline, p);
	else
		p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, on_wake, p);
	if (p->ev == NULL || (!p->inline_jobs && event_add(p->ev, NULL) < 0)) {
		errno = ENOMEM;
		goto fail;
	}
	rc = start_threads(p);
	if (rc < 0) {
		stop_threads(p);
		errno = -rc;
		goto fail;
	}
	log_debug(SUB_CRYPTO, "crypto pool: %u worker threads%s, queue of %zu", p->st.threads,
		  p->inline_jobs ? " (one CPU: jobs run on the loop thread)" : "", p->max_queued);
	return p;
fail:
	rc = errno;
	pool_destroy(p);
	errno = rc;
	return NULL;
}

int pool_submit(struct crypto_pool *p, void (*work)(void *arg), void (*done)(void *arg, int status),
		void *arg)
{
	struct pool_job *j;
	int rc = 0;

	if (p == NULL || work == NULL || done == NULL)
		return -EINVAL;
	j = malloc(sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->stopping)
		rc = -ESHUTDOWN;
	else if (p->queue.count >= p->max_queued)
		rc = -EAGAIN;
	else
		list_push(&p->queue, j);
	if (rc == 0 && !p->inline_jobs)
		pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (rc == 0 && p->inline_jobs) /* on_inline from the loop, never from here */
		event_active(p->ev, EV_TIMEOUT, 0);
	if (rc < 0) {
		free(j);
		if (rc == -EAGAIN)
			p->st.rejected++;
		return rc;
	}
	p->pending++;
	p->st.submitted++;
	return 0;
}

size_t pool_pending(const struct crypto_pool *p)
{
	return p ? p->pending : 0;
}

void pool_stats(const struct crypto_pool *p, struct pool_stats *st)
{
	*st = p->st;
}

void pool_free(struct crypto_pool *p)
{
	struct job_list cancelled, finished;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	cancelled = list_take(&p->queue);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	stop_threads(p); /* running jobs finish first */
	finished = list_take(&p->finished);
	if (finished.count + cancelled.count > 0)
		log_debug(SUB_CRYPTO, "crypto pool: freed with %zu finished, %zu cancelled jobs",
			  finished.count, cancelled.count);
	deliver(p, &finished, 0);
	deliver(p, &cancelled, -ECANCELED);
	pool_destroy(p);
}
