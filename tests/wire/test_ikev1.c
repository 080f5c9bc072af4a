/* test_ikev1: IKEv1 message decode/encode: hand-written bytes from the RFC
 * 2408/2407/3947 payload formats, a round trip of every payload type, the
 * encrypted-message flow, padding of a decrypted chain. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ikev1.h"

/* ISAKMP header: CKY-I 0011223344556677, CKY-R 0, Next Payload np, version
 * 1.0, exchange xchg, flags, Message ID 0, Length len (RFC 2408 3.1). */
#define HDR(np, xchg, flags, len)                                                                  \
	"0011223344556677 0000000000000000" np "10" xchg flags "00000000" len

/* Main Mode message 1 as strongSwan-like peers send it: one proposal, one
 * transform AES-128/SHA1/PSK/MODP2048/28800 s (life as a 4-byte TLV), one
 * RFC 3947 VID. */
static const char mm1_hex[] = HDR("01", "02", "00", "0000006c")
	/* SA: next VID, len 60, DOI IPsec, SIT_IDENTITY_ONLY */
	"0d00003c 00000001 00000001"
	/* P: last, len 48, #1, PROTO_ISAKMP, SPI size 0, 1 transform */
	"00000030 01010001"
	/* T: last, len 40, #1, KEY_IKE, RESERVED2 0 */
	"00000028 01010000"
	"80010007 800e0080 80020002 80030001 8004000e 800b0001 000c0004 00007080"
	/* VID: last, len 20, MD5("RFC 3947") */
	"00000014 4a131c81070358455c5728f20e95452f";

static uint8_t *load(const char *hex, size_t *len)
{
	return th_hex_alloc(hex, len);
}

static void decode_ok(const uint8_t *buf, size_t len, struct ikev1_msg *m)
{
	struct wire_err err = {0};
	int rc = ikev1_msg_decode(buf, len, m, &err);

	if (rc)
		fail_msg("decode failed (%d) at %zu: %s", rc, err.offset, err.reason);
}

static void reencode_equal(const struct ikev1_msg *m, const uint8_t *buf, size_t len)
{
	struct builder b;

	bld_init(&b, 0);
	assert_int_equal(ikev1_msg_encode(m, &b), 0);
	th_assert_bytes(bld_data(&b), bld_off(&b), buf, len, "re-encoded message");
	bld_free(&b);
}

static void decode_main_mode_1(void **state)
{
	struct ikev1_msg *m = calloc(1, sizeof(*m));
	struct ikev1_iter it, xit, ait;
	struct ikev1_prop p;
	struct ikev1_xform t;
	struct ikev1_attr a;
	uint64_t life;
	size_t len;
	uint8_t *buf = load(mm1_hex, &len);
	const struct ikev1_payload *sa, *vid;

	(void)state;
	assert_int_equal(len, 108);
	decode_ok(buf, len, m);
	assert_int_equal(m->hdr.exchange, ISAKMP_XCHG_IDPROT);
	assert_int_equal(m->npl, 2);
	sa = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	vid = ikev1_msg_get(m, ISAKMP_NP_VID, 0);
	assert_non_null(sa);
	assert_non_null(vid);
	assert_int_equal(sa->offset, 28);
	assert_int_equal(vid->offset, 88);
	assert_int_equal(sa->u.sa.doi, ISAKMP_DOI_IPSEC);
	assert_int_equal(sa->u.sa.situation, IPSEC_SIT_IDENTITY_ONLY);
	assert_int_equal(sa->u.sa.nprops, 1);
	assert_int_equal(sa->u.sa.nxforms, 1);
	th_assert_hex(vid->u.data.p, vid->u.data.len, "4a131c81070358455c5728f20e95452f");

	ikev1_props_begin(&it, &sa->u.sa);
	assert_int_equal(ikev1_prop_next(&it, &p), 1);
	assert_int_equal(p.number, 1);
	assert_int_equal(p.protocol, IPSEC_PROTO_ISAKMP);
	assert_int_equal(p.spi.len, 0);
	assert_int_equal(p.ntransforms, 1);
	assert_int_equal(p.offset, 40);
	ikev1_xforms_begin(&xit, &p);
	assert_int_equal(ikev1_xform_next(&xit, &t), 1);
	assert_int_equal(t.id, IPSEC_KEY_IKE);
	assert_int_equal(t.offset, 48);
	assert_int_equal(ikev1_xform_next(&xit, &t), 0);
	assert_int_equal(ikev1_prop_next(&it, &p), 0);

	ikev1_attrs_begin(&ait, t.attrs, t.attrs_off);
	assert_int_equal(ikev1_attr_next(&ait, &a), 1);
	assert_int_equal(a.type, IKEV1_ATTR_ENCRYPTION);
	assert_true(a.tv);
	assert_int_equal(a.value, IKEV1_ENCR_AES_CBC);
	assert_int_equal(a.offset, 56);
	assert_int_equal(ikev1_xform_attr(&t, IKEV1_ATTR_GROUP_DESC, &a), 1);
	assert_int_equal(a.value, IKEV1_GROUP_MODP2048);
	assert_int_equal(ikev1_xform_attr(&t, IKEV1_ATTR_LIFE_DURATION, &a), 1);
	assert_false(a.tv);
	assert_int_equal(a.data.len, 4);
	assert_int_equal(ikev1_attr_u64(&a, &life), 0);
	assert_int_equal(life, 28800);
	assert_int_equal(ikev1_xform_attr(&t, IKEV1_ATTR_PRF, &a), 0);

	reencode_equal(m, buf, len);
	free(buf);
	free(m);
}

