/* vici_client.c: a blocking VICI client for oakctl, the global options, and
 * the version verb (vici_client.h). */
#include "ctl/vici_client.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#ifndef OAK_VERSION
#define OAK_VERSION "0.1.0"
#endif

struct ctl_opts ctl_opts = {.socket = CTL_DEFAULT_SOCKET};

struct vici_conn {
	int fd;
};

int ctl_opts_parse(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
			ctl_opts.json = true;
		} else if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "oakctl: %s needs a socket path\n", a);
				return -1;
			}
			ctl_opts.socket = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			ctl_opts.socket = a + 9;
		} else if (strcmp(a, "-t") == 0 || strcmp(a, "--timeout") == 0) {
			char *end;
			long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : -1;

			if (v < 1 || v > 86400 || *end) {
				fprintf(stderr,
					"oakctl: %s: expected seconds from 1 to 86400, got '%s'\n",
					a, i + 1 < argc ? argv[i + 1] : "");
				return -1;
			}
			ctl_opts.timeout = (unsigned)v;
			i++;
		} else {
			break; /* --help, --version: the caller's */
		}
	}
	return i;
}

struct vici_conn *vici_conn_open(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct vici_conn *c;
	int fd;

	if (strlen(ctl_opts.socket) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "oakctl: cannot reach oakd at %s: %s\n", ctl_opts.socket,
			strerror(ENAMETOOLONG));
		return NULL;
	}
	memcpy(sun.sun_path, ctl_opts.socket, strlen(ctl_opts.socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "oakctl: cannot reach oakd at %s: %s\n", ctl_opts.socket,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (ctl_opts.timeout) {
		/* a second more than oakd's own timeout, so that its answer
		 * (initiate/terminate/rekey: "timeout") arrives first */
		struct timeval tv = {.tv_sec = (time_t)ctl_opts.timeout + 1};

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	return c;
}

void vici_conn_close(struct vici_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

static int read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One packet: type, name and the raw bytes (caller frees *buf). */
static int read_packet(struct vici_conn *c, uint8_t **buf, struct vici_packet *pkt)
{
	uint8_t hdr[4];
	uint32_t len;
	struct vici_err err;
	int rc;

	*buf = NULL;
	rc = read_full(c->fd, hdr, 4);
	if (rc)
		return rc;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (len > VICI_MAX_PACKET) {
		fprintf(stderr, "oakctl: oakd sent a packet of %u bytes (at most %zu expected)\n",
			len, VICI_MAX_PACKET);
		return -EBADMSG;
	}
	*buf = malloc(len ? len : 1);
	if (!*buf)
		return -ENOMEM;
	rc = read_full(c->fd, *buf, len);
	if (!rc && vici_packet_parse(*buf, len, pkt, &err)) {
		fprintf(stderr, "oakctl: malformed packet from oakd at byte %zu: %s\n", err.off,
			err.msg);
		rc = -EBADMSG;
	}
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static int send_packet(struct vici_conn *c, uint8_t op, const char *name, const uint8_t *msg,
		       size_t len)
{
	size_t nlen = name ? strlen(name) : 0;
	uint32_t total = (uint32_t)(1 + (name ? 1 + nlen : 0) + len);
	uint8_t hdr[6 + VICI_NAME_MAX];
	size_t h = 0;

	if (nlen > VICI_NAME_MAX || total > VICI_MAX_PACKET)
		return -EMSGSIZE;
	hdr[h++] = (uint8_t)(total >> 24);
	hdr[h++] = (uint8_t)(total >> 16);
	hdr[h++] = (uint8_t)(total >> 8);
	hdr[h++] = (uint8_t)total;
	hdr[h++] = op;
	if (name) {
		hdr[h++] = (uint8_t)nlen;
		/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): length-prefixed */
		memcpy(hdr + h, name, nlen);
		h += nlen;
	}
	struct iovec iov[2] = {{hdr, h}, {(void *)msg, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	size_t want = h + len;

	/* MSG_NOSIGNAL: a daemon that went away is an error, not a SIGPIPE */
	while (want) {
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		want -= (size_t)w;
		while (w > 0 && mh.msg_iovlen) {
			size_t step = MIN((size_t)w, mh.msg_iov->iov_len);

			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + step;
			mh.msg_iov->iov_len -= step;
			w -= (ssize_t)step;
			if (mh.msg_iov->iov_len == 0) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return 0;
}

int vici_conn_register(struct vici_conn *c, const char *event)
{
	struct vici_packet pkt;
	uint8_t *buf;
	int rc;

	rc = send_packet(c, VICI_EVENT_REGISTER, event, NULL, 0);
	if (rc)
		return rc;
	rc = read_packet(c, &buf, &pkt);
	free(buf);
	if (rc)
		return rc;
	if (pkt.op == VICI_EVENT_CONFIRM)
		return 0;
	return pkt.op == VICI_EVENT_UNKNOWN ? -ENOENT : -EBADMSG;
}

/* An event during a call: parsed and handed to cb. */
static int on_event(const struct vici_packet *pkt, vici_event_cb *cb, void *arg)
{
	struct vici_node *msg;
	struct vici_err err;

	if (!cb)
		return 0;
	if (vici_msg_parse(pkt->msg.p, pkt->msg.len, &msg, &err)) {
		fprintf(stderr, "oakctl: malformed '%s' event at byte %zu: %s\n", pkt->name,
			err.off, err.msg);
		return -EBADMSG;
	}
	cb(arg, pkt->name, msg);
	vici_node_free(msg);
	return 0;
}

int vici_call(struct vici_conn *c, const char *cmd, struct vici_builder *req, vici_event_cb *cb,
	      void *arg, struct vici_node **resp)
{
	struct vici_packet pkt;
	struct vici_err err;
	uint8_t *msg = NULL, *buf;
	size_t len = 0;
	int rc = 0;

	*resp = NULL;
	if (req && !(msg = vici_build_take(req, &len, &rc)))
		return rc ? rc : -ENOMEM;
	rc = send_packet(c, VICI_CMD_REQUEST, cmd, msg, len);
	free(msg);
	while (!rc) {
		rc = read_packet(c, &buf, &pkt);
		if (rc)
			break;
		if (pkt.op == VICI_EVENT) {
			rc = on_event(&pkt, cb, arg);
		} else if (pkt.op == VICI_CMD_RESPONSE) {
			if (vici_msg_parse(pkt.msg.p, pkt.msg.len, resp, &err)) {
				fprintf(stderr, "oakctl: malformed '%s' response at byte %zu: %s\n",
					cmd, err.off, err.msg);
				rc = -EBADMSG;
			}
			free(buf);
			return rc;
		} else {
			rc = pkt.op == VICI_CMD_UNKNOWN ? -ENOENT : -EBADMSG;
		}
		free(buf);
	}
	return rc;
}

int ctl_call_error(const char *what, int rc)
{
	if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
		/* a hung oakd is as good as none: exit code of unreachable */
		fprintf(stderr, "oakctl: %s failed: no answer from oakd at %s within %u s\n", what,
			ctl_opts.socket, ctl_opts.timeout);
		return CTL_UNREACHABLE;
	}
	if (rc == -ENOENT)
		fprintf(stderr, "oakctl: %s failed: oakd does not know this command\n", what);
	else if (rc != -EBADMSG) /* a malformed message was described already */
		fprintf(stderr, "oakctl: %s failed: %s\n", what, strerror(-rc));
	return rc == -ECONNRESET || rc == -EPIPE ? CTL_UNREACHABLE : CTL_FAILED;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vici_conn_listen(struct vici_conn *c, vici_event_cb *cb, void *arg)
{
	long long end = ctl_opts.timeout ? now_ms() + (long long)ctl_opts.timeout * 1000 : 0;
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};

	for (;;) {
		long long left = end ? end - now_ms() : -1;
		struct vici_packet pkt;
		uint8_t *buf;
		int rc;

		if (end && left <= 0)
			return 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return 0;
		rc = read_packet(c, &buf, &pkt);
		if (rc)
			return rc;
		if (pkt.op == VICI_EVENT)
			rc = on_event(&pkt, cb, arg);
		free(buf);
		if (rc)
			return rc;
	}
}

int ctl_simple_call(const char *cmd, struct vici_builder *req, struct vici_node **resp)
{
	struct vici_conn *c = vici_conn_open();
	int rc;

	*resp = NULL;
	if (!c) {
		if (req)
			vici_build_free(req);
		return CTL_UNREACHABLE;
	}
	rc = vici_call(c, cmd, req, NULL, NULL, resp);
	vici_conn_close(c);
	return rc ? ctl_call_error(cmd, rc) : CTL_OK;
}

const char *ctl_rfc3339(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
	return buf;
}

void ctl_json_line(json_t *j)
{
	json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	fflush(stdout);
	json_decref(j);
}

/* ---- version ---- */

static int print_version(const struct vici_node *res)
{
	json_t *j;

	if (!ctl_opts.json) {
		printf("oakctl %s\n", OAK_VERSION);
		if (res)
			printf("%s %s (%s, %s, %s)\n", vici_find_str(res, "daemon", "?"),
			       vici_find_str(res, "version", "?"),
			       vici_find_str(res, "sysname", "?"),
			       vici_find_str(res, "release", "?"),
			       vici_find_str(res, "machine", "?"));
		return 0;
	}
	j = json_pack("{s:s, s:n}", "oakctl", OAK_VERSION, "daemon");
	if (res)
		json_object_set_new(j, "daemon",
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "name",
					      vici_find_str(res, "daemon", ""), "version",
					      vici_find_str(res, "version", ""), "sysname",
					      vici_find_str(res, "sysname", ""), "release",
					      vici_find_str(res, "release", ""), "machine",
					      vici_find_str(res, "machine", "")));
	json_dumpf(j, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(j);
	return 0;
}

int ctl_version_main(int argc, char *argv[])
{
	struct vici_node *res;
	struct vici_conn *c;
	int rc;

	if (argc > 1) {
		fprintf(stderr, "Usage: oakctl [-s SOCKET] [-j] %s\n", argv[0]);
		return strcmp(argv[1], "--help") == 0 ? CTL_OK : CTL_USAGE;
	}
	/* the one verb that is still of use without a daemon: oakctl's own
	 * version, the reason on stderr, and success */
	c = vici_conn_open();
	if (!c)
		return print_version(NULL);
	rc = vici_call(c, "version", NULL, NULL, NULL, &res);
	vici_conn_close(c);
	if (rc)
		return ctl_call_error("version", rc);
	print_version(res);
	vici_node_free(res);
	return CTL_OK;
}
