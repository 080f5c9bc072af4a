/* updown.c: `oakctl up` (VICI initiate), `down` (terminate) and `rekey`,
 * which print oakd's log lines about the SA while they wait for the outcome,
 * and `reload` (reload-settings: oakd re-reads its configuration file). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/vici_client.h"

/* A control-log event: "[IKE] message", or one JSON object per line. */
static void log_event(void *arg, const char *name, const struct vici_node *msg)
{
	(void)arg;
	if (strcmp(name, "control-log") != 0)
		return;
	if (ctl_opts.json) {
		json_t *j =
			json_pack("{s:s, s:i, s:s}", "group", vici_find_str(msg, "group", ""),
				  "level", (int)strtol(vici_find_str(msg, "level", "0"), NULL, 10),
				  "msg", vici_find_str(msg, "msg", ""));

		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(j);
	} else {
		printf("[%s] %s\n", vici_find_str(msg, "group", "   "),
		       vici_find_str(msg, "msg", ""));
	}
	fflush(stdout);
}

/* Send cmd, streaming its log, and report { success, errmsg }. */
static int control(const char *cmd, const char *what, struct vici_builder *req)
{
	struct vici_node *res;
	struct vici_conn *c;
	bool ok;
	int rc;

	c = vici_conn_open();
	if (!c) {
		vici_build_free(req);
		return CTL_UNREACHABLE;
	}
	rc = vici_conn_register(c, "control-log");
	if (rc) {
		vici_build_free(req);
		vici_conn_close(c);
		return ctl_call_error(cmd, rc);
	}
	rc = vici_call(c, cmd, req, log_event, NULL, &res);
	vici_conn_close(c);
	if (rc)
		return ctl_call_error(cmd, rc);
	ok = vici_find_yes(res, "success");
	if (ctl_opts.json) {
		json_t *j = json_pack("{s:b}", "success", ok);

		if (!ok)
			json_object_set_new(j, "errmsg",
					    json_string(vici_find_str(res, "errmsg", "")));
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(j);
	} else if (ok) {
		printf("%s: done\n", what);
	} else {
		fprintf(stderr, "oakctl: %s failed: %s\n", what,
			vici_find_str(res, "errmsg", "(no reason given)"));
	}
	vici_node_free(res);
	return ok ? CTL_OK : CTL_FAILED;
}

/* --timeout SECS anywhere after the verb; removes it from argv. -1 on error. */
static int take_timeout(int *argc, char *argv[], long *secs)
{
	for (int i = 1; i < *argc; i++) {
		char *end;

		if (strcmp(argv[i], "--timeout") != 0 && strcmp(argv[i], "-t") != 0)
			continue;
		if (i + 1 >= *argc)
			return -1;
		*secs = strtol(argv[i + 1], &end, 10);
		if (!*argv[i + 1] || *end || *secs < 0 || *secs > 86400)
			return -1;
		memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2) * sizeof(char *));
		*argc -= 2;
		return 0;
	}
	return 0;
}

static bool is_help(int argc, char *argv[])
{
	return argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}

int up_main(int argc, char *argv[])
{
	struct vici_builder req;
	char what[300];
	long secs = 0;

	if (is_help(argc, argv) || take_timeout(&argc, argv, &secs) < 0 || argc < 2 || argc > 3 ||
	    argv[1][0] == '-') {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"Usage: oakctl [-s SOCKET] [-j] up CONN [CHILD] [--timeout SECS]\n"
			"Start connection CONN (with CHILD, else its first child) and show the "
			"log until it is up or failed.\n");
		return is_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	vici_build_msg(&req, 0);
	vici_add_kv_str(&req, "ike", argv[1]);
	if (argc == 3)
		vici_add_kv_str(&req, "child", argv[2]);
	if (!secs)
		secs = ctl_opts.timeout;
	if (secs)
		vici_add_kvf(&req, "timeout", "%ld", secs * 1000);
	vici_add_kv_str(&req, "loglevel", "1");
	snprintf(what, sizeof(what), "up %.128s%s%.128s", argv[1], argc == 3 ? " " : "",
		 argc == 3 ? argv[2] : "");
	return control("initiate", what, &req);
}

