/* test_tshark.c: Wireshark dissects what our encoders build.
 *
 * One message per payload type, built with the wire encoders only (IKEv2:
 * SA with several proposals, transforms and attributes, KE, IDi, IDr, CERT,
 * CERTREQ, AUTH, Nonce, N, D, V, TSi, TSr, SK, CP, EAP, SKF; IKEv1: SA/P/T
 * for phase 1 and for ESP, KE, ID, CERT, CR, HASH, SIG, NONCE, N, D, VID,
 * NAT-D, NAT-OA, fragment), inside UDP/IP packets written by oakctl's pcap
 * writer (IPv4 and IPv6, port 500 and port 4500 with the non-ESP marker).
 * The SK and SKF messages are encrypted (AES-CBC-128, HMAC-SHA2-256-128) and
 * tshark gets their keys through a Wireshark ikev2_decryption_table, so it
 * checks our ICV and dissects the inner payloads too.
 *
 * Then `tshark -r FILE -V` (IP and UDP checksum checks on) must:
 *   - exit 0 and show one frame per message;
 *   - show no "[Malformed Packet" and no expert info of severity Error or
 *     Warning. Why Warning counts: Wireshark files bad checksums, length
 *     mismatches and undecodable values under Warning; none of those is
 *     acceptable in a packet we built. Note and Chat are allowed (Wireshark
 *     marks ordinary things there, e.g. "Integrity Checksum Data ... correct").
 *   - name every payload type in the frame that carries it, with Wireshark's
 *     name ("Payload: Security Association (33)", "Payload: Nonce (10)").
 *
 * tshark missing is a failure, not a skip: the CI installs it (Debian
 * package tshark), and a silently skipped interop check is no check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/encr.h"
#include "crypto/integ.h"
#include "ctl/pcap.h"
#include "lib/builder.h"
#include "lib/hex.h"
#include "testutil.h"
#include "wire/ikev1.h"
#include "wire/ikev2.h"

#define TSHARK	   "tshark"
#define MAX_FRAMES 48
#define MAX_EXPECT 8

/* A self-signed P-256 certificate (CN=left.rig.test), DER, made with
 * `openssl req -x509 -newkey ec ...` for this test. */
static const char cert_hex[] = "308201883082012da00302010202146e347e13584fd7ae39b1ec327d707eb6bb3d2"
			       "4dc300a06082a8648ce3d04030230"
			       "183116301406035504030c0d6c6566742e7269672e746573743020170d323631313"
			       "2333131303833355a180f32313236"
			       "313033303131303833355a30183116301406035504030c0d6c6566742e7269672e7"
			       "46573743059301306072a8648ce3d"
			       "020106082a8648ce3d03010703420004cee69f22dc9f180820c7a95a68c5169706f"
			       "c33fbc3f01483f2bd8213768a671e"
			       "df6b2456139141c9f4940747d348f8975b4a000a488da834c8e1f80ac3ca9f6ba35"
			       "33051301d0603551d0e04160414d8"
			       "47d2d584bee3db2df3395e74522a32b4a53ed8301f0603551d23041830168014d84"
			       "7d2d584bee3db2df3395e74522a32"
			       "b4a53ed8300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020"
			       "349003046022100e607ddc2a7ae3d"
			       "78610a1d0243965f07a15d84472f2e9db0a0d12bb96654a3a00221009cd6cc47d1f"
			       "e340d740636e6afc79ba8853bea04"
			       "ac0ad59af79f19ef3ffa27bb";
/* The DER Name "CN=oak test CA" (X.501), for the IKEv1 CR (RFC 4945 3.2.4). */
static const char ca_dn_hex[] = "30183116301406035504030c0d6f616b2074657374204341";

