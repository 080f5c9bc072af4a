/* Tests of the record kernel backend: the lines it writes, read back as JSON. */
#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "kernel/record.h"

struct fixture {
	char path[64];
	struct record_backend *r;
	struct kernel_ops ops;
};

static struct fixture *fx_open(bool keys)
{
	static struct fixture f;
	int fd, err = 1;

	memset(&f, 0, sizeof(f));
	snprintf(f.path, sizeof(f.path), "/tmp/oak-record-XXXXXX");
	fd = mkstemp(f.path);
	assert_true(fd >= 0);
	close(fd);
	f.r = record_open(f.path, keys, &err);
	assert_non_null(f.r);
	assert_int_equal(err, 0);
	record_kernel_ops(f.r, &f.ops);
	return &f;
}

static void fx_close(struct fixture *f)
{
	record_close(f->r);
	unlink(f->path);
}

/* Line n (0-based) of the record file, parsed; the test fails on bad JSON. */
static json_t *read_line(const struct fixture *f, int n)
{
	FILE *fp = fopen(f->path, "r");
	char line[8192];
	json_error_t jerr;
	json_t *o = NULL;

	assert_non_null(fp);
	for (int i = 0; i <= n; i++)
		assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_true(strlen(line) > 0 && line[strlen(line) - 1] == '\n');
	o = json_loads(line, 0, &jerr);
	if (!o)
		fail_msg("line %d is not JSON: %s: %s", n, jerr.text, line);
	return o;
}

static int count_lines(const struct fixture *f)
{
	FILE *fp = fopen(f->path, "r");
	int c, n = 0;

	assert_non_null(fp);
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("'%s' is not a string", key);
	return json_string_value(v);
}

static long long num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

static void addr(struct ip_addr *a, const char *text)
{
	assert_int_equal(ip_addr_parse(text, a), 0);
}

static const uint8_t encr_key[20] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
				     0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13};
static const uint8_t integ_key[4] = {0xde, 0xad, 0xbe, 0xef};

static void fill_sa(struct kernel_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = 0xc7a1b2d3;
	sa->proto = IPPROTO_ESP;
	sa->mode = KERNEL_MODE_TUNNEL;
	sa->inbound = true;
	addr(&sa->src, "192.0.2.1");
	addr(&sa->dst, "192.0.2.2");
	sa->reqid = 1;
	sa->encr_alg = "cbc(aes)";
	sa->encr_key = encr_key;
	sa->encr_key_len = 16;
	sa->encr_key_bits = 128;
	sa->ikev2_encr = 12;
	sa->integ_alg = "hmac(sha256)";
	sa->integ_key = integ_key;
	sa->integ_key_len = sizeof(integ_key);
	sa->integ_trunc_bits = 128;
	sa->ikev2_integ = 12;
	sa->replay_window = 32;
	sa->life.soft_seconds = 3240;
	sa->life.hard_seconds = 3600;
	sa->ike_serial = 1;
	sa->child_serial = 2;
	sa->conn_name = "gw";
	sa->child_name = "net";
}

static void add_sa_fields(void **state)
{
	struct fixture *f = fx_open(false);
	struct kernel_sa sa;
	json_t *o, *life;
	const char *t;

	(void)state;
	fill_sa(&sa);
	assert_int_equal(f->ops.add_sa(f->ops.ctx, &sa), 0);
	assert_int_equal(record_lines(f->r), 1);
	o = read_line(f, 0);
	assert_string_equal(str(o, "op"), "add_sa");
	t = str(o, "time");
	/* 2026-11-23T11:00:00Z */
	assert_int_equal(strlen(t), 20);
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[19], 'Z');
	assert_string_equal(str(o, "conn"), "gw");
	assert_string_equal(str(o, "child"), "net");
	assert_int_equal(num(o, "ike_serial"), 1);
	assert_int_equal(num(o, "child_serial"), 2);
	assert_string_equal(str(o, "dir"), "in");
	assert_string_equal(str(o, "proto"), "esp");
	assert_string_equal(str(o, "spi"), "c7a1b2d3");
	assert_string_equal(str(o, "src"), "192.0.2.1");
	assert_string_equal(str(o, "dst"), "192.0.2.2");
	assert_string_equal(str(o, "mode"), "tunnel");
	assert_int_equal(num(o, "reqid"), 1);
	assert_string_equal(str(o, "encr"), "cbc(aes)");
	assert_int_equal(num(o, "encr_key_bits"), 128);
	assert_string_equal(str(o, "integ"), "hmac(sha256)");
	assert_int_equal(num(o, "integ_trunc_bits"), 128);
	assert_int_equal(num(o, "icv_bits"), 0);
	assert_int_equal(num(o, "ikev2_encr"), 12);
	assert_true(json_is_false(json_object_get(o, "esn")));
	assert_true(json_is_false(json_object_get(o, "update")));
	assert_int_equal(num(o, "replay_window"), 32);
	life = json_object_get(o, "life");
	assert_int_equal(num(life, "soft_seconds"), 3240);
	assert_int_equal(num(life, "hard_seconds"), 3600);
	assert_int_equal(num(life, "hard_bytes"), 0);
	assert_true(json_is_null(json_object_get(o, "encap")));
	assert_true(json_is_null(json_object_get(o, "sel_src")));
	/* keys stay out unless asked for */
	assert_null(json_object_get(o, "encr_key"));
	assert_null(json_object_get(o, "integ_key"));
	json_decref(o);
	fx_close(f);
}