int down_main(int argc, char *argv[])
{
	struct vici_builder req;
	bool child = false, id;
	char what[300];
	long secs = 0;

	if (argc > 1 && strcmp(argv[1], "--child") == 0) {
		child = true;
		memmove(&argv[1], &argv[2], (size_t)(argc - 2) * sizeof(char *));
		argc--;
	}
	if (is_help(argc, argv) || take_timeout(&argc, argv, &secs) < 0 || argc != 2 ||
	    argv[1][0] == '-') {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"Usage: oakctl [-s SOCKET] [-j] down [--child] NAME|ID [--timeout SECS]\n"
			"Delete the IKE SAs of connection NAME, or IKE SA number ID (as status "
			"shows it);\nwith --child the CHILD SAs of that name or number.\n");
		return is_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	id = strspn(argv[1], "0123456789") == strlen(argv[1]);
	vici_build_msg(&req, 0);
	if (id)
		vici_add_kv_str(&req, child ? "child-id" : "ike-id", argv[1]);
	else
		vici_add_kv_str(&req, child ? "child" : "ike", argv[1]);
	if (!secs)
		secs = ctl_opts.timeout;
	if (secs)
		vici_add_kvf(&req, "timeout", "%ld", secs * 1000);
	vici_add_kv_str(&req, "loglevel", "1");
	snprintf(what, sizeof(what), "down %s%.128s", child ? "--child " : "", argv[1]);
	return control("terminate", what, &req);
}

/* rekey (strongSwan README "rekey"): { ike | ike-id | child | child-id,
 * reauth } -> { success, errmsg, matches }. */
int rekey_main(int argc, char *argv[])
{
	struct vici_builder req;
	bool child = false, reauth = false, id;
	char what[300];

	while (argc > 1 && (strcmp(argv[1], "--child") == 0 || strcmp(argv[1], "--reauth") == 0)) {
		if (strcmp(argv[1], "--child") == 0)
			child = true;
		else
			reauth = true;
		memmove(&argv[1], &argv[2], (size_t)(argc - 2) * sizeof(char *));
		argc--;
	}
	if (is_help(argc, argv) || argc != 2 || argv[1][0] == '-' || (child && reauth)) {
		fprintf(is_help(argc, argv) ? stdout : stderr,
			"Usage: oakctl [-s SOCKET] [-j] [-t SECS] rekey [--child|--reauth] "
			"NAME|ID\n"
			"Rekey the IKE SAs of connection NAME or IKE SA number ID (--reauth: "
			"reauthenticate them);\nwith --child the CHILD SAs of that name or "
			"number.\n");
		return is_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	id = strspn(argv[1], "0123456789") == strlen(argv[1]);
	vici_build_msg(&req, 0);
	if (id)
		vici_add_kv_str(&req, child ? "child-id" : "ike-id", argv[1]);
	else
		vici_add_kv_str(&req, child ? "child" : "ike", argv[1]);
	if (reauth)
		vici_add_kv_str(&req, "reauth", "yes");
	snprintf(what, sizeof(what), "rekey %s%.128s",
		 child	  ? "--child "
		 : reauth ? "--reauth "
			  : "",
		 argv[1]);
	return control("rekey", what, &req);
}

/* reload: reload-settings -> { success, errmsg }; a broken file leaves the
 * running configuration in place and errmsg says where it is broken. */
int reload_main(int argc, char *argv[])
{
	struct vici_node *res;
	bool ok;
	int rc;

	if (argc > 1) {
		bool help = is_help(argc, argv);

		fprintf(help ? stdout : stderr, "Usage: oakctl [-s SOCKET] [-j] reload\n"
						"Make oakd re-read its configuration file.\n");
		return help ? CTL_OK : CTL_USAGE;
	}
	rc = ctl_simple_call("reload-settings", NULL, &res);
	if (rc != CTL_OK)
		return rc;
	ok = vici_find_yes(res, "success");
	if (ctl_opts.json) {
		json_t *j = json_pack("{s:b}", "success", ok);

		if (!ok)
			json_object_set_new(j, "errmsg",
					    json_string(vici_find_str(res, "errmsg", "")));
		ctl_json_line(j);
	} else if (ok) {
		printf("reload: done\n");
	} else {
		fprintf(stderr, "oakctl: reload failed: %s\n",
			vici_find_str(res, "errmsg", "(no reason given)"));
	}
	vici_node_free(res);
	return ok ? CTL_OK : CTL_FAILED;
}
