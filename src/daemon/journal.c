/* journal.c: systemd journal entries with fields, over journald's native
 * socket (see journal.h). */
#include "daemon/journal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct journal {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
};

struct journal *journal_open(const char *path)
{
	struct journal *j;

	if (strlen(path) >= sizeof(j->addr.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (j->fd < 0) {
		free(j);
		return NULL;
	}
	j->addr.sun_family = AF_UNIX;
	memcpy(j->addr.sun_path, path, strlen(path) + 1);
	j->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	/* journald must be there now; a later failure falls back per line */
	if (connect(j->fd, (struct sockaddr *)&j->addr, j->addr_len) < 0) {
		int e = errno;

		close(j->fd);
		free(j);
		errno = e;
		return NULL;
	}
	return j;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	close(j->fd);
	free(j);
}

/* The serial of "SA #N" in a line (IKE SA, ISAKMP SA, CHILD SA), 0: none. */
static unsigned long sa_serial(const char *line)
{
	const char *p = strstr(line, "SA #");
	char *end;
	unsigned long n;

	if (!p)
		return 0;
	n = strtoul(p + 4, &end, 10);
	return end == p + 4 ? 0 : n;
}

size_t journal_entry(char *buf, size_t cap, enum log_sub sub, enum log_level lvl, const char *line)
{
	unsigned long serial = sa_serial(line);
	int n = snprintf(buf, cap,
			 "PRIORITY=%d\nSYSLOG_IDENTIFIER=oakd\nOAK_SUBSYSTEM=%s\nOAK_LEVEL=%s\n",
			 lvl > LVL_DEBUG ? LVL_DEBUG : lvl, log_sub_name(sub), log_level_name(lvl));
	size_t off, len;
	uint64_t le;
	int i;

	if (n < 0 || (size_t)n >= cap)
		return 0;
	off = (size_t)n;
	if (serial) {
		n = snprintf(buf + off, cap - off, "OAK_SA=%lu\n", serial);
		if (n < 0 || (size_t)n >= cap - off)
			return 0;
		off += (size_t)n;
	}
	/* MESSAGE\n, its length as 64-bit little endian, the bytes, \n */
	if (cap - off < 8 + 8 + 1 + strlen(log_sub_name(sub)) + 2)
		return 0;
	off += (size_t)snprintf(buf + off, cap - off, "MESSAGE\n"); /* fits: checked above */
	len = strlen(log_sub_name(sub)) + 2 + strlen(line);
	if (len > cap - off - 8 - 1)
		len = cap - off - 8 - 1;
	le = len;
	for (i = 0; i < 8; i++)
		buf[off++] = (char)(le >> (8 * i));
	n = snprintf(buf + off, len + 1, "%s: %s", log_sub_name(sub), line);
	if (n < 0)
		return 0;
	off += len;
	buf[off++] = '\n';
	return off;
}

void journal_sink(void *ctx, enum log_sub sub, enum log_level lvl, const char *line)
{
	struct journal *j = ctx;
	char buf[4400];
	size_t n = journal_entry(buf, sizeof(buf), sub, lvl, line);

	if (!j || !n || send(j->fd, buf, n, MSG_NOSIGNAL) < 0)
		log_stderr_sink(NULL, sub, lvl, line);
}