/* Keys of the SK/SKF messages (SPIs of the "IKE SA" they belong to). */
static const uint8_t spi_i[8] = {0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
static const uint8_t spi_r[8] = {0x0b, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static const char sk_ei_hex[] = "000102030405060708090a0b0c0d0e0f";
static const char sk_er_hex[] = "101112131415161718191a1b1c1d1e1f";
static const char sk_ai_hex[] = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
static const char sk_ar_hex[] = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";

struct frame {
	struct builder b; /* the IKE message */
	bool natt;	  /* port 4500 with the non-ESP marker */
	bool ipv6;
	const char *expect[MAX_EXPECT]; /* strings tshark -V must show for this frame */
};

static struct frame frames[MAX_FRAMES];
static unsigned nframes;

static struct frame *frame_new(bool natt, bool ipv6)
{
	struct frame *f = &frames[nframes++];

	assert_true(nframes <= MAX_FRAMES);
	memset(f, 0, sizeof(*f));
	bld_init(&f->b, 0);
	f->natt = natt;
	f->ipv6 = ipv6;
	return f;
}

static void expect(struct frame *f, const char *s)
{
	unsigned i;

	for (i = 0; f->expect[i]; i++)
		;
	assert_true(i < MAX_EXPECT - 1);
	f->expect[i] = s;
}

static struct span fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	return (struct span){buf, len};
}

#define S(str) ((struct span){(const uint8_t *)(str), sizeof(str) - 1})

/* --- IKEv2 --- */

static void v2_begin(struct ikev2_enc *e, struct frame *f, uint8_t exchange, bool with_r)
{
	struct isakmp_hdr h = {.major = 2, .exchange = exchange, .flags = IKEV2_FLAG_I};

	memcpy(h.spi_i, spi_i, 8);
	if (with_r)
		memcpy(h.spi_r, spi_r, 8);
	h.msg_id = with_r ? 1 : 0;
	assert_int_equal(ikev2_msg_encode_begin(e, &f->b, &h), 0);
}

static void v2_end(struct ikev2_enc *e)
{
	assert_int_equal(ikev2_msg_encode_end(e), 0);
}

static void v2_sa(void)
{
	struct frame *f = frame_new(false, false);
	struct ikev2_proposal p1 = {.num = 1, .protocol = IKEV2_PROTO_IKE};
	struct ikev2_proposal p2 = {.num = 2, .protocol = IKEV2_PROTO_IKE};
	struct ikev2_proposal p3 = {.num = 3,
				    .protocol = IKEV2_PROTO_ESP,
				    .spi = {(const uint8_t *)"\xc1\xc2\xc3\xc4", 4}};
	struct ikev2_enc e;

	v2_begin(&e, f, IKEV2_EXCH_IKE_SA_INIT, false);
	ikev2_put_sa_begin(&e);
	ikev2_put_proposal(&e, &p1);
	ikev2_put_transform_id(&e, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
	ikev2_put_transform_id(&e, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 256);
	ikev2_put_transform_id(&e, IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	ikev2_put_transform_id(&e, IKEV2_TRANS_INTEG, IKEV2_AUTH_HMAC_SHA2_256_128, 0);
	ikev2_put_transform_id(&e, IKEV2_TRANS_DH, IKEV2_DH_MODP_2048, 0);
	ikev2_put_transform_id(&e, IKEV2_TRANS_DH, IKEV2_DH_CURVE25519, 0);
	ikev2_put_proposal(&e, &p2);
	ikev2_put_transform_id(&e, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256);
	ikev2_put_transform_id(&e, IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_384, 0);
	ikev2_put_transform_id(&e, IKEV2_TRANS_DH, IKEV2_DH_ECP_384, 0);
	ikev2_put_proposal(&e, &p3);
	ikev2_put_transform_id(&e, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
	ikev2_put_transform_id(&e, IKEV2_TRANS_INTEG, IKEV2_AUTH_HMAC_SHA2_256_128, 0);
	ikev2_put_transform_id(&e, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0);
	ikev2_put_sa_end(&e);
	v2_end(&e);
	expect(f, "Payload: Security Association (33)");
	expect(f, "Proposal number: 3");
	expect(f, "Key Length: 256");
}

static void v2_simple(void)
{
	uint8_t buf[256];
	struct ikev2_enc e;
	struct frame *f;

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_SA_INIT, false);
	ikev2_put_ke(&e,
		     &(struct ikev2_ke){.group = IKEV2_DH_MODP_2048, .data = fill(buf, 256, 1)});
	v2_end(&e);
	expect(f, "Payload: Key Exchange (34)");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	ikev2_put_id(&e, IKEV2_PL_IDI,
		     &(struct ikev2_id){.type = IKEV2_ID_FQDN, .data = S("left.rig.test")});
	v2_end(&e);
	expect(f, "Payload: Identification - Initiator (35)");
	expect(f, "left.rig.test");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	ikev2_put_id(&e, IKEV2_PL_IDR,
		     &(struct ikev2_id){.type = IKEV2_ID_IPV4_ADDR, .data = S("\xc0\x00\x02\x02")});
	v2_end(&e);
	expect(f, "Payload: Identification - Responder (36)");
	expect(f, "192.0.2.2");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	{
		size_t len;
		uint8_t *der = th_hex_alloc(cert_hex, &len);

		ikev2_put_cert(&e, IKEV2_PL_CERT,
			       &(struct ikev2_cert){.encoding = IKEV2_CERT_X509_SIGNATURE,
						    .data = {der, len}});
		v2_end(&e);
		free(der);
	}
	expect(f, "Payload: Certificate (37)");
	expect(f, "left.rig.test");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_SA_INIT, false);
	ikev2_put_cert(&e, IKEV2_PL_CERTREQ,
		       &(struct ikev2_cert){.encoding = IKEV2_CERT_X509_SIGNATURE,
					    .data = fill(buf, 40, 3)});
	v2_end(&e);
	expect(f, "Payload: Certificate Request (38)");
}

static void v2_more(void)
{
	uint8_t buf[64], b2[32];
	struct ikev2_enc e;
	struct frame *f;

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	ikev2_put_auth(&e, &(struct ikev2_auth){.method = IKEV2_AUTH_METHOD_SHARED_KEY_MIC,
						.data = fill(buf, 32, 5)});
	v2_end(&e);
	expect(f, "Payload: Authentication (39)");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_SA_INIT, false);
	ikev2_put_nonce(&e, fill(buf, 32, 9));
	v2_end(&e);
	expect(f, "Payload: Nonce (40)");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_SA_INIT, false);
	ikev2_put_notify(&e, &(struct ikev2_notify){.type = IKEV2_N_NAT_DETECTION_SOURCE_IP,
						    .data = fill(buf, 20, 11)});
	ikev2_put_notify(&e, &(struct ikev2_notify){.protocol = IKEV2_PROTO_ESP,
						    .type = IKEV2_N_REKEY_SA,
						    .spi = S("\x01\x02\x03\x04")});
	v2_end(&e);
	expect(f, "Payload: Notify (41)");
	expect(f, "NAT_DETECTION_SOURCE_IP");
	expect(f, "REKEY_SA");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_INFORMATIONAL, true);
	ikev2_put_delete(&e, &(struct ikev2_delete){.protocol = IKEV2_PROTO_ESP,
						    .spi_size = 4,
						    .spis = fill(b2, 8, 13)});
	v2_end(&e);
	expect(f, "Payload: Delete (42)");

	f = frame_new(false, true); /* over IPv6 */
	v2_begin(&e, f, IKEV2_EXCH_IKE_SA_INIT, false);
	ikev2_put_vendor(&e, (struct span){ikev1_vid_strongswan, 16});
	v2_end(&e);
	expect(f, "Payload: Vendor ID (43)");
	expect(f, "Internet Protocol Version 6");
}

