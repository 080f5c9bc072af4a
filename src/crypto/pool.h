/* pool.h: the crypto worker pool.
 *
 * Heavy crypto (DH/ECDH key generation and derivation, signing, verifying)
 * runs on a fixed set of worker threads so that the loop thread, which owns
 * all SA state without locks, never stalls on it. A handler that needs such
 * work submits a job and returns "suspended"; the job's `work` runs on a
 * worker; its `done` then runs on the loop thread, where it may touch SA state
 * and resume the exchange.
 *
 * Contract and threading rules:
 * - One pool serves one libevent event_base, whose loop runs on one thread,
 *   the loop thread. pool_new(), pool_submit(), pool_pending(),
 *   pool_stats() and pool_free() are called on the loop thread only.
 * - `work(arg)` runs on a worker thread. It must not touch SA tables or
 *   anything else the loop thread owns, nor the event_base: it reads the
 *   inputs and writes the outputs that `arg` carries, nothing shared. Crypto
 *   keys (struct sig_key, EVP_PKEY) are immutable and may be read by several
 *   jobs at once.
 * - `done(arg, status)` runs on the loop thread, from the event loop (never
 *   from inside pool_submit()), exactly once per accepted job: status 0 after
 *   `work` ran, or -ECANCELED when pool_free() dropped the job before a worker
 *   started it (then `work` never ran). `done` owns `arg` again: it frees it or
 *   hands it on. A `done` may submit new jobs; it must not call pool_free().
 *   Because SAs may be deleted while their job runs, `arg` names its SA by
 *   serial number and `done` looks it up (docs/ARCHITECTURE.md, "State").
 * - Jobs complete in any order, including jobs of the same submitter.
 * - The queue of jobs not yet started is bounded (max_queued): when it is
 *   full, pool_submit() fails with -EAGAIN and nothing was queued, so a flood
 *   of requests cannot grow memory without limit; the caller drops or defers
 *   the request (for IKE: answer with a cookie or drop the half-open SA).
 * - Completion: a worker appends the finished job to a completion list and
 *   writes an eventfd only when that list was empty; the loop drains the
 *   eventfd, takes the whole list and runs each `done`. Many completions
 *   cost one wake-up; no thread polls.
 * - Workers block every signal, so signals reach the loop thread.
 * - One CPU: when nthreads is 0 and the process may run on one CPU only
 *   (taskset, a cpuset, a one-vCPU machine), the pool starts no thread: a
 *   worker could only take turns with the loop, at two context switches and a
 *   wake-up per job. The jobs then run on the loop thread, from the event
 *   loop (an event activated by pool_submit, never inside it), each right
 *   before its done; everything else above holds (queue bound, -ECANCELED on
 *   pool_free, done never inside pool_submit). pool_stats() reports 0 threads.
 */
#ifndef OAK_CRYPTO_POOL_H
#define OAK_CRYPTO_POOL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct crypto_pool;

/* Default bound on queued (submitted, not yet started) jobs. */
#define POOL_DEFAULT_MAX_QUEUED 4096

/* A pool of nthreads workers (0: one per CPU the process may run on, its
 * affinity mask) for the loop of base
 * (borrowed; must outlive the pool), holding at most max_queued jobs that no
 * worker has started (0: POOL_DEFAULT_MAX_QUEUED). (caller frees with
 * pool_free) NULL with errno set when threads or memory are missing. */
struct crypto_pool *pool_new(struct event_base *base, unsigned nthreads, size_t max_queued);

/* Queue a job: work(arg) on a worker thread, then done(arg, status) on the
 * loop thread (see above). arg is borrowed by the pool until done runs.
 * 0; -EAGAIN queue full; -EINVAL a NULL function; -ESHUTDOWN while the pool
 * is being freed; -ENOMEM. On error neither function will run. */
int pool_submit(struct crypto_pool *p, void (*work)(void *arg), void (*done)(void *arg, int status),
		void *arg);

/* Jobs accepted whose done has not run yet (queued, running or completed). */
size_t pool_pending(const struct crypto_pool *p);

/* Counters for metrics and tests. */
struct pool_stats {
	unsigned threads;
	uint64_t submitted; /* accepted by pool_submit */
	uint64_t rejected;  /* refused with -EAGAIN */
	uint64_t completed; /* done called with status 0 */
	uint64_t cancelled; /* done called with -ECANCELED */
	uint64_t wakeups;   /* times the loop was woken for completions */
};
void pool_stats(const struct crypto_pool *p, struct pool_stats *st);

/* Stop accepting jobs; cancel the queued jobs that no worker started; wait
 * for the running ones to finish (work is not interrupted); join the
 * threads; then, on the calling (loop) thread, call done(arg, 0) for every
 * finished job not yet delivered and done(arg, -ECANCELED) for every
 * cancelled one; free everything. NULL is fine. */
void pool_free(struct crypto_pool *p);

#endif
