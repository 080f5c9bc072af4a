/* kernel_ops.h: what the IKE engines ask of the kernel's IPsec, as messages.
 *
 * Protocol code installs SAs and policies only through these calls, so tests
 * swap in a fake and the `record` backend writes what would be installed. The
 * interface is message-shaped (plain structs in, int out) so that a later
 * privilege-separated kernel process can sit behind it (DESIGN.md). Names
 * mirror XFRM (XFRM_MSG_NEWSA -> add_sa). Every call returns 0 or a negative
 * errno, and a backend logs the kernel's own error text.
 *
 * Everything a struct points to is (borrowed) for the duration of the call.
 */
#ifndef OAK_LIB_KERNEL_OPS_H
#define OAK_LIB_KERNEL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/ts.h"

enum kernel_mode {
	KERNEL_MODE_TRANSPORT = 0, /* XFRM_MODE_TRANSPORT */
	KERNEL_MODE_TUNNEL = 1,	   /* XFRM_MODE_TUNNEL */
};

enum kernel_dir {
	KERNEL_DIR_IN = 0, /* XFRM_POLICY_IN */
	KERNEL_DIR_OUT = 1,
	KERNEL_DIR_FWD = 2,
};

/* Soft limits start a rekey, hard limits delete (0 = none). */
struct kernel_lifetime {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_seconds, hard_seconds;
};

struct kernel_sa {
	uint32_t spi;  /* network byte order as on the wire, held in host order */
	uint8_t proto; /* IPPROTO_ESP or IPPROTO_AH */
	enum kernel_mode mode;
	bool inbound; /* for the record and logs: which direction this SA protects */
	bool update;  /* the SPI came from alloc_spi: XFRM_MSG_UPDSA instead of NEWSA */
	struct ip_addr src, dst;
	uint32_t reqid;
	/* algorithms by their kernel names (crypto's registry has them) */
	const char *encr_alg;	 /* "cbc(aes)", "rfc4106(gcm(aes))", NULL for AH */
	const uint8_t *encr_key; /* key bytes including salt/nonce */
	size_t encr_key_len;
	unsigned icv_bits;     /* AEAD ICV bits, 0 otherwise */
	const char *integ_alg; /* "hmac(sha256)", NULL for AEAD */
	const uint8_t *integ_key;
	size_t integ_key_len;
	unsigned integ_trunc_bits;
	/* IKE transform IDs, for the record and logs */
	uint16_t ikev2_encr, encr_key_bits, ikev2_integ;
	bool esn;
	uint32_t replay_window;
	struct kernel_lifetime life;
	uint16_t encap_sport, encap_dport; /* UDP encapsulation (NAT-T), 0 = none */
	/* with encapsulation in transport mode: the peer's original address
	 * (RFC 3947 5.2 NAT-OA) for the TCP/UDP checksum fix-up (RFC 3948
	 * 3.1.2); family 0 = not known (XFRM's encap_oa) */
	struct ip_addr encap_oa;
	struct ts sel_src, sel_dst; /* selectors (transport mode) */
	/* who asked, for the record and events */
	uint32_t ike_serial, child_serial;
	const char *conn_name, *child_name;
};

struct kernel_policy {
	struct ts src, dst;
	enum kernel_dir dir;
	uint32_t priority;
	uint32_t reqid;
	/* the template: which SA protects matching packets */
	uint8_t proto; /* IPPROTO_ESP / IPPROTO_AH */
	enum kernel_mode mode;
	struct ip_addr tun_src, tun_dst; /* tunnel mode outer addresses */
	bool trap;			 /* no SA yet: the first packet makes an ACQUIRE */
	uint32_t child_serial;
	const char *conn_name, *child_name;
};

/* What the kernel counted on one SA (XFRM's current lifetime). */
struct kernel_sa_use {
	uint64_t bytes, packets;
	uint64_t first_use; /* wall-clock seconds of the first packet, 0: none yet */
};

struct kernel_ops {
	void *ctx;
	/* Reserve an inbound SPI (XFRM_MSG_ALLOCSPI); the backend may pick it itself. */
	int (*alloc_spi)(void *ctx, uint8_t proto, const struct ip_addr *src,
			 const struct ip_addr *dst, uint32_t reqid, uint32_t *spi);
	int (*add_sa)(void *ctx, const struct kernel_sa *sa);
	int (*del_sa)(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst);
	int (*add_policy)(void *ctx, const struct kernel_policy *p);
	int (*del_policy)(void *ctx, const struct kernel_policy *p);
	/* Read an SA's counters (XFRM_MSG_GETSA): for `list-sas` and for dead
	 * peer detection, which only asks a peer that sent nothing. NULL, or
	 * -EOPNOTSUPP, when the backend cannot tell. */
	int (*query_sa)(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst,
			struct kernel_sa_use *use);
	/* The backend reports an SA's soft and hard expiry (XFRM EXPIRE) to the
	 * engine (ikev2_kernel_expire): the engines then leave the CHILD SA's
	 * rekey time to the kernel, as strongSwan does, so the rekey starts from
	 * the kernel's soft expiry of the time, byte and packet limits alike. */
	bool expire_events;
};

#endif