static void v2_ts_cp_eap(void)
{
	static const uint8_t v6a[16] = {0x20, 0x01, 0x0d, 0xb8},
			     v6b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xff};
	struct ikev2_ts ts[2] = {
		{.type = IKEV2_TS_IPV4_ADDR_RANGE,
		 .proto = 17,
		 .start_port = 500,
		 .end_port = 500,
		 .start = S("\xc6\x33\x64\x01"),
		 .end = S("\xc6\x33\x64\xfe")},
		{.type = IKEV2_TS_IPV6_ADDR_RANGE,
		 .end_port = 65535,
		 .start = {v6a, 16},
		 .end = {v6b, 16}},
	};
	struct ikev2_cp_attr cp[] = {
		{.type = IKEV2_CP_INTERNAL_IP4_ADDRESS},
		{.type = IKEV2_CP_INTERNAL_IP4_DNS},
		{.type = IKEV2_CP_INTERNAL_IP6_ADDRESS},
		{.type = IKEV2_CP_APPLICATION_VERSION, .value = S("oak")},
	};
	struct ikev2_enc e;
	struct frame *f;

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	ikev2_put_ts(&e, IKEV2_PL_TSI, ts, 2);
	v2_end(&e);
	expect(f, "Payload: Traffic Selector - Initiator (44)");
	expect(f, "198.51.100.254");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	ikev2_put_ts(&e, IKEV2_PL_TSR, ts, 1);
	v2_end(&e);
	expect(f, "Payload: Traffic Selector - Responder (45)");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	ikev2_put_cp(&e, IKEV2_CFG_REQUEST, cp, 4);
	v2_end(&e);
	expect(f, "Payload: Configuration (47)");
	expect(f, "INTERNAL_IP4_DNS");

	f = frame_new(false, false);
	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	ikev2_put_eap(&e, &(struct ikev2_eap){
				  .code = IKEV2_EAP_REQUEST, .id = 1, .has_type = true, .type = 1});
	v2_end(&e);
	expect(f, "Payload: Extensible Authentication (48)");
	expect(f, "Extensible Authentication Protocol");
}

