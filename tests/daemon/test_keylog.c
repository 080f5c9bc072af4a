/* Tests of the key log: Wireshark's algorithm names, the row format, the
 * files (0600, appended, one table per file) and, when tshark is installed,
 * that tshark 4.0 accepts every row we write for its IKEv2 decryption table. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/alg.h"
#include "daemon/keylog.h"

static uint8_t k16[16], k20[20], k32[32];

static struct ike_keylog_ikev2 keys_cbc(void)
{
	struct ike_keylog_ikev2 k = {
		.spi_i = {0x58, 0xd5, 0xaf, 0x7f, 0xdd, 0xeb, 0xd5, 0x7c},
		.spi_r = {0xed, 0xc0, 0x8c, 0x5f, 0x4a, 0xe6, 0xf0, 0x70},
		.encr_id = IKEV2_ENCR_AES_CBC,
		.encr_key_bits = 128,
		.integ_id = IKEV2_AUTH_HMAC_SHA2_256_128,
		.sk_ei = k16,
		.sk_er = k16,
		.sk_e_len = 16,
		.sk_ai = k32,
		.sk_ar = k32,
		.sk_a_len = 32,
	};
	return k;
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(k32); i++)
		k32[i] = (uint8_t)(0xa0 + i);
	memset(k16, 0x11, sizeof(k16));
	memset(k20, 0x22, sizeof(k20));
	return 0;
}

static void wireshark_names(void **state)
{
	(void)state;
	assert_string_equal(keylog_ikev2_encr_name(IKEV2_ENCR_AES_CBC, 128),
			    "AES-CBC-128 [RFC3602]");
	assert_string_equal(keylog_ikev2_encr_name(IKEV2_ENCR_AES_CBC, 256),
			    "AES-CBC-256 [RFC3602]");
	assert_string_equal(keylog_ikev2_encr_name(IKEV2_ENCR_AES_GCM_16, 128),
			    "AES-GCM-128 with 16 octet ICV [RFC5282]");
	assert_string_equal(keylog_ikev2_encr_name(IKEV2_ENCR_AES_CTR, 192),
			    "AES-CTR-192 [RFC5930]");
	assert_string_equal(keylog_ikev2_encr_name(IKEV2_ENCR_3DES, 0), "3DES [RFC2451]");
	assert_string_equal(keylog_ikev2_integ_name(IKEV2_AUTH_HMAC_SHA2_256_128),
			    "HMAC_SHA2_256_128 [RFC4868]");
	assert_string_equal(keylog_ikev2_integ_name(IKEV2_AUTH_HMAC_SHA1_96),
			    "HMAC_SHA1_96 [RFC2404]");
	assert_string_equal(keylog_ikev2_integ_name(IKEV2_AUTH_NONE), "NONE [RFC4306]");
	/* Wireshark 4.0 cannot decrypt these */
	assert_null(keylog_ikev2_encr_name(IKEV2_ENCR_CHACHA20_POLY1305, 0));
	assert_null(keylog_ikev2_encr_name(IKEV2_ENCR_AES_CBC, 0));
	assert_null(keylog_ikev2_integ_name(IKEV2_AUTH_AES_XCBC_96));
}

static void row_format(void **state)
{
	struct ike_keylog_ikev2 k = keys_cbc();
	char row[KEYLOG_ROW_MAX];

	(void)state;
	assert_int_equal(keylog_ikev2_row(&k, row, sizeof(row)), 0);
	assert_string_equal(row,
			    "58d5af7fddebd57c,edc08c5f4ae6f070,"
			    "11111111111111111111111111111111,11111111111111111111111111111111,"
			    "\"AES-CBC-128 [RFC3602]\","
			    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf,"
			    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf,"
			    "\"HMAC_SHA2_256_128 [RFC4868]\"");
	/* AEAD: empty integrity keys and NONE */
	k.encr_id = IKEV2_ENCR_AES_GCM_16;
	k.sk_ei = k.sk_er = k20;
	k.sk_e_len = 20;
	k.integ_id = IKEV2_AUTH_NONE;
	k.sk_ai = k.sk_ar = NULL;
	k.sk_a_len = 0;
	assert_int_equal(keylog_ikev2_row(&k, row, sizeof(row)), 0);
	assert_non_null(strstr(row, ",\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE "
				    "[RFC4306]\""));
	k.encr_id = IKEV2_ENCR_CHACHA20_POLY1305;
	k.encr_key_bits = 0;
	assert_int_equal(keylog_ikev2_row(&k, row, sizeof(row)), -ENOTSUP);
	/* a buffer too short gets nothing half-written */
	k = keys_cbc();
	assert_int_equal(keylog_ikev2_row(&k, row, 40), -EINVAL);
	assert_int_equal(row[0], 0);
}

