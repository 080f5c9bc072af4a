/* monitor.c: the streaming verbs. `oakctl monitor` is a live view of SAs
 * coming and going (as Windows' IP Security Monitor): it prints the SAs
 * present when it starts, then one line per ike-updown, child-updown,
 * ike-rekey and child-rekey event (strongSwan's VICI README formats).
 * `oakctl log` streams oakd's log lines (VICI "log" events). Both print
 * NDJSON with --json, each object carrying an RFC 3339 "time", and end after
 * -t SECS (else when oakd goes away: exit 3). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/vici_client.h"
#include "lib/util.h"

static const char *const sa_events[] = {"ike-updown", "child-updown", "ike-rekey", "child-rekey"};

static const char *now_str(char *buf, size_t len)
{
	return ctl_rfc3339((long long)time(NULL), buf, len);
}

static bool is_help(int argc, char *argv[])
{
	return argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}

/* "tun #1 ESTABLISHED 192.0.2.1[500] 'a' <-> 192.0.2.2[500] 'b'" */
static void print_ike(const struct vici_node *sa)
{
	printf("%s #%s %s %s[%s] '%s' <-> %s[%s] '%s'", sa->name,
	       vici_find_str(sa, "uniqueid", "?"), vici_find_str(sa, "state", "?"),
	       vici_find_str(sa, "local-host", "?"), vici_find_str(sa, "local-port", "?"),
	       vici_find_str(sa, "local-id", ""), vici_find_str(sa, "remote-host", "?"),
	       vici_find_str(sa, "remote-port", "?"), vici_find_str(sa, "remote-id", ""));
}

/* "tun/net #2 INSTALLED in c1a2b3c4 out d4c3b2a1 10.1.0.0/16 === 10.2.0.0/16" */
static void print_child(const struct vici_node *ike, const struct vici_node *ch)
{
	char lts[512], rts[512];

	printf("%s/%s #%s %s in %s out %s %s === %s", ike->name,
	       vici_find_str(ch, "name", ch->name), vici_find_str(ch, "uniqueid", "?"),
	       vici_find_str(ch, "state", "?"), vici_find_str(ch, "spi-in", "?"),
	       vici_find_str(ch, "spi-out", "?"),
	       ctl_join_list(ch, "local-ts", ",", lts, sizeof(lts)),
	       ctl_join_list(ch, "remote-ts", ",", rts, sizeof(rts)));
}

/* The IKE SA's line (ike) and its CHILD SAs' lines (children). */
static void print_sa_lines(const char *time, const char *what, const struct vici_node *sa, bool ike,
			   bool children)
{
	const struct vici_node *chs = vici_member(sa, "child-sas");

	if (ike) {
		printf("%s IKE   %-8s ", time, what);
		print_ike(sa);
		printf("\n");
	}
	for (const struct vici_node *ch = chs ? chs->child : NULL; children && ch; ch = ch->next) {
		if (ch->type != VICI_NODE_SECTION)
			continue;
		printf("%s CHILD %-8s ", time, what);
		print_child(sa, ch);
		printf("\n");
	}
}

/* ike-rekey: <name> = { old = {...}, new = {...} } */
static void print_ike_rekey(const char *time, const struct vici_node *sec)
{
	const struct vici_node *old = vici_member(sec, "old"), *nw = vici_member(sec, "new");

	printf("%s IKE   %-8s %s #%s -> #%s %s\n", time, "rekeyed", sec->name,
	       old ? vici_find_str(old, "uniqueid", "?") : "?",
	       nw ? vici_find_str(nw, "uniqueid", "?") : "?",
	       nw ? vici_find_str(nw, "state", "") : "");
}

/* child-rekey: <ike> = { ..., child-sas = { <child> = { old, new } } } */
static void print_child_rekey(const char *time, const struct vici_node *sec)
{
	const struct vici_node *chs = vici_member(sec, "child-sas");

	for (const struct vici_node *ch = chs ? chs->child : NULL; ch; ch = ch->next) {
		const struct vici_node *old = vici_member(ch, "old"), *nw = vici_member(ch, "new");

		if (ch->type != VICI_NODE_SECTION)
			continue;
		printf("%s CHILD %-8s %s/%s #%s -> #%s", time, "rekeyed", sec->name, ch->name,
		       old ? vici_find_str(old, "uniqueid", "?") : "?",
		       nw ? vici_find_str(nw, "uniqueid", "?") : "?");
		if (nw)
			printf(" in %s out %s", vici_find_str(nw, "spi-in", "?"),
			       vici_find_str(nw, "spi-out", "?"));
		printf("\n");
	}
}

/* One event's sections as NDJSON objects. */
static void monitor_json(const char *time, const char *event, const struct vici_node *msg)
{
	for (const struct vici_node *sa = msg->child; sa; sa = sa->next) {
		json_t *j;

		if (sa->type != VICI_NODE_SECTION)
			continue;
		j = json_pack("{s:s, s:s}", "time", time, "event", event);
		if (strcmp(event, "ike-updown") == 0 || strcmp(event, "child-updown") == 0)
			json_object_set_new(j, "up", json_boolean(vici_find_yes(msg, "up")));
		json_object_set_new(j, "sa", ctl_json_sa(sa));
		ctl_json_line(j);
	}
}