static void keys_only_when_enabled(void **state)
{
	struct fixture *f = fx_open(true);
	struct kernel_sa sa;
	json_t *o;

	(void)state;
	fill_sa(&sa);
	assert_int_equal(f->ops.add_sa(f->ops.ctx, &sa), 0);
	o = read_line(f, 0);
	assert_string_equal(str(o, "encr_key"), "000102030405060708090a0b0c0d0e0f");
	assert_string_equal(str(o, "integ_key"), "deadbeef");
	json_decref(o);
	fx_close(f);
}

static void aead_transport_natt(void **state)
{
	struct fixture *f = fx_open(true);
	struct kernel_sa sa;
	json_t *o, *encap;

	(void)state;
	fill_sa(&sa);
	sa.inbound = false;
	sa.update = true;
	sa.mode = KERNEL_MODE_TRANSPORT;
	sa.encr_alg = "rfc4106(gcm(aes))";
	sa.encr_key_len = 20;
	sa.icv_bits = 128;
	sa.ikev2_encr = 20;
	sa.integ_alg = NULL;
	sa.integ_key = NULL;
	sa.integ_key_len = 0;
	sa.integ_trunc_bits = 0;
	sa.esn = true;
	sa.encap_sport = 4500;
	sa.encap_dport = 4501;
	assert_int_equal(ip_addr_parse("10.9.0.1", &sa.encap_oa), 0);
	assert_int_equal(ts_parse("192.0.2.1[tcp/443]", &sa.sel_src, NULL, 0), 0);
	assert_int_equal(ts_parse("192.0.2.2", &sa.sel_dst, NULL, 0), 0);
	assert_int_equal(f->ops.add_sa(f->ops.ctx, &sa), 0);
	o = read_line(f, 0);
	assert_string_equal(str(o, "dir"), "out");
	assert_string_equal(str(o, "mode"), "transport");
	assert_string_equal(str(o, "encr"), "rfc4106(gcm(aes))");
	assert_int_equal(num(o, "icv_bits"), 128);
	assert_true(json_is_null(json_object_get(o, "integ")));
	assert_true(json_is_true(json_object_get(o, "esn")));
	assert_true(json_is_true(json_object_get(o, "update")));
	encap = json_object_get(o, "encap");
	assert_int_equal(num(encap, "sport"), 4500);
	assert_int_equal(num(encap, "dport"), 4501);
	assert_string_equal(str(encap, "oa"), "10.9.0.1"); /* RFC 3947 NAT-OA */
	assert_non_null(strstr(str(o, "sel_src"), "192.0.2.1"));
	assert_non_null(strstr(str(o, "sel_src"), "443"));
	assert_non_null(strstr(str(o, "sel_dst"), "192.0.2.2"));
	/* salt included in the key; no integrity key for an AEAD */
	assert_string_equal(str(o, "encr_key"), "000102030405060708090a0b0c0d0e0f10111213");
	assert_null(json_object_get(o, "integ_key"));
	json_decref(o);
	fx_close(f);
}