static void ikev1_row(void **state)
{
	static const uint8_t cookie[8] = {0x7e, 0xee, 0xa4, 0x85, 0xf3, 0x84, 0x66, 0xea};
	char row[KEYLOG_ROW_MAX];

	(void)state;
	assert_int_equal(keylog_ikev1_row(cookie, k16, 16, row, sizeof(row)), 0);
	assert_string_equal(row, "7eeea485f38466ea,11111111111111111111111111111111");
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void file_private_and_appended(void **state)
{
	char path[64], v1[80];
	struct ike_keylog_ikev2 k = keys_cbc();
	struct keylog *kl;
	struct stat st;
	int err;
	char *text;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/oak-keylog-%d", (int)getpid());
	snprintf(v1, sizeof(v1), "%s.ikev1", path);
	unlink(path);
	unlink(v1);
	kl = keylog_open(path, &err);
	assert_non_null(kl);
	assert_int_equal(keylog_write_ikev2(kl, &k), 0);
	k.spi_i[0] = 0x01;
	assert_int_equal(keylog_write_ikev2(kl, &k), 0);
	k.encr_id = IKEV2_ENCR_CHACHA20_POLY1305;
	assert_int_equal(keylog_write_ikev2(kl, &k), -ENOTSUP); /* no row */
	assert_int_equal(keylog_write_ikev1(kl, k.spi_i, k16, 16), 0);
	keylog_close(kl);
	/* reopened: appended, not truncated */
	kl = keylog_open(path, &err);
	k = keys_cbc();
	assert_int_equal(keylog_write_ikev2(kl, &k), 0);
	keylog_close(kl);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = slurp(path);
	{
		int rows = 0;

		for (const char *c = text; *c; c++)
			rows += *c == '\n';
		assert_int_equal(rows, 3);
	}
	assert_true(strncmp(text, "58d5af7f", 8) == 0);
	assert_non_null(strstr(text, "\n01d5af7f"));
	assert_null(strstr(text, "ChaCha"));
	assert_int_equal(text[strlen(text) - 1], '\n');
	/* IKEv1 rows go to their own table */
	text = slurp(v1);
	assert_string_equal(text, "01d5af7fddebd57c,11111111111111111111111111111111\n");
	assert_int_equal(stat(v1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	unlink(path);
	unlink(v1);
}

static void directory_holds_wiresharks_tables(void **state)
{
	char dir[] = "/tmp/oak-keylog-dir-XXXXXX", p[128];
	struct ike_keylog_ikev2 k = keys_cbc();
	struct ike_keylog cb;
	struct keylog *kl;
	int err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	kl = keylog_open(dir, &err);
	assert_non_null(kl);
	keylog_ike_env(kl, &cb);
	assert_non_null(cb.ikev2);
	cb.ikev2(cb.ctx, &k);
	keylog_close(kl);
	snprintf(p, sizeof(p), "%s/ikev2_decryption_table", dir);
	assert_true(strncmp(slurp(p), "58d5af7fddebd57c,", 17) == 0);
	unlink(p);
	rmdir(dir);
	keylog_ike_env(NULL, &cb);
	assert_null(cb.ikev2);
	assert_null(keylog_open("/nonexistent-dir/keys", &err));
	assert_int_equal(err, -ENOENT);
}

/* tshark rejects a misspelt algorithm or a key of the wrong length: hand it
 * every kind of row we write (skipped where tshark is not installed). */
static void tshark_accepts_rows(void **state)
{
	static const struct {
		uint16_t encr, bits, integ;
		size_t elen, alen;
	} cases[] = {
		{IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA2_256_128, 16, 32},
		{IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA1_96, 32, 20},
		{IKEV2_ENCR_AES_CBC, 192, IKEV2_AUTH_HMAC_SHA2_512_256, 24, 64},
		{IKEV2_ENCR_AES_GCM_16, 256, IKEV2_AUTH_NONE, 36, 0},
		{IKEV2_ENCR_AES_GCM_8, 128, IKEV2_AUTH_NONE, 20, 0},
		{IKEV2_ENCR_AES_CTR, 128, IKEV2_AUTH_HMAC_SHA2_384_192, 20, 48},
		{IKEV2_ENCR_3DES, 0, IKEV2_AUTH_HMAC_MD5_96, 24, 16},
	};
	static const uint8_t pcap[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
					 0,    0,    0,	   0,	 0xff, 0xff, 0, 0, 1, 0, 0, 0};
	static uint8_t key[64];
	char row[KEYLOG_ROW_MAX], cmd[KEYLOG_ROW_MAX + 256], pcap_path[64];
	FILE *f;

	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	snprintf(pcap_path, sizeof(pcap_path), "/tmp/oak-keylog-%d.pcap", (int)getpid());
	f = fopen(pcap_path, "wb");
	assert_non_null(f);
	fwrite(pcap, 1, sizeof(pcap), f);
	fclose(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_keylog_ikev2 k = keys_cbc();

		k.encr_id = cases[i].encr;
		k.encr_key_bits = cases[i].bits;
		k.integ_id = cases[i].integ;
		k.sk_ei = k.sk_er = key;
		k.sk_e_len = cases[i].elen;
		k.sk_ai = k.sk_ar = key;
		k.sk_a_len = cases[i].alen;
		assert_int_equal(keylog_ikev2_row(&k, row, sizeof(row)), 0);
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -o 'uat:ikev2_decryption_table:%s' >/dev/null 2>&1",
			 pcap_path, row);
		if (system(cmd) != 0)
			fail_msg("tshark rejected: %s", row);
	}
	/* and the check can fail: a key one byte short */
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -o 'uat:ikev2_decryption_table:0102030405060708,"
		 "0102030405060708,0011,0011,\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"'"
		 " >/dev/null 2>&1",
		 pcap_path);
	assert_int_not_equal(system(cmd), 0);
	unlink(pcap_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wireshark_names),
		cmocka_unit_test(row_format),
		cmocka_unit_test(ikev1_row),
		cmocka_unit_test(file_private_and_appended),
		cmocka_unit_test(directory_holds_wiresharks_tables),
		cmocka_unit_test(tshark_accepts_rows),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
