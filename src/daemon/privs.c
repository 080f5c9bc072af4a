/* privs.c: dropping root for a dedicated user with libcap-ng (privs.h). */
#include "daemon/privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/log.h"

/* The passwd entry of a name or a number (getpwnam_r: no static buffer). */
static int lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	unsigned long n;
	int rc;

	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (!res && !rc) {
		n = strtoul(user, &end, 10);
		if (*user && !*end)
			rc = getpwuid_r((uid_t)n, &pw, buf, sizeof(buf), &res);
	}
	if (!res)
		return rc ? -rc : -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int privs_drop(const char *user)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int rc;

	if (!user)
		return 0;
	if (geteuid() != 0) {
		log_err(SUB_DAEMON, "cannot switch to user '%s': oakd was not started as root",
			user);
		return -EPERM;
	}
	rc = lookup(user, &uid, &gid);
	if (rc) {
		log_err(SUB_DAEMON, "cannot switch to user '%s': %s", user,
			rc == -ENOENT ? "no such user" : strerror(-rc));
		return rc;
	}
	if (uid == 0) {
		log_err(SUB_DAEMON, "cannot switch to user '%s': it is root", user);
		return -EINVAL;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			  CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, -1) ||
	    (rc = capng_change_id((int)uid, (int)gid,
				  CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING))) {
		log_err(SUB_DAEMON,
			"cannot switch to user '%s' keeping CAP_NET_ADMIN: libcap-ng "
			"error %d",
			user, rc);
		return -EPERM;
	}
	log_notice(
		SUB_DAEMON,
		"running as user %s (uid %u, gid %u) with CAP_NET_ADMIN and CAP_NET_BIND_SERVICE",
		user, (unsigned)uid, (unsigned)gid);
	return 0;
}