static void monitor_event(void *arg, const char *name, const struct vici_node *msg)
{
	const char *event = strcmp(name, "list-sa") == 0 ? "present" : name;
	bool known = strcmp(event, "present") == 0;
	char time[40];

	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(sa_events); i++)
		known |= strcmp(name, sa_events[i]) == 0;
	if (!known)
		return;
	now_str(time, sizeof(time));
	if (ctl_opts.json) {
		monitor_json(time, event, msg);
		return;
	}
	for (const struct vici_node *sa = msg->child; sa; sa = sa->next) {
		if (sa->type != VICI_NODE_SECTION)
			continue;
		if (strcmp(event, "present") == 0)
			print_sa_lines(time, "present", sa, true, true);
		else if (strcmp(event, "ike-updown") == 0)
			print_sa_lines(time, vici_find_yes(msg, "up") ? "up" : "down", sa, true,
				       false);
		else if (strcmp(event, "child-updown") == 0)
			print_sa_lines(time, vici_find_yes(msg, "up") ? "up" : "down", sa, false,
				       true);
		else if (strcmp(event, "ike-rekey") == 0)
			print_ike_rekey(time, sa);
		else
			print_child_rekey(time, sa);
	}
	fflush(stdout);
}

/* Register for events; an event oakd does not offer (-ENOENT) is skipped
 * with a note, unless `need`. Returns an exit code. */
static int register_events(struct vici_conn *c, const char *const *names, size_t n, size_t need)
{
	for (size_t i = 0; i < n; i++) {
		int rc = vici_conn_register(c, names[i]);

		if (rc == -ENOENT && i >= need) {
			fprintf(stderr, "oakctl: note: oakd has no '%s' event\n", names[i]);
			continue;
		}
		if (rc)
			return ctl_call_error(names[i], rc);
	}
	return CTL_OK;
}

/* The end of a stream: the time limit (ok) or oakd gone. */
static int stream_end(int rc)
{
	if (rc == 0)
		return CTL_OK;
	if (rc == -ECONNRESET)
		fprintf(stderr, "oakctl: oakd at %s closed the connection\n", ctl_opts.socket);
	else if (rc != -EBADMSG)
		fprintf(stderr, "oakctl: reading events failed: %s\n", strerror(-rc));
	return rc == -EBADMSG ? CTL_FAILED : CTL_UNREACHABLE;
}

int monitor_main(int argc, char *argv[])
{
	struct vici_node *res = NULL;
	struct vici_conn *c;
	int rc;

	if (argc > 1) {
		bool help = is_help(argc, argv);

		fprintf(help ? stdout : stderr,
			"Usage: oakctl [-s SOCKET] [-j] [-t SECS] monitor\n"
			"Show the SAs present, then every SA that comes up, goes down or is "
			"rekeyed, as it happens\n(for SECS seconds, else until interrupted).\n");
		return help ? CTL_OK : CTL_USAGE;
	}
	c = vici_conn_open();
	if (!c)
		return CTL_UNREACHABLE;
	/* updown first: no SA change between the snapshot and the stream is lost */
	rc = register_events(c, sa_events, ARRAY_SIZE(sa_events), 2);
	if (rc == CTL_OK) {
		rc = vici_conn_register(c, "list-sa");
		if (!rc)
			rc = vici_call(c, "list-sas", NULL, monitor_event, NULL, &res);
		vici_node_free(res);
		rc = rc ? ctl_call_error("list-sas", rc) : CTL_OK;
	}
	if (rc == CTL_OK)
		rc = stream_end(vici_conn_listen(c, monitor_event, NULL));
	vici_conn_close(c);
	return rc;
}

/* log event: { group, level, thread, ikesa-name, ikesa-uniqueid, msg } */
static void log_event(void *arg, const char *name, const struct vici_node *msg)
{
	const char *id = vici_find_str(msg, "ikesa-uniqueid", NULL);
	char time[40];

	(void)arg;
	if (strcmp(name, "log") != 0)
		return;
	now_str(time, sizeof(time));
	if (ctl_opts.json) {
		json_t *j = json_pack("{s:s, s:s, s:i}", "time", time, "group",
				      vici_find_str(msg, "group", ""), "level",
				      (int)strtol(vici_find_str(msg, "level", "0"), NULL, 10));

		if (vici_find_str(msg, "ikesa-name", NULL))
			json_object_set_new(j, "ikesa-name",
					    json_string(vici_find_str(msg, "ikesa-name", "")));
		if (id)
			json_object_set_new(j, "ikesa-uniqueid",
					    json_integer(strtol(id, NULL, 10)));
		json_object_set_new(j, "msg", json_string(vici_find_str(msg, "msg", "")));
		ctl_json_line(j);
		return;
	}
	printf("%s [%s] %s\n", time, vici_find_str(msg, "group", "   "),
	       vici_find_str(msg, "msg", ""));
	fflush(stdout);
}

int log_main(int argc, char *argv[])
{
	static const char *const ev[] = {"log"};
	struct vici_conn *c;
	int rc;

	if (argc > 1) {
		bool help = is_help(argc, argv);

		fprintf(help ? stdout : stderr,
			"Usage: oakctl [-s SOCKET] [-j] [-t SECS] log\n"
			"Stream oakd's log lines (for SECS seconds, else until interrupted); "
			"oakd's daemon.log\nlevels decide which lines there are.\n");
		return help ? CTL_OK : CTL_USAGE;
	}
	c = vici_conn_open();
	if (!c)
		return CTL_UNREACHABLE;
	rc = register_events(c, ev, 1, 1);
	if (rc == CTL_OK)
		rc = stream_end(vici_conn_listen(c, log_event, NULL));
	vici_conn_close(c);
	return rc;
}