/* The encoder writes next-payload values, lengths and the transform count. */
static void encode_main_mode_1(void **state)
{
	static const uint8_t life[4] = {0, 0, 0x70, 0x80};
	struct isakmp_hdr h = {.spi_i = {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77},
			       .major = 1,
			       .exchange = ISAKMP_XCHG_IDPROT};
	struct ikev1_enc e;
	struct builder b;

	(void)state;
	bld_init(&b, 0);
	ikev1_enc_begin(&e, &b, &h);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(&e, &(struct ikev1_prop){.number = 1, .protocol = IPSEC_PROTO_ISAKMP});
	ikev1_xform_begin(&e, &(struct ikev1_xform){.number = 1, .id = IPSEC_KEY_IKE});
	ikev1_attr_tv(&e, IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_AES_CBC);
	ikev1_attr_tv(&e, IKEV1_ATTR_KEY_LENGTH, 128);
	ikev1_attr_tv(&e, IKEV1_ATTR_HASH, IKEV1_HASH_SHA1);
	ikev1_attr_tv(&e, IKEV1_ATTR_AUTH_METHOD, IKEV1_AUTH_PSK);
	ikev1_attr_tv(&e, IKEV1_ATTR_GROUP_DESC, IKEV1_GROUP_MODP2048);
	ikev1_attr_tv(&e, IKEV1_ATTR_LIFE_TYPE, IKEV1_LIFE_SECONDS);
	ikev1_attr_tlv(&e, IKEV1_ATTR_LIFE_DURATION, life, sizeof(life));
	ikev1_xform_end(&e);
	ikev1_prop_end(&e);
	ikev1_sa_end(&e);
	ikev1_put_data(&e, ISAKMP_NP_VID, (struct span){ikev1_vid_rfc3947, 16});
	assert_int_equal(ikev1_enc_end(&e), 0);
	th_assert_hex(bld_data(&b), bld_off(&b), mm1_hex);
	bld_free(&b);
}