/* RFC 7296 3.14: IV | E(inner | padding | Pad Length) | ICV, the ICV over the
 * message up to the ICV. frag_total 0: SK, else SKF fragment 1. */
static void v2_encrypted(unsigned frag_total)
{
	struct frame *f = frame_new(true, false);
	struct ikev2_enc e, ie;
	struct builder inner;
	uint8_t key[16], ikey[32], iv[16], plain[256], buf[32], first;
	size_t len, padded, body_off, ct_off;

	bld_init(&inner, 0);
	ikev2_chain_encode_begin(&ie, &inner);
	ikev2_put_id(&ie, IKEV2_PL_IDI,
		     &(struct ikev2_id){.type = IKEV2_ID_FQDN, .data = S("left.rig.test")});
	ikev2_put_auth(&ie, &(struct ikev2_auth){.method = IKEV2_AUTH_METHOD_SHARED_KEY_MIC,
						 .data = fill(buf, 32, 17)});
	ikev2_put_notify(&ie, &(struct ikev2_notify){.type = IKEV2_N_INITIAL_CONTACT});
	assert_int_equal(ikev2_chain_encode_end(&ie, &first), 0);
	len = bld_off(&inner);
	padded = (len + 1 + 15) / 16 * 16;
	assert_true(padded <= sizeof(plain));
	memset(plain, 0, sizeof(plain));
	memcpy(plain, bld_data(&inner), len);
	plain[padded - 1] = (uint8_t)(padded - len - 1);
	bld_free(&inner);

	v2_begin(&e, f, IKEV2_EXCH_IKE_AUTH, true);
	if (frag_total)
		ikev2_put_skf(&e, first, 1, (uint16_t)frag_total, NULL, 16 + padded + 16,
			      &body_off);
	else
		ikev2_put_sk(&e, first, NULL, 16 + padded + 16, &body_off);
	v2_end(&e);
	th_hex(key, sizeof(key), sk_ei_hex);
	th_hex(ikey, sizeof(ikey), sk_ai_hex);
	fill(iv, 16, 23);
	ct_off = body_off + 16;
	memcpy(f->b.p + body_off, iv, 16);
	assert_int_equal(encr_encrypt(&encr_aes_cbc, key, 16, iv, 16, NULL, 0, plain, padded,
				      f->b.p + ct_off, NULL),
			 0);
	struct span covered = {f->b.p, ct_off + padded};

	assert_int_equal(integ_compute(&integ_hmac_sha2_256_128, ikey, 32, &covered, 1,
				       f->b.p + ct_off + padded),
			 0);
	if (frag_total) {
		expect(f, "Payload: Encrypted and Authenticated Fragment (53)");
	} else {
		expect(f, "Payload: Encrypted and Authenticated (46)");
		expect(f, "[correct]");
		/* decrypted by tshark with our keys: the inner payloads */
		expect(f, "Payload: Identification - Initiator (35)");
		expect(f, "Payload: Authentication (39)");
	}
}

