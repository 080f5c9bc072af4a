/* oak-selftest: exercise every transform of the crypto layer on this machine
 * and measure it. For each encryption algorithm and key size: encrypt and
 * decrypt random data and check the round trip, check that a flipped bit is
 * caught (AEAD); for each integrity algorithm: compute, verify, and catch a
 * flipped bit; for each PRF: prf+ output length and determinism; for each DH
 * group: two key pairs agree on the shared secret and an invalid peer value
 * is refused; for each signature key in the given directory: sign and
 * verify, and catch a flipped bit. Prints one line per check with its cost,
 * then "N passed, N failed"; exits 1 on any failure.
 *
 * Usage: oak-selftest [KEY_DIR]   (KEY_DIR: PEM keys to sign with, e.g.
 * tests/vectors/sig; without it the signature part is skipped)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/dh.h"
#include "crypto/encr.h"
#include "crypto/integ.h"
#include "crypto/prf.h"
#include "crypto/rand.h"
#include "crypto/sig.h"
#include "lib/log.h"
#include "lib/mono_time.h"
#include "lib/secret.h"

static int passed, failed;

static void report(bool ok, const char *what, const char *detail, double us)
{
	if (ok)
		passed++;
	else
		failed++;
	if (us < 0)
		printf("%-4s %-26s %-18s\n", ok ? "ok" : "FAIL", what, detail);
	else
		printf("%-4s %-26s %-18s %10.1f us\n", ok ? "ok" : "FAIL", what, detail, us);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static double since_us(uint64_t t0, unsigned reps)
{
	return (double)(mono_ns() - t0) / 1000.0 / reps;
}

/* Round trip 1 KiB; AEAD must refuse a flipped ciphertext bit. */
static void check_encr(const struct alg_row *r)
{
	enum { LEN = 1024, REPS = 200 };
	const struct encr_alg *a = r->encr;
	uint8_t key[64], iv[16], in[LEN], ct[LEN], pt[LEN], icv[16];
	char detail[16];
	size_t k;

	for (k = 0; k < 3 && a->key_bits[k]; k++) {
		unsigned bits = a->key_attr ? a->key_bits[k] : 0;
		size_t klen = encr_keymat_len(a, bits);
		bool ok = klen > 0 && klen <= sizeof(key);
		uint64_t t0;
		unsigned i;

		rand_bytes(key, sizeof(key));
		rand_bytes(iv, sizeof(iv));
		rand_bytes(in, sizeof(in));
		t0 = mono_ns();
		for (i = 0; ok && i < REPS; i++)
			ok = encr_encrypt(a, key, klen, iv, a->iv_len, NULL, 0, in, LEN, ct, icv) ==
			     0;
		snprintf(detail, sizeof(detail), "%u bits", a->key_bits[k]);
		ok = ok &&
		     encr_decrypt(a, key, klen, iv, a->iv_len, NULL, 0, ct, LEN, pt, icv) == 0 &&
		     memcmp(in, pt, LEN) == 0 && memcmp(in, ct, LEN) != 0;
		if (ok && a->aead) {
			ct[7] ^= 1;
			ok = encr_decrypt(a, key, klen, iv, a->iv_len, NULL, 0, ct, LEN, pt, icv) ==
			     -EBADMSG;
		}
		report(ok, r->name, detail, since_us(t0, REPS));
		if (!a->key_attr)
			break;
	}
}

static void check_integ(const struct alg_row *r)
{
	enum { REPS = 500 };
	const struct integ_alg *a = r->integ;
	uint8_t key[64], data[1024], icv[64];
	struct span part = {data, sizeof(data)};
	uint64_t t0 = mono_ns();
	bool ok = a->key_len <= sizeof(key);
	unsigned i;

	rand_bytes(key, sizeof(key));
	rand_bytes(data, sizeof(data));
	for (i = 0; ok && i < REPS; i++)
		ok = integ_compute(a, key, a->key_len, &part, 1, icv) == 0;
	ok = ok && integ_verify(a, key, a->key_len, &part, 1, icv, a->icv_len) == 0;
	data[100] ^= 0x80;
	ok = ok && integ_verify(a, key, a->key_len, &part, 1, icv, a->icv_len) == -EBADMSG;
	report(ok, r->name, "1 KiB", since_us(t0, REPS));
}

static void check_prf(const struct alg_row *r)
{
	enum { REPS = 200 };
	const struct prf_alg *a = r->prf;
	uint8_t key[32], seed[64];
	struct span s = {seed, sizeof(seed)};
	struct secret *x = NULL, *y;
	uint64_t t0 = mono_ns();
	bool ok = true;
	unsigned i;

	rand_bytes(key, sizeof(key));
	rand_bytes(seed, sizeof(seed));
	for (i = 0; ok && i < REPS; i++) {
		secret_free(x);
		x = prf_plus(a, key, a->key_len ? a->key_len : sizeof(key), &s, 1, 200);
		ok = x && x->len == 200;
	}
	y = prf_plus(a, key, a->key_len ? a->key_len : sizeof(key), &s, 1, 200);
	ok = ok && y && memcmp(x->data, y->data, 200) == 0;
	report(ok, r->name, "prf+ 200 B", since_us(t0, REPS));
	secret_free(x);
	secret_free(y);
}

