/* child_kernel.h: putting a CHILD SA (IKEv2) or an IPsec SA pair (IKEv1
 * Quick Mode) into the kernel and taking it out again, through kernel_ops.
 *
 * Both engines negotiate differently but install the same thing: an inbound
 * SA with our SPI (allocated earlier, so it is an update), an outbound SA
 * with the peer's SPI, and out/in(/fwd for tunnel mode) policies for every
 * pair of local and remote traffic selectors of one family. The algorithms
 * and the kernel's names for them come from c->proposal (IKEv2 transform
 * IDs; the IKEv1 engine maps its attributes onto them).
 */
#ifndef OAK_IKE_CHILD_KERNEL_H
#define OAK_IKE_CHILD_KERNEL_H

#include <stdbool.h>

#include "ike/ike_sa.h"
#include "lib/kernel_ops.h"
#include "lib/secret.h"

/* The kernel's protocol number (IPPROTO_ESP/AH) of a PROPOSAL_PROTO_*. */
uint8_t child_kernel_ipproto(uint8_t protocol);
/* Bytes of encryption keying material (key + salt) and of integrity key the
 * proposal of c needs (0 when it has none). */
size_t child_kernel_encr_len(const struct child_sa *c);
size_t child_kernel_integ_len(const struct child_sa *c);
/* Install both SAs of c (of IKE SA sa) with the keys of each direction
 * (borrowed; integrity keys NULL with AEAD) and the lifetimes to hand the
 * kernel (borrowed; NULL: the child config's; IKEv1 negotiates them in Quick
 * Mode), UDP-encapsulated on the IKE SA's ports when encap, then its
 * policies. Encapsulated in transport mode, oa is the peer's original
 * address (RFC 3947 5.2 NAT-OA, borrowed; NULL: not known) for the checksum
 * fix-up (kernel_sa.encap_oa). Sets c->installed_in/_out and c->policies as
 * it goes so that child_kernel_remove() undoes exactly what was done. 0,
 * -ENOTSUP (keys do not fit the algorithms), -EIO (the kernel refused; the
 * backend logged why). */
int child_kernel_install_life(const struct kernel_ops *ko, const struct ike_sa *sa,
			      struct child_sa *c, bool encap, const struct ip_addr *oa,
			      const struct secret *encr_in, const struct secret *integ_in,
			      const struct secret *encr_out, const struct secret *integ_out,
			      const struct kernel_lifetime *life);
/* The limits of the child config as the kernel takes them. */
struct kernel_lifetime child_kernel_life(const struct child_cfg *cfg);
/* Only the two SAs of child_kernel_install_life (no policies): an IKEv2
 * rekey takes over its predecessor's policies instead. */
int child_kernel_install_sas(const struct kernel_ops *ko, const struct ike_sa *sa,
			     struct child_sa *c, bool encap, const struct secret *encr_in,
			     const struct secret *integ_in, const struct secret *encr_out,
			     const struct secret *integ_out, const struct kernel_lifetime *life);
/* One of those two SAs (inbound: ours, an update of the allocated SPI;
 * else the peer's): an IKEv2 responder that re-creates a CHILD SA of
 * another IKE SA installs its outbound SA only when the old one goes. */
int child_kernel_install_sa(const struct kernel_ops *ko, const struct ike_sa *sa,
			    struct child_sa *c, bool encap, bool inbound, const struct secret *encr,
			    const struct secret *integ, const struct kernel_lifetime *life);
/* Add c's policies (and mark them c's: child_kernel_remove takes them out),
 * also again after another SA pair of the same traffic selectors took them
 * out. 0 or -EIO. */
int child_kernel_policies_add(const struct kernel_ops *ko, const struct ike_sa *sa,
			      struct child_sa *c);
/* Remove c's policies and SAs (the inbound SA also when only its SPI was
 * allocated), whatever of them is there. */
void child_kernel_remove(const struct kernel_ops *ko, const struct ike_sa *sa, struct child_sa *c);
/* Dead peer detection asks only a peer that sent nothing (RFC 3706 5.3,
 * RFC 7296 2.4): true when the kernel counted inbound packets on one of
 * sa's installed CHILD SAs since the last call (each child remembers what
 * it saw). false also when the backend cannot tell (no query_sa). */
bool child_kernel_peer_sent(const struct kernel_ops *ko, const struct ike_sa *sa);

#endif