/* --- IKEv1 --- */

static void v1_begin(struct ikev1_enc *e, struct frame *f, uint8_t exchange, uint32_t mid)
{
	struct isakmp_hdr h = {.major = 1, .exchange = exchange, .msg_id = mid};

	memcpy(h.spi_i, spi_i, 8);
	if (exchange != ISAKMP_XCHG_IDPROT || mid)
		memcpy(h.spi_r, spi_r, 8);
	assert_int_equal(ikev1_enc_begin(e, &f->b, &h), 0);
}

static void v1_end(struct ikev1_enc *e)
{
	assert_int_equal(ikev1_enc_end(e), 0);
}

static void v1_sa(void)
{
	struct frame *f = frame_new(false, false);
	struct ikev1_enc e;

	v1_begin(&e, f, ISAKMP_XCHG_IDPROT, 0);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(&e, &(struct ikev1_prop){.number = 1, .protocol = IPSEC_PROTO_ISAKMP});
	ikev1_xform_begin(&e, &(struct ikev1_xform){.number = 1, .id = IPSEC_KEY_IKE});
	ikev1_attr_tv(&e, IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_AES_CBC);
	ikev1_attr_tv(&e, IKEV1_ATTR_KEY_LENGTH, 128);
	ikev1_attr_tv(&e, IKEV1_ATTR_HASH, IKEV1_HASH_SHA2_256);
	ikev1_attr_tv(&e, IKEV1_ATTR_GROUP_DESC, IKEV1_GROUP_MODP2048);
	ikev1_attr_tv(&e, IKEV1_ATTR_AUTH_METHOD, IKEV1_AUTH_PSK);
	ikev1_attr_tv(&e, IKEV1_ATTR_LIFE_TYPE, IKEV1_LIFE_SECONDS);
	ikev1_attr_num(&e, IKEV1_ATTR_LIFE_DURATION, 86400); /* TLV: over 16 bits */
	ikev1_xform_end(&e);
	ikev1_xform_begin(&e, &(struct ikev1_xform){.number = 2, .id = IPSEC_KEY_IKE});
	ikev1_attr_tv(&e, IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_3DES_CBC);
	ikev1_attr_tv(&e, IKEV1_ATTR_HASH, IKEV1_HASH_SHA1);
	ikev1_attr_tv(&e, IKEV1_ATTR_GROUP_DESC, IKEV1_GROUP_MODP1024);
	ikev1_attr_tv(&e, IKEV1_ATTR_AUTH_METHOD, IKEV1_AUTH_RSA_SIG);
	ikev1_xform_end(&e);
	ikev1_prop_end(&e);
	ikev1_sa_end(&e);
	v1_end(&e);
	expect(f, "Payload: Security Association (1)");
	expect(f, "Payload: Proposal (2)");
	expect(f, "Payload: Transform (3)");
	expect(f, "Life-Duration: 86400");

	/* a Quick Mode SA: ESP with an SPI, IPsec DOI attributes */
	f = frame_new(false, false);
	v1_begin(&e, f, IKEV1_XCHG_QUICK, 0x01020304);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(&e, &(struct ikev1_prop){.number = 1,
						  .protocol = IPSEC_PROTO_ESP,
						  .spi = S("\xc1\xc2\xc3\xc4")});
	ikev1_xform_begin(&e, &(struct ikev1_xform){.number = 1, .id = IPSEC_ESP_AES_CBC});
	ikev1_attr_tv(&e, IPSEC_ATTR_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS);
	ikev1_attr_num(&e, IPSEC_ATTR_SA_LIFE_DURATION, 3600);
	ikev1_attr_tv(&e, IPSEC_ATTR_ENCAP_MODE, IPSEC_ENCAP_UDP_TUNNEL);
	ikev1_attr_tv(&e, IPSEC_ATTR_AUTH_ALG, IPSEC_AUTH_HMAC_SHA2_256);
	ikev1_attr_tv(&e, IPSEC_ATTR_KEY_LENGTH, 128);
	ikev1_xform_end(&e);
	ikev1_prop_end(&e);
	ikev1_sa_end(&e);
	v1_end(&e);
	expect(f, "Payload: Security Association (1)");
	expect(f, "Protocol ID: IPSEC_ESP (3)");
}

