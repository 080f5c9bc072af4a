/* oakd's journal entries: what `journalctl -o verbose` would show for a log
 * line, as journald receives it on its native socket. The test plays
 * journald: a datagram socket in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/journal.h"

struct fake_journald {
	char dir[64], path[96];
	int fd;
};

static void journald_start(struct fake_journald *f)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(f->dir, sizeof(f->dir), "/tmp/oak-journal.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/socket", f->dir);
	f->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(f->fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
}

static void journald_stop(struct fake_journald *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	unlink(f->path);
	rmdir(f->dir);
}

/* A length-prefixed value starting at p (64-bit little-endian length, the
 * bytes, "\n"): its length, or false when it runs past end. */
static bool le64_value(const unsigned char *p, const unsigned char *end, uint64_t *len)
{
	if (end - p < 8)
		return false;
	*len = 0;
	for (int i = 0; i < 8; i++)
		*len |= (uint64_t)p[i] << (8 * i);
	return (uint64_t)(end - p - 8) >= *len + 1 && p[8 + *len] == '\n';
}

/* The value of KEY in a received entry (text or length-prefixed form), into
 * out; false when the entry has no such field or is malformed. */
static bool field(const char *e, size_t n, const char *key, char *out, size_t cap)
{
	const unsigned char *end = (const unsigned char *)e + n;
	size_t k = strlen(key), off = 0;

	while (off < n) {
		const char *nl = memchr(e + off, '\n', n - off);
		size_t line = nl ? (size_t)(nl - (e + off)) : n - off;
		uint64_t len;

		if (!nl)
			return false;
		if (line > k && memcmp(e + off, key, k) == 0 && e[off + k] == '=') {
			if (line - k - 1 >= cap)
				return false;
			memcpy(out, e + off + k + 1, line - k - 1);
			out[line - k - 1] = 0;
			return true;
		}
		if (memchr(e + off, '=', line)) { /* another KEY=VALUE */
			off += line + 1;
			continue;
		}
		/* KEY\n<le64>value\n */
		if (!le64_value((const unsigned char *)nl + 1, end, &len))
			return false;
		if (line == k && memcmp(e + off, key, k) == 0) {
			if (len >= cap)
				return false;
			memcpy(out, nl + 9, len);
			out[len] = 0;
			return true;
		}
		off = (size_t)(nl + 9 - e) + len + 1;
	}
	return false;
}

static void test_fields(void **state)
{
	struct fake_journald f;
	struct journal *j;
	char e[5000], v[4500];
	ssize_t n;

	(void)state;
	journald_start(&f);
	j = journal_open(f.path);
	assert_non_null(j);
	journal_sink(j, SUB_IKE, LVL_WARN,
		     "IKE SA #42: peer 192.0.2.2 did not answer INFORMATIONAL\nafter 5 tries");
	n = recv(f.fd, e, sizeof(e), 0);
	assert_true(n > 0);
	assert_true(field(e, (size_t)n, "PRIORITY", v, sizeof(v)));
	assert_string_equal(v, "4");
	assert_true(field(e, (size_t)n, "SYSLOG_IDENTIFIER", v, sizeof(v)));
	assert_string_equal(v, "oakd");
	assert_true(field(e, (size_t)n, "OAK_SUBSYSTEM", v, sizeof(v)));
	assert_string_equal(v, "ike");
	assert_true(field(e, (size_t)n, "OAK_LEVEL", v, sizeof(v)));
	assert_string_equal(v, "warn");
	assert_true(field(e, (size_t)n, "OAK_SA", v, sizeof(v)));
	assert_string_equal(v, "42");
	/* the newline inside the message survives: the length-prefixed form */
	assert_true(field(e, (size_t)n, "MESSAGE", v, sizeof(v)));
	assert_string_equal(
		v, "ike: IKE SA #42: peer 192.0.2.2 did not answer INFORMATIONAL\nafter 5 tries");

	/* no SA named: no OAK_SA; trace is logged at syslog's debug priority */
	journal_sink(j, SUB_KERNEL, LVL_TRACE, "xfrm: netlink dump of 3 states");
	n = recv(f.fd, e, sizeof(e), 0);
	assert_true(n > 0);
	assert_false(field(e, (size_t)n, "OAK_SA", v, sizeof(v)));
	assert_true(field(e, (size_t)n, "PRIORITY", v, sizeof(v)));
	assert_string_equal(v, "7");
	assert_true(field(e, (size_t)n, "OAK_SUBSYSTEM", v, sizeof(v)));
	assert_string_equal(v, "kernel");
	journal_close(j);
	journald_stop(&f);
}

/* A line longer than an entry holds is cut, not dropped, and stays well
 * formed. */
static void test_long_line(void **state)
{
	char line[6000], e[4400], v[4500];
	size_t n;

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	n = journal_entry(e, sizeof(e), SUB_CFG, LVL_ERR, line);
	assert_true(n > 0 && n <= sizeof(e));
	assert_true(field(e, n, "MESSAGE", v, sizeof(v)));
	assert_true(strncmp(v, "cfg: xxxx", 9) == 0);
	assert_true(strlen(v) > 4000);
}

/* No journald: open fails; journald gone later: the line goes to stderr
 * and nothing crashes. */
static void test_no_journald(void **state)
{
	struct fake_journald f;
	struct journal *j;

	(void)state;
	assert_null(journal_open("/tmp/oak-no-such-dir/socket"));
	journald_start(&f);
	j = journal_open(f.path);
	assert_non_null(j);
	journald_stop(&f);
	journal_sink(j, SUB_DAEMON, LVL_NOTICE, "journald went away: this line is on stderr");
	journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_no_journald),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
