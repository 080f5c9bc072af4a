/* status.c: `oakctl status`: one line per IKE SA and one per CHILD SA, for
 * a glance (show sas has the details; --json gives the same objects). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ctl/vici_client.h"

struct status_ctx {
	json_t *arr;
	size_t n;
};

/* "gw #1 ESTABLISHED IKEv2 192.0.2.1[500] 'moon' <-> 192.0.2.2[500] 'sun' ALGS 120s" */
static void print_ike_line(const struct vici_node *sa)
{
	char algs[256];

	printf("%s #%s %s IKEv%s %s[%s] '%s' <-> %s[%s] '%s'", sa->name,
	       vici_find_str(sa, "uniqueid", "?"), vici_find_str(sa, "state", "?"),
	       vici_find_str(sa, "version", "?"), vici_find_str(sa, "local-host", "?"),
	       vici_find_str(sa, "local-port", "?"), vici_find_str(sa, "local-id", ""),
	       vici_find_str(sa, "remote-host", "?"), vici_find_str(sa, "remote-port", "?"),
	       vici_find_str(sa, "remote-id", ""));
	if (vici_find_str(sa, "encr-alg", NULL))
		printf(" %s", ctl_fmt_algs(sa, algs, sizeof(algs)));
	if (vici_find_str(sa, "established", NULL))
		printf(" up %ss", vici_find_str(sa, "established", ""));
	printf("\n");
}

/* "  net #2 INSTALLED TUNNEL ESP 10.1.0.0/16 === 10.2.0.0/16 AES_GCM_16-128 in c1a2b3c4 out d4c3b2a1" */
static void print_child_line(const struct vici_node *ch)
{
	char algs[256], lts[512], rts[512];

	printf("  %s #%s %s %s %s %s === %s %s in %s out %s\n", vici_find_str(ch, "name", ch->name),
	       vici_find_str(ch, "uniqueid", "?"), vici_find_str(ch, "state", "?"),
	       vici_find_str(ch, "mode", "?"), vici_find_str(ch, "protocol", "?"),
	       ctl_join_list(ch, "local-ts", ",", lts, sizeof(lts)),
	       ctl_join_list(ch, "remote-ts", ",", rts, sizeof(rts)),
	       ctl_fmt_algs(ch, algs, sizeof(algs)), vici_find_str(ch, "spi-in", "?"),
	       vici_find_str(ch, "spi-out", "?"));
}

static void status_sa_cb(void *arg, const struct vici_node *sa)
{
	struct status_ctx *st = arg;
	const struct vici_node *children = vici_member(sa, "child-sas");

	st->n++;
	if (st->arr) {
		json_array_append_new(st->arr, ctl_json_sa(sa));
		return;
	}
	print_ike_line(sa);
	for (const struct vici_node *ch = children ? children->child : NULL; ch; ch = ch->next)
		if (ch->type == VICI_NODE_SECTION)
			print_child_line(ch);
}

int status_main(int argc, char *argv[])
{
	struct status_ctx st = {.arr = NULL};
	int rc;

	if (argc > 1) {
		bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;

		fprintf(help ? stdout : stderr, "Usage: oakctl [-s SOCKET] [-j] status\n"
						"One line per IKE SA and per CHILD SA.\n");
		return help ? CTL_OK : CTL_USAGE;
	}
	if (ctl_opts.json)
		st.arr = json_array();
	rc = ctl_list_sas(NULL, status_sa_cb, &st);
	if (rc != CTL_OK) {
		json_decref(st.arr);
		return rc;
	}
	if (st.arr)
		ctl_json_print(st.arr);
	else if (st.n == 0)
		printf("no IKE SAs\n");
	return CTL_OK;
}