static void v1_data(uint8_t type, size_t len, const char *name)
{
	struct frame *f = frame_new(false, false);
	struct ikev1_enc e;
	uint8_t buf[256];

	v1_begin(&e, f, ISAKMP_XCHG_IDPROT, 0);
	ikev1_put_data(&e, type, fill(buf, len, type));
	v1_end(&e);
	expect(f, name);
}

static void v1_others(void)
{
	struct ikev1_enc e;
	struct frame *f;
	size_t len;
	uint8_t *der;

	v1_data(ISAKMP_NP_KE, 256, "Payload: Key Exchange (4)");
	v1_data(ISAKMP_NP_HASH, 32, "Payload: Hash (8)");
	v1_data(ISAKMP_NP_SIG, 64, "Payload: Signature (9)");
	v1_data(ISAKMP_NP_NONCE, 32, "Payload: Nonce (10)");
	v1_data(ISAKMP_NP_NATD, 32, "Payload: NAT-D (RFC 3947) (20)");

	f = frame_new(false, false);
	v1_begin(&e, f, ISAKMP_XCHG_IDPROT, 0);
	ikev1_put_id(&e, &(struct ikev1_id){.type = IPSEC_ID_FQDN, .data = S("left.rig.test")});
	ikev1_put_id(&e, &(struct ikev1_id){.type = IPSEC_ID_IPV4_ADDR_SUBNET,
					    .protocol = 17,
					    .port = 500,
					    .data = S("\xc6\x33\x64\x00\xff\xff\xff\x00")});
	v1_end(&e);
	expect(f, "Payload: Identification (5)");
	expect(f, "left.rig.test");

	f = frame_new(false, false);
	v1_begin(&e, f, ISAKMP_XCHG_IDPROT, 0);
	der = th_hex_alloc(cert_hex, &len);
	ikev1_put_cert(&e, ISAKMP_NP_CERT,
		       &(struct ikev1_cert){.encoding = ISAKMP_CERT_X509_SIG, .data = {der, len}});
	free(der);
	v1_end(&e);
	expect(f, "Payload: Certificate (6)");
	expect(f, "left.rig.test");

	f = frame_new(false, false);
	v1_begin(&e, f, ISAKMP_XCHG_IDPROT, 0);
	der = th_hex_alloc(ca_dn_hex, &len);
	ikev1_put_cert(&e, ISAKMP_NP_CR,
		       &(struct ikev1_cert){.encoding = ISAKMP_CERT_X509_SIG, .data = {der, len}});
	free(der);
	v1_end(&e);
	expect(f, "Payload: Certificate Request (7)");
	expect(f, "oak test CA");
}

