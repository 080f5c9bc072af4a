/* notify.c: sd_notify(3) in a few lines (notify.h). The state of the one
 * daemon of the process (its watchdog timer) is file-static. */
#include "daemon/notify.h"

#include <errno.h>
#include <event2/event.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"

static struct event *watchdog;

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t plen;
	socklen_t alen;
	ssize_t w;
	int fd, rc = 0;

	if (!path || !*path)
		return 0;
	plen = strlen(path);
	/* "/path" or "@abstract" (sd_notify(3)); nothing else is valid */
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path) || plen < 2)
		return -EINVAL;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	w = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, alen);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != strlen(state))
		rc = -EMSGSIZE;
	close(fd);
	return rc;
}

uint64_t notify_watchdog_usec(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (!us || !*us)
		return 0;
	if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0; /* meant for another process (we were forked off) */
	errno = 0;
	v = strtoull(us, &end, 10);
	return errno || *end ? 0 : (uint64_t)v;
}

static void notify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

void notify_ready(struct event_base *base, const char *status)
{
	char msg[300];
	uint64_t us = notify_watchdog_usec();
	int rc;

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	rc = notify_send(msg);
	if (rc)
		log_warn(SUB_DAEMON, "cannot notify systemd at $NOTIFY_SOCKET: %s", strerror(-rc));
	if (!us || watchdog)
		return;
	/* half the interval, as sd_watchdog_enabled(3) advises */
	struct timeval tv = {.tv_sec = (time_t)(us / 2 / 1000000),
			     .tv_usec = (suseconds_t)(us / 2 % 1000000)};

	watchdog = event_new(base, -1, EV_PERSIST, notify_on_watchdog, NULL);
	if (!watchdog || event_add(watchdog, &tv)) {
		log_err(SUB_DAEMON, "cannot start the systemd watchdog timer");
		return;
	}
	notify_send("WATCHDOG=1");
	log_info(SUB_DAEMON, "systemd watchdog: WATCHDOG=1 every %llu ms",
		 (unsigned long long)(us / 2000));
}

void notify_status(const char *status)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify_send(msg);
}

void notify_stop(void)
{
	if (watchdog) {
		event_free(watchdog);
		watchdog = NULL;
	}
	notify_send("STOPPING=1");
}