static void policies_and_deletes(void **state)
{
	struct fixture *f = fx_open(false);
	struct kernel_policy p;
	struct ip_addr dst;
	json_t *o;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(ts_parse("10.1.0.0/16", &p.src, NULL, 0), 0);
	assert_int_equal(ts_parse("10.2.0.0/16", &p.dst, NULL, 0), 0);
	p.dir = KERNEL_DIR_FWD;
	p.priority = 375423;
	p.reqid = 7;
	p.proto = IPPROTO_ESP;
	p.mode = KERNEL_MODE_TUNNEL;
	addr(&p.tun_src, "2001:db8::1");
	addr(&p.tun_dst, "2001:db8::2");
	p.child_serial = 3;
	p.conn_name = "gw";
	p.child_name = "net";
	assert_int_equal(f->ops.add_policy(f->ops.ctx, &p), 0);
	p.mode = KERNEL_MODE_TRANSPORT;
	p.dir = KERNEL_DIR_OUT;
	p.trap = true;
	assert_int_equal(f->ops.del_policy(f->ops.ctx, &p), 0);
	addr(&dst, "192.0.2.2");
	assert_int_equal(f->ops.del_sa(f->ops.ctx, IPPROTO_AH, 0x100, &dst), 0);
	assert_int_equal(count_lines(f), 3);

	o = read_line(f, 0);
	assert_string_equal(str(o, "op"), "add_policy");
	assert_string_equal(str(o, "dir"), "fwd");
	assert_string_equal(str(o, "src"), "10.1.0.0/16");
	assert_string_equal(str(o, "dst"), "10.2.0.0/16");
	assert_int_equal(num(o, "priority"), 375423);
	assert_int_equal(num(o, "reqid"), 7);
	assert_string_equal(str(o, "tun_src"), "2001:db8::1");
	assert_string_equal(str(o, "tun_dst"), "2001:db8::2");
	assert_true(json_is_false(json_object_get(o, "trap")));
	json_decref(o);

	o = read_line(f, 1);
	assert_string_equal(str(o, "op"), "del_policy");
	assert_string_equal(str(o, "dir"), "out");
	assert_string_equal(str(o, "mode"), "transport");
	assert_true(json_is_null(json_object_get(o, "tun_src")));
	assert_true(json_is_true(json_object_get(o, "trap")));
	json_decref(o);

	o = read_line(f, 2);
	assert_string_equal(str(o, "op"), "del_sa");
	assert_string_equal(str(o, "proto"), "ah");
	assert_string_equal(str(o, "spi"), "00000100");
	assert_string_equal(str(o, "dst"), "192.0.2.2");
	json_decref(o);
	fx_close(f);
}

static void appends_to_existing_file(void **state)
{
	struct fixture *f = fx_open(false);
	struct record_backend *r2;
	struct kernel_ops ops2;
	struct ip_addr dst;
	struct stat st;
	int err;

	(void)state;
	addr(&dst, "192.0.2.2");
	assert_int_equal(f->ops.del_sa(f->ops.ctx, IPPROTO_ESP, 0x1234, &dst), 0);
	/* a second backend (a restarted daemon) appends, never truncates */
	r2 = record_open(f->path, false, &err);
	assert_non_null(r2);
	record_kernel_ops(r2, &ops2);
	assert_int_equal(ops2.del_sa(ops2.ctx, IPPROTO_ESP, 0x5678, &dst), 0);
	record_close(r2);
	assert_int_equal(count_lines(f), 2);
	assert_int_equal(stat(f->path, &st), 0);
	fx_close(f);
}

static void new_file_is_private(void **state)
{
	char path[64];
	struct record_backend *r;
	struct stat st;
	int err;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/oak-record-new-%d", (int)getpid());
	unlink(path);
	r = record_open(path, true, &err);
	assert_non_null(r);
	assert_int_equal(stat(path, &st), 0);
	/* it may hold keys: nobody but the owner reads it */
	assert_int_equal(st.st_mode & 0077, 0);
	record_close(r);
	unlink(path);
}

static void open_error(void **state)
{
	int err = 0;

	(void)state;
	assert_null(record_open("/nonexistent-dir/record.json", false, &err));
	assert_int_equal(err, -ENOENT);
}

static void alloc_spi_unique(void **state)
{
	struct fixture *f = fx_open(false);
	struct ip_addr a;
	enum { N = 5000 };
	uint32_t *seen = calloc(N, sizeof(*seen));

	(void)state;
	addr(&a, "192.0.2.1");
	for (int i = 0; i < N; i++) {
		assert_int_equal(f->ops.alloc_spi(f->ops.ctx, IPPROTO_ESP, &a, &a, 1, &seen[i]), 0);
		assert_true(seen[i] >= 0x100);
		for (int j = 0; j < i; j++)
			assert_true(seen[j] != seen[i]);
	}
	/* nothing goes to the record for an allocation */
	assert_int_equal(record_lines(f->r), 0);
	free(seen);
	fx_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_sa_fields),
		cmocka_unit_test(keys_only_when_enabled),
		cmocka_unit_test(aead_transport_natt),
		cmocka_unit_test(policies_and_deletes),
		cmocka_unit_test(appends_to_existing_file),
		cmocka_unit_test(new_file_is_private),
		cmocka_unit_test(open_error),
		cmocka_unit_test(alloc_spi_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