static void v1_more(void)
{
	struct ikev1_enc e;
	struct frame *f;

	f = frame_new(false, false);
	v1_begin(&e, f, ISAKMP_XCHG_INFO, 0x0a0b0c0d);
	{
		uint8_t ck[16];

		memcpy(ck, spi_i, 8);
		memcpy(ck + 8, spi_r, 8);
		ikev1_put_notify(&e, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
							    .protocol = IPSEC_PROTO_ISAKMP,
							    .type = IPSEC_N_INITIAL_CONTACT,
							    .spi = {ck, 16}});
		ikev1_put_delete(&e, &(struct ikev1_delete){.doi = ISAKMP_DOI_IPSEC,
							    .protocol = IPSEC_PROTO_ISAKMP,
							    .spi_size = 16,
							    .count = 1,
							    .spis = {ck, 16}});
		v1_end(&e);
	}
	expect(f, "Payload: Notification (11)");
	expect(f, "INITIAL-CONTACT");
	expect(f, "Payload: Delete (12)");

	f = frame_new(true, false);
	v1_begin(&e, f, IKEV1_XCHG_QUICK, 0x01020304);
	ikev1_put_natoa(&e, ISAKMP_NP_NATOA,
			&(struct ikev1_natoa){.id_type = IPSEC_ID_IPV4_ADDR,
					      .addr = S("\xc0\x00\x02\x01")});
	ikev1_put_natoa(&e, ISAKMP_NP_NATOA,
			&(struct ikev1_natoa){.id_type = IPSEC_ID_IPV4_ADDR,
					      .addr = S("\xc0\x00\x02\x02")});
	v1_end(&e);
	expect(f, "Payload: NAT-OA (RFC 3947) (21)");

	f = frame_new(false, false);
	v1_begin(&e, f, ISAKMP_XCHG_IDPROT, 0);
	ikev1_put_data(&e, ISAKMP_NP_VID, (struct span){ikev1_vid_rfc3947, 16});
	ikev1_put_data(&e, ISAKMP_NP_VID, (struct span){ikev1_vid_dpd, 16});
	v1_end(&e);
	expect(f, "Payload: Vendor ID (13)");
	expect(f, "RFC 3947 Negotiation of NAT-Traversal in the IKE");

	/* one fragment holding a whole message (the VID one above): tshark
	 * reassembles it and dissects the message inside */
	{
		struct frame *inner = f;

		f = frame_new(true, false);
		v1_begin(&e, f, ISAKMP_XCHG_IDPROT, 0);
		ikev1_put_frag(&e, &(struct ikev1_frag){
					   .id = 1,
					   .number = 1,
					   .flags = IKEV1_FRAG_LAST,
					   .data = {bld_data(&inner->b), bld_off(&inner->b)}});
		v1_end(&e);
	}
	expect(f, "Payload: Cisco-Fragmentation (132)");
	expect(f, "Reassembled ISAKMP length");
	expect(f, "RFC 3706 DPD (Dead Peer Detection)");
}

/* --- running tshark --- */