/* One payload of each kind, built with the typed helpers, decoded back. */
static void build_all(struct builder *b, uint8_t exchange)
{
	static const uint8_t ke[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	static const uint8_t nonce[16] = {0xa5};
	static const uint8_t hash[20] = {0x11};
	static const uint8_t v4[] = {192, 0, 2, 1};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t spis[] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t cky[16] = {0x00, 0x11, 0x22};
	static const uint8_t seq[4] = {0, 0, 0, 42};
	static const uint8_t frag[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
	static const uint8_t esp_spi[4] = {0xca, 0xfe, 0xba, 0xbe};
	static const char dn[] = "0\x0b"
				 "1\x09";
	struct isakmp_hdr h = {.spi_i = {1}, .spi_r = {2}, .major = 1, .exchange = exchange};
	struct ikev1_enc e;

	ikev1_enc_begin(&e, b, &h);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(&e, &(struct ikev1_prop){.number = 1,
						  .protocol = IPSEC_PROTO_ESP,
						  .spi = {esp_spi, 4}});
	ikev1_xform_begin(&e, &(struct ikev1_xform){.number = 1, .id = IPSEC_ESP_AES_CBC});
	ikev1_attr_tv(&e, IPSEC_ATTR_ENCAP_MODE, IPSEC_ENCAP_UDP_TUNNEL_DRAFT);
	ikev1_attr_num(&e, IPSEC_ATTR_SA_LIFE_DURATION, 4608000);
	ikev1_xform_end(&e);
	ikev1_xform_begin(&e, &(struct ikev1_xform){.number = 2, .id = IPSEC_ESP_3DES});
	ikev1_attr_tv(&e, IPSEC_ATTR_AUTH_ALG, IPSEC_AUTH_HMAC_SHA);
	ikev1_xform_end(&e);
	ikev1_prop_end(&e);
	ikev1_prop_begin(&e, &(struct ikev1_prop){
				     .number = 2, .protocol = IPSEC_PROTO_AH, .spi = {esp_spi, 4}});
	ikev1_xform_begin(&e, &(struct ikev1_xform){.number = 1, .id = IPSEC_AH_SHA});
	ikev1_xform_end(&e);
	ikev1_prop_end(&e);
	ikev1_sa_end(&e);
	ikev1_put_data(&e, ISAKMP_NP_KE, (struct span){ke, sizeof(ke)});
	ikev1_put_id(&e, &(struct ikev1_id){.type = IPSEC_ID_IPV4_ADDR,
					    .protocol = 17,
					    .port = 500,
					    .data = {v4, 4}});
	ikev1_put_cert(&e, ISAKMP_NP_CERT,
		       &(struct ikev1_cert){ISAKMP_CERT_X509_SIG, {(const uint8_t *)dn, 4}});
	ikev1_put_cert(&e, ISAKMP_NP_CR, &(struct ikev1_cert){ISAKMP_CERT_X509_SIG, {NULL, 0}});
	ikev1_put_data(&e, ISAKMP_NP_HASH, (struct span){hash, sizeof(hash)});
	ikev1_put_data(&e, ISAKMP_NP_SIG, (struct span){hash, 7});
	ikev1_put_data(&e, ISAKMP_NP_NONCE, (struct span){nonce, sizeof(nonce)});
	ikev1_put_notify(&e, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
						    .protocol = IPSEC_PROTO_ISAKMP,
						    .type = ISAKMP_N_DPD_R_U_THERE,
						    .spi = {cky, 16},
						    .data = {seq, 4}});
	ikev1_put_delete(&e, &(struct ikev1_delete){.doi = ISAKMP_DOI_IPSEC,
						    .protocol = IPSEC_PROTO_ESP,
						    .spi_size = 4,
						    .count = 2,
						    .spis = {spis, 8}});
	ikev1_put_data(&e, ISAKMP_NP_VID, (struct span){ikev1_vid_dpd, 16});
	ikev1_cfg_begin(&e, 1, 0x1234);
	ikev1_attr_tlv(&e, 1, NULL, 0);
	ikev1_attr_tv(&e, 16521, 0);
	ikev1_cfg_end(&e);
	ikev1_put_data(&e, ISAKMP_NP_NATD, (struct span){hash, sizeof(hash)});
	ikev1_put_data(&e, ISAKMP_NP_NATD_DRAFT, (struct span){hash, 16});
	ikev1_put_natoa(&e, ISAKMP_NP_NATOA,
			&(struct ikev1_natoa){.id_type = IPSEC_ID_IPV4_ADDR, .addr = {v4, 4}});
	ikev1_put_natoa(&e, ISAKMP_NP_NATOA_DRAFT,
			&(struct ikev1_natoa){.id_type = IPSEC_ID_IPV6_ADDR, .addr = {v6, 16}});
	ikev1_put_data(&e, ISAKMP_NP_GSS, (struct span){ke, 3});
	ikev1_put_frag(&e, &(struct ikev1_frag){.id = 1,
						.number = 2,
						.flags = IKEV1_FRAG_LAST,
						.data = {frag, sizeof(frag)}});
	assert_int_equal(ikev1_enc_end(&e), 0);
}

static void round_trip_every_payload(void **state)
{
	static const uint8_t order[] = {
		ISAKMP_NP_SA,	ISAKMP_NP_KE,	      ISAKMP_NP_ID,    ISAKMP_NP_CERT,
		ISAKMP_NP_CR,	ISAKMP_NP_HASH,	      ISAKMP_NP_SIG,   ISAKMP_NP_NONCE,
		ISAKMP_NP_N,	ISAKMP_NP_D,	      ISAKMP_NP_VID,   ISAKMP_NP_ATTR,
		ISAKMP_NP_NATD, ISAKMP_NP_NATD_DRAFT, ISAKMP_NP_NATOA, ISAKMP_NP_NATOA_DRAFT,
		ISAKMP_NP_GSS,	ISAKMP_NP_FRAG,
	};
	struct ikev1_msg *m = calloc(1, sizeof(*m));
	const struct ikev1_payload *p;
	struct builder b;
	uint32_t seq;
	unsigned i;

	(void)state;
	bld_init(&b, 0);
	build_all(&b, ISAKMP_XCHG_INFO);
	decode_ok(bld_data(&b), bld_off(&b), m);
	assert_int_equal(m->npl, sizeof(order));
	for (i = 0; i < sizeof(order); i++)
		assert_int_equal(m->pl[i].type, order[i]);
	assert_int_equal(m->pl[13].kind, ISAKMP_NP_NATD);
	assert_int_equal(ikev1_msg_count(m, ISAKMP_NP_NATD), 2);
	assert_int_equal(ikev1_msg_count(m, ISAKMP_NP_NATOA_DRAFT), 2);

	p = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	assert_int_equal(p->u.sa.nprops, 2);
	assert_int_equal(p->u.sa.nxforms, 3);
	p = ikev1_msg_get(m, ISAKMP_NP_ID, 0);
	assert_int_equal(p->u.id.type, IPSEC_ID_IPV4_ADDR);
	assert_int_equal(p->u.id.protocol, 17);
	assert_int_equal(p->u.id.port, 500);
	th_assert_hex(p->u.id.data.p, p->u.id.data.len, "c0000201");
	p = ikev1_msg_get(m, ISAKMP_NP_CR, 0);
	assert_int_equal(p->u.cert.encoding, ISAKMP_CERT_X509_SIG);
	assert_int_equal(p->u.cert.data.len, 0);
	p = ikev1_msg_get(m, ISAKMP_NP_N, 0);
	assert_int_equal(p->u.n.type, ISAKMP_N_DPD_R_U_THERE);
	assert_int_equal(p->u.n.spi.len, 16);
	assert_int_equal(ikev1_notify_dpd_seq(&p->u.n, &seq), 0);
	assert_int_equal(seq, 42);
	p = ikev1_msg_get(m, ISAKMP_NP_D, 0);
	assert_int_equal(p->u.d.count, 2);
	assert_int_equal(p->u.d.spi_size, 4);
	p = ikev1_msg_get(m, ISAKMP_NP_ATTR, 0);
	assert_int_equal(p->u.cfg.identifier, 0x1234);
	assert_int_equal(p->u.cfg.nattrs, 2);
	p = ikev1_msg_get(m, ISAKMP_NP_NATOA, 1);
	assert_int_equal(p->type, ISAKMP_NP_NATOA_DRAFT);
	assert_int_equal(p->u.natoa.addr.len, 16);
	p = ikev1_msg_get(m, ISAKMP_NP_FRAG, 0);
	assert_int_equal(p->u.frag.id, 1);
	assert_int_equal(p->u.frag.number, 2);
	assert_int_equal(p->u.frag.flags, IKEV1_FRAG_LAST);
	th_assert_hex(p->u.frag.data.p, p->u.frag.data.len, "deadbeef01");

	reencode_equal(m, bld_data(&b), bld_off(&b));
	bld_free(&b);
	free(m);
}

/* RESERVED fields are kept as received and written back. */
static void reserved_fields_survive(void **state)
{
	static const char hex[] = HDR("0b", "05", "00", "00000034")
		/* N with RESERVED 0x5a: DOI 1, ISAKMP, SPI size 0, INITIAL-CONTACT... */
		"155a000c 00000001 01006002"
		/* NAT-OA (draft 131) with both RESERVED fields set */
		"000a000c 01ff1234 c0000201";
	struct ikev1_msg m;
	size_t len;
	uint8_t *buf = load(hex, &len);

	(void)state;
	/* first payload N's next is 0x15 = 21 NAT-OA; fix: 131 is 0x83 */
	buf[28] = ISAKMP_NP_NATOA_DRAFT;
	buf[27] = (uint8_t)len;
	decode_ok(buf, len, &m);
	assert_int_equal(m.pl[0].reserved, 0x5a);
	assert_int_equal(m.pl[0].u.n.type, IPSEC_N_INITIAL_CONTACT);
	assert_int_equal(m.pl[1].type, ISAKMP_NP_NATOA_DRAFT);
	assert_int_equal(m.pl[1].reserved, 0x0a);
	assert_int_equal(m.pl[1].u.natoa.reserved1, 0xff);
	assert_int_equal(m.pl[1].u.natoa.reserved2, 0x1234);
	reencode_equal(&m, buf, len);
	free(buf);
}

/* E flag: the body is ciphertext; the engine decrypts and decodes the chain. */
static void encrypted_flow(void **state)
{
	static const uint8_t hash[20] = {0x42};
	static const uint8_t spi[4] = {1, 2, 3, 4};
	struct isakmp_hdr h = {.spi_i = {9},
			       .spi_r = {8},
			       .major = 1,
			       .exchange = ISAKMP_XCHG_INFO,
			       .msg_id = 0x01020304};
	struct ikev1_msg *m = calloc(1, sizeof(*m));
	struct builder plain, out, again;
	struct ikev1_enc e;
	struct wire_err err;
	uint8_t *fake_ct;

	(void)state;
	bld_init(&plain, 0);
	ikev1_enc_begin_chain(&e, &plain);
	ikev1_put_data(&e, ISAKMP_NP_HASH, (struct span){hash, sizeof(hash)});
	ikev1_put_delete(&e, &(struct ikev1_delete){.doi = 1,
						    .protocol = IPSEC_PROTO_ESP,
						    .spi_size = 4,
						    .count = 1,
						    .spis = {spi, 4}});
	assert_int_equal(ikev1_enc_end(&e), 0);
	assert_int_equal(e.first, ISAKMP_NP_HASH);
	assert_int_equal(bld_off(&plain), 24 + 16);
	assert_int_equal(ikev1_chain_pad(&plain, 16), 0);
	assert_int_equal(bld_off(&plain), 48);

	/* "encrypt": any bytes will do for the wire layer */
	fake_ct = malloc(bld_off(&plain));
	memset(fake_ct, 0xee, bld_off(&plain));
	h.next_payload = e.first;
	bld_init(&out, 0);
	assert_int_equal(ikev1_enc_encrypted(&out, &h, (struct span){fake_ct, 48}), 0);
	assert_int_equal(bld_off(&out), 28 + 48);
	assert_int_equal(bld_data(&out)[19], ISAKMP_FLAG_E);
	assert_int_equal(bld_data(&out)[16], ISAKMP_NP_HASH);

	decode_ok(bld_data(&out), bld_off(&out), m);
	assert_int_equal(m->npl, 0);
	assert_int_equal(m->encrypted.len, 48);
	assert_ptr_equal(m->encrypted.p, bld_data(&out) + 28);
	reencode_equal(m, bld_data(&out), bld_off(&out));

	/* "decrypted" body: the chain with its zero padding */
	assert_int_equal(ikev1_chain_decode(m->first, (struct span){bld_data(&plain), 48}, m, &err),
			 0);
	assert_int_equal(m->npl, 2);
	assert_int_equal(m->pl[0].offset, 28);
	assert_int_equal(m->pl[1].offset, 52);
	assert_int_equal(m->padding.len, 8);
	bld_init(&again, 0);
	assert_int_equal(ikev1_chain_encode(m, &again), 0);
	th_assert_bytes(bld_data(&again), bld_off(&again), bld_data(&plain), 48, "chain");
	bld_free(&again);
	bld_free(&plain);
	bld_free(&out);
	free(fake_ct);
	free(m);
}

/* Padding after a decrypted chain: zeros (strongSwan, libreswan), or zeros
 * ending in the pad count (RFC 2409 5.3). */
static void padding_variants(void **state)
{
	static const char *const ok[] = {
		"",
		"00",
		"000000000000000000000000000000000000000000000000",
		"00000003",
		"0000000000000007",
	};
	static const char chain[] = "0000000c 0102030405060708";
	struct ikev1_msg m;
	struct wire_err err;
	uint8_t buf[64];
	char hex[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(hex, sizeof(hex), "%s%s", chain, ok[i]);
		n = th_hex(buf, sizeof(buf), hex);
		if (ikev1_chain_decode(ISAKMP_NP_HASH, (struct span){buf, n}, &m, &err))
			fail_msg("padding %s refused: %s", ok[i], err.reason);
		assert_int_equal(m.padding.len, n - 12);
	}
}

static void msg_get_missing(void **state)
{
	struct ikev1_msg m;
	size_t len;
	uint8_t *buf = load(mm1_hex, &len);

	(void)state;
	decode_ok(buf, len, &m);
	assert_null(ikev1_msg_get(&m, ISAKMP_NP_KE, 0));
	assert_null(ikev1_msg_get(&m, ISAKMP_NP_VID, 1));
	assert_int_equal(ikev1_msg_count(&m, ISAKMP_NP_VID), 1);
	assert_int_equal(ikev1_payload_kind(ISAKMP_NP_NATD_DRAFT), ISAKMP_NP_NATD);
	assert_int_equal(ikev1_payload_kind(ISAKMP_NP_NATOA_DRAFT), ISAKMP_NP_NATOA);
	assert_int_equal(ikev1_payload_kind(ISAKMP_NP_FRAG), ISAKMP_NP_FRAG);
	free(buf);
}

/* Encoder misuse is a sticky -EINVAL, never bad bytes. */
static void encoder_misuse(void **state)
{
	struct ikev1_enc e;
	struct builder b;
	static const uint8_t spi[4];

	(void)state;
	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_payload_begin(&e, ISAKMP_NP_VID, 0);
	assert_int_equal(ikev1_enc_end(&e), -EINVAL); /* left open */
	bld_free(&b);

	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	assert_int_equal(ikev1_xform_begin(&e, &(struct ikev1_xform){.id = 1}), -EINVAL);
	assert_int_equal(ikev1_put_data(&e, ISAKMP_NP_VID, (struct span){NULL, 0}), -EINVAL);
	assert_int_equal(ikev1_enc_end(&e), -EINVAL);
	bld_free(&b);

	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_put_delete(&e, &(struct ikev1_delete){.spi_size = 4, .count = 2, .spis = {spi, 4}});
	assert_int_equal(ikev1_enc_end(&e), -EINVAL);
	bld_free(&b);

	/* a payload over 65535 bytes */
	bld_init(&b, 200000);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_payload_begin(&e, ISAKMP_NP_CERT, 0);
	bld_zero(&b, 70000);
	assert_int_equal(ikev1_payload_end(&e), -EMSGSIZE);
	bld_free(&b);
}

/* A full builder reports its error through the encoder. */
static void encoder_buffer_full(void **state)
{
	uint8_t small[40];
	struct builder b;
	struct ikev1_enc e;
	struct isakmp_hdr h = {.major = 1};
	static const uint8_t data[32];

	(void)state;
	bld_init_fixed(&b, small, sizeof(small));
	ikev1_enc_begin(&e, &b, &h);
	ikev1_put_data(&e, ISAKMP_NP_VID, (struct span){data, sizeof(data)});
	assert_int_equal(ikev1_enc_end(&e), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_main_mode_1),
		cmocka_unit_test(encode_main_mode_1),
		cmocka_unit_test(round_trip_every_payload),
		cmocka_unit_test(reserved_fields_survive),
		cmocka_unit_test(encrypted_flow),
		cmocka_unit_test(padding_variants),
		cmocka_unit_test(msg_get_missing),
		cmocka_unit_test(encoder_misuse),
		cmocka_unit_test(encoder_buffer_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