/* Both sides agree; a zero public value is refused (RFC 6989). */
static void check_dh(const struct alg_row *r)
{
	const struct dh_group *g = dh_group_by_id(r->ikev2_id);
	uint8_t pa[1024], pb[1024], zero[1024] = {0};
	struct dh_key *a = NULL, *b = NULL;
	struct secret *sa = NULL, *sb = NULL, *sz = NULL;
	uint64_t t0;
	bool ok;
	int saved = log_levels[SUB_CRYPTO];
	unsigned i, reps = g && g->bits > 3072 ? 3 : 15;
	double runs[15];

	/* the peer's key first, untimed; then what a responder pays per handshake:
	 * one key pair, our public value, one derivation (median of several runs,
	 * after a first one that warms up OpenSSL's caches) */
	ok = g && g->pub_len <= sizeof(pa) && (b = dh_keygen(g)) &&
	     dh_public(b, pb, sizeof(pb)) == 0;
	for (i = 0; ok && i <= reps; i++) {
		secret_free(sa);
		sa = NULL;
		dh_key_free(a);
		t0 = mono_ns();
		ok = (a = dh_keygen(g)) && dh_public(a, pa, sizeof(pa)) == 0 &&
		     dh_derive(a, pb, g->pub_len, &sa) == 0;
		if (i > 0)
			runs[i - 1] = since_us(t0, 1);
	}
	report(ok, r->name, "keygen+derive", ok ? median(runs, reps) : 0);
	ok = ok && dh_derive(b, pa, g->pub_len, &sb) == 0 && sa->len == sb->len &&
	     memcmp(sa->data, sb->data, sa->len) == 0;
	log_levels[SUB_CRYPTO] = LVL_ERR - 1; /* the refusal below logs by design */
	ok = ok && dh_derive(a, zero, g->pub_len, &sz) == -EINVAL && !sz;
	log_levels[SUB_CRYPTO] = (uint8_t)saved;
	report(ok, r->name, "agree+reject", -1);
	secret_free(sa);
	secret_free(sb);
	dh_key_free(a);
	dh_key_free(b);
}

static void check_sig_file(const char *dir, const char *name)
{
	static const enum sig_scheme schemes[] = {
		SIG_RSA_PKCS1_SHA256, SIG_RSA_PSS_SHA256, SIG_ECDSA_SHA256, SIG_ECDSA_SHA384,
		SIG_ECDSA_SHA512,     SIG_ED25519,	  SIG_ED448,
	};
	char path[4096];
	struct sig_key *k = NULL;
	struct sig_pubkey *pub;
	uint8_t data[256], *sig = NULL;
	struct span part = {data, sizeof(data)};
	size_t i, len = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (strstr(name, ".sec1") || strstr(name, ".trad"))
		return; /* the same keys in other encodings: timed once is enough */
	if (sig_key_load_file(path, NULL, &k) != 0)
		return; /* not a private key we can use without a passphrase */
	pub = sig_key_pubkey(k);
	rand_bytes(data, sizeof(data));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		uint64_t t0;
		double us, runs[9];
		unsigned r;
		bool ok;

		if (!sig_scheme_fits(schemes[i], sig_key_type(k)))
			continue;
		ok = true;
		for (r = 0; ok && r <= 9; r++) {
			free(sig);
			sig = NULL;
			t0 = mono_ns();
			ok = sig_sign(k, schemes[i], &part, 1, &sig, &len) == 0;
			if (r > 0)
				runs[r - 1] = since_us(t0, 1);
		}
		us = ok ? median(runs, 9) : 0;
		ok = ok && sig_verify(pub, schemes[i], &part, 1, sig, len) == 0;
		data[0] ^= 1;
		ok = ok && sig_verify(pub, schemes[i], &part, 1, sig, len) == -EBADMSG;
		data[0] ^= 1;
		report(ok, enum_name(&sig_scheme_names, schemes[i]), name, us); /* sign only */
		free(sig);
		sig = NULL;
	}
	sig_pubkey_free(pub);
	sig_key_free(k);
}

static void check_sigs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		printf("no key directory %s: signatures not checked\n", dir);
		failed++;
		return;
	}
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".pem") && !strstr(e->d_name, ".pub") &&
		    !strstr(e->d_name, ".enc"))
			check_sig_file(dir, e->d_name);
	closedir(d);
}

int main(int argc, char **argv)
{
	size_t n, i;
	const struct alg_row *t = alg_table(&n);

	log_set_all(LVL_WARN);
	printf("oak crypto self-test: every transform of the registry\n");
	for (i = 0; i < n; i++) {
		if (t[i].type == IKEV2_TRANS_ENCR && t[i].encr)
			check_encr(&t[i]);
		else if (t[i].type == IKEV2_TRANS_INTEG && t[i].integ)
			check_integ(&t[i]);
		else if (t[i].type == IKEV2_TRANS_PRF && t[i].prf)
			check_prf(&t[i]);
		else if (t[i].type == IKEV2_TRANS_KE && dh_group_by_id(t[i].ikev2_id))
			check_dh(&t[i]);
	}
	if (argc > 1)
		check_sigs(argv[1]);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