static void write_pcap(const char *path)
{
	struct pcap_writer w;

	assert_int_equal(pcap_writer_open(&w, path), 0);
	for (unsigned i = 0; i < nframes; i++) {
		struct frame *f = &frames[i];
		struct ike_datagram d = {.family = f->ipv6 ? AF_INET6 : AF_INET};
		uint8_t *data = malloc(bld_off(&f->b) + 4);
		size_t off = f->natt ? 4 : 0;

		memset(data, 0, 4);
		memcpy(data + off, bld_data(&f->b), bld_off(&f->b));
		if (f->ipv6) {
			memcpy(d.src, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
			memcpy(d.dst, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
		} else {
			memcpy(d.src, "\xc0\x00\x02\x01", 4);
			memcpy(d.dst, "\xc0\x00\x02\x02", 4);
		}
		d.sport = d.dport = f->natt ? IKE_NATT_PORT : IKE_PORT;
		d.data = data;
		d.len = bld_off(&f->b) + off;
		assert_int_equal(pcap_write_udp(&w, &d), 0);
		free(data);
	}
	assert_int_equal(pcap_writer_close(&w), 0);
}

static void write_keys(const char *dir)
{
	char path[512], a[17], b[17];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ikev2_decryption_table", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s,%s,%s,%s,\"AES-CBC-128 [RFC3602]\",%s,%s,\"HMAC_SHA2_256_128 [RFC4868]\"\n",
		hex_encode(a, sizeof(a), spi_i, 8), hex_encode(b, sizeof(b), spi_r, 8), sk_ei_hex,
		sk_er_hex, sk_ai_hex, sk_ar_hex);
	fclose(f);
}

/* tshark -V output, NUL-terminated (caller frees). */
static char *run_tshark(const char *dir, const char *pcap)
{
	char cmd[1024], *out = NULL;
	size_t len = 0, cap = 0, got;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "WIRESHARK_CONFIG_DIR='%s' " TSHARK " -n -o ip.check_checksum:TRUE "
		 "-o udp.check_checksum:TRUE -r '%s' -V 2>&1",
		 dir, pcap);
	p = popen(cmd, "r");
	assert_non_null(p);
	do {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		got = fread(out + len, 1, cap - len - 1, p);
		len += got;
	} while (got > 0);
	out[len] = '\0';
	st = pclose(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("tshark failed (status %d):\n%.2000s", st, out);
	return out;
}

/* The -V text of frame n (1-based): from "Frame n:" to the next "Frame ". */
static char *frame_text(const char *out, unsigned n)
{
	char head[32], *copy, *end;
	const char *start;

	snprintf(head, sizeof(head), "Frame %u:", n);
	start = strstr(out, head);
	if (!start)
		fail_msg("tshark shows no \"%s\"", head);
	copy = strdup(start);
	end = strstr(copy + 1, "\nFrame ");
	if (end)
		*end = '\0';
	return copy;
}

static void check_output(const char *out)
{
	static const char *const bad[] = {"[Malformed Packet", "Expert Info (Error",
					  "Expert Info (Warning", "[Dissector bug", "(bogus"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *hit = strstr(out, bad[i]);

		if (hit) {
			const char *fr = hit;

			while (fr > out && strncmp(fr, "\nFrame ", 7) != 0)
				fr--;
			fail_msg("tshark: \"%s\" in %.20s...:\n%.300s", bad[i], fr + 1,
				 hit > out + 600 ? hit - 600 : out);
		}
	}
	for (unsigned n = 1; n <= nframes; n++) {
		char *t = frame_text(out, n);

		for (unsigned k = 0; frames[n - 1].expect[k]; k++)
			if (!strstr(t, frames[n - 1].expect[k]))
				fail_msg("frame %u: tshark -V does not show \"%s\":\n%s", n,
					 frames[n - 1].expect[k], t);
		free(t);
	}
	{
		char extra[32];

		snprintf(extra, sizeof(extra), "Frame %u:", nframes + 1);
		assert_null(strstr(out, extra));
	}
}

static bool tshark_installed(void)
{
	return system(TSHARK " --version >/dev/null 2>&1") == 0;
}

static void test_tshark_dissects_every_payload(void **state)
{
	char dir[] = "/tmp/oak-tshark-XXXXXX", pcap[600], *out;

	(void)state;
	if (!tshark_installed())
		fail_msg(
			"tshark is not installed (Debian: apt-get install tshark); this test needs "
			"it and the CI installs it");
	nframes = 0;
	v2_sa();
	v2_simple();
	v2_more();
	v2_ts_cp_eap();
	v2_encrypted(0);
	v2_encrypted(2);
	v1_sa();
	v1_others();
	v1_more();
	assert_non_null(mkdtemp(dir));
	snprintf(pcap, sizeof(pcap), "%s/built.pcap", dir);
	write_pcap(pcap);
	write_keys(dir);
	out = run_tshark(dir, pcap);
	print_message("    %u messages written, tshark -V gave %zu bytes\n", nframes, strlen(out));
	if (getenv("OAK_TSHARK_KEEP"))
		print_message("    kept %s\n", pcap);
	check_output(out);
	free(out);
	for (unsigned i = 0; i < nframes; i++)
		bld_free(&frames[i].b);
	if (!getenv("OAK_TSHARK_KEEP")) {
		char path[700];

		snprintf(path, sizeof(path), "%s/ikev2_decryption_table", dir);
		unlink(path);
		unlink(pcap);
		rmdir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tshark_dissects_every_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
