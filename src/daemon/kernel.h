/* kernel.h: oakd's kernel backend, as daemon.kernel chooses it.
 *
 *   record (default)  kernel/record.h: every call appended to
 *                     daemon.record_file, nothing reaches the kernel
 *   xfrm              kernel/xfrm.h: real XFRM states and policies, marked
 *                     XFRM_OWNER_OAK. At start the entries a previous oakd
 *                     left (it died) are flushed; at stop, after the engine
 *                     deleted its SAs, whatever is still oak's is flushed too.
 *                     The kernel's ACQUIRE and EXPIRE events are read in the
 *                     daemon's loop and handed to the IKEv2 engine (set with
 *                     oakd_kernel_set_engine): an ACQUIRE of a trap policy
 *                     initiates its child (ikev1_acquire for the IKEv1
 *                     engine's traps, else ikev2_acquire), a soft EXPIRE
 *                     rekeys the CHILD SA, a hard one deletes it
 *                     (ikev2_kernel_expire).
 */
#ifndef OAK_DAEMON_KERNEL_H
#define OAK_DAEMON_KERNEL_H

#include <stdbool.h>

#include <event2/event.h>

#include "conf/model.h"
#include "lib/kernel_ops.h"

struct oakd_kernel;
struct ikev2_engine;
struct ikev1_engine;

/* Open the backend dc->kernel names and fill ops (ops->ctx is borrowed from
 * the result: it must outlive every use of ops). keys: the record may hold
 * key bytes (the user asked for a key log). base (borrowed) gets the xfrm
 * event socket. 0 with *out set (caller frees with oakd_kernel_close), or
 * -errno after logging one line saying what failed. */
int oakd_kernel_open(const struct daemon_cfg *dc, bool keys, struct event_base *base,
		     struct kernel_ops *ops, struct oakd_kernel **out);

/* Where kernel events go: the engine (borrowed; NULL: events are only
 * logged) and, after each engine call, called(ctx) so the daemon re-arms its
 * timer and reports SA changes. */
void oakd_kernel_set_engine(struct oakd_kernel *k, struct ikev2_engine *e,
			    void (*called)(void *ctx), void *ctx);

/* The IKEv1 engine (borrowed; NULL: none): ACQUIREs of its trap policies
 * go to it. Its SAs keep their own timers, so EXPIREs go to IKEv2 only. */
void oakd_kernel_set_ikev1(struct oakd_kernel *k, struct ikev1_engine *e);

/* Stop: for xfrm remove every entry still carrying oak's owner value (call
 * it after the engine removed its SAs), then close and free. NULL is fine. */
void oakd_kernel_close(struct oakd_kernel *k);

#endif
