/* metrics.c: `oakctl metrics` (Prometheus text exposition format 0.0.4, for
 * node_exporter's textfile collector or a scrape wrapper) and `oakctl show
 * counters`, both from VICI stats, list-sas and, when oakd has it,
 * get-counters (strongSwan's counters plugin format).
 *
 * The families: oak_up; oak_ike_sas{state}, oak_child_sas{state} (SAs now,
 * by state); oak_ike_sas_half_open; oak_workers{state}; per CHILD SA
 * oak_child_sa_bytes_total and oak_child_sa_packets_total {ike, child,
 * uniqueid, direction}; oak_counter_total{conn, name} for each get-counters
 * value (established, failed by reason, ... as oakd counts them). With
 * --json the same samples as [{"name", "labels", "value"}].
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/vici_client.h"
#include "lib/util.h"

enum fam {
	FAM_UP,
	FAM_IKE_SAS,
	FAM_CHILD_SAS,
	FAM_HALF_OPEN,
	FAM_WORKERS,
	FAM_BYTES,
	FAM_PACKETS,
	FAM_COUNTER,
	FAM_COUNT
};

static const struct {
	const char *name, *type, *help;
} fams[FAM_COUNT] = {
	[FAM_UP] = {"oak_up", "gauge", "Whether oakd answered on its VICI socket."},
	[FAM_IKE_SAS] = {"oak_ike_sas", "gauge", "IKE SAs by state."},
	[FAM_CHILD_SAS] = {"oak_child_sas", "gauge", "CHILD SAs by state."},
	[FAM_HALF_OPEN] = {"oak_ike_sas_half_open", "gauge",
			   "IKE SAs not yet established (half-open)."},
	[FAM_WORKERS] = {"oak_workers", "gauge", "Crypto worker threads by state."},
	[FAM_BYTES] = {"oak_child_sa_bytes_total", "counter",
		       "Bytes through a CHILD SA, by direction (where the kernel reports them)."},
	[FAM_PACKETS] =
		{"oak_child_sa_packets_total", "counter",
		 "Packets through a CHILD SA, by direction (where the kernel reports them)."},
	[FAM_COUNTER] = {"oak_counter_total", "counter",
			 "oakd's event counters (get-counters), per connection."},
};

struct sample {
	enum fam fam;
	char labels[600]; /* `k="v",k="v"`, escaped */
	long long value;
};

struct metrics {
	struct sample *s;
	size_t n, cap;
	bool oom;
};

/* Prometheus label values escape backslash, double quote and newline. */
static void esc(char *out, size_t len, const char *v)
{
	size_t o = 0;

	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			out[o++] = '\\';
		out[o++] = *v == '\n' ? 'n' : *v;
	}
	out[o] = '\0';
}

/* Add a sample with up to two label pairs per call of `l` (k1, v1, ...,
 * NULL). Samples with the same family and labels are summed. */
static void add(struct metrics *m, enum fam f, long long v, const char *const *l)
{
	char labels[600] = "", e[260];
	size_t off = 0;

	for (size_t i = 0; l && l[i] && l[i + 1]; i += 2) {
		esc(e, sizeof(e), l[i + 1]);
		off += (size_t)snprintf(labels + off, sizeof(labels) - MIN(off, sizeof(labels)),
					"%s%s=\"%s\"", off ? "," : "", l[i], e);
		if (off >= sizeof(labels))
			break;
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->s[i].fam == f && strcmp(m->s[i].labels, labels) == 0) {
			m->s[i].value += v;
			return;
		}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct sample *s = realloc(m->s, cap * sizeof(*s));

		if (!s) {
			m->oom = true;
			return;
		}
		m->s = s;
		m->cap = cap;
	}
	m->s[m->n].fam = f;
	snprintf(m->s[m->n].labels, sizeof(m->s[m->n].labels), "%s", labels);
	m->s[m->n++].value = v;
}

static long long num(const struct vici_node *sec, const char *key)
{
	return strtoll(vici_find_str(sec, key, "0"), NULL, 10);
}

static void child_metrics(struct metrics *m, const struct vici_node *sa, const struct vici_node *ch)
{
	static const char *const dir[2] = {"in", "out"};
	const char *name = vici_find_str(ch, "name", ch->name);
	const char *id = vici_find_str(ch, "uniqueid", "");

	add(m, FAM_CHILD_SAS, 1,
	    (const char *const[]){"state", vici_find_str(ch, "state", "UNKNOWN"), NULL});
	for (int d = 0; d < 2; d++) {
		char bk[16], pk[16];
		const char *const l[] = {"ike", sa->name,    "child", name, "uniqueid",
					 id,	"direction", dir[d],  NULL};

		snprintf(bk, sizeof(bk), "bytes-%s", dir[d]);
		snprintf(pk, sizeof(pk), "packets-%s", dir[d]);
		/* "where known": a backend that reports no counters sends no key */
		if (vici_find_str(ch, bk, NULL))
			add(m, FAM_BYTES, num(ch, bk), l);
		if (vici_find_str(ch, pk, NULL))
			add(m, FAM_PACKETS, num(ch, pk), l);
	}
}

static void sa_metrics(void *arg, const struct vici_node *sa)
{
	struct metrics *m = arg;
	const struct vici_node *chs = vici_member(sa, "child-sas");

	add(m, FAM_IKE_SAS, 1,
	    (const char *const[]){"state", vici_find_str(sa, "state", "UNKNOWN"), NULL});
	for (const struct vici_node *ch = chs ? chs->child : NULL; ch; ch = ch->next)
		if (ch->type == VICI_NODE_SECTION)
			child_metrics(m, sa, ch);
}

static void counter_metrics(struct metrics *m, const struct vici_node *sec, const char *conn)
{
	for (const struct vici_node *k = sec->child; k; k = k->next) {
		if (k->type == VICI_NODE_SECTION)
			counter_metrics(m, k, k->name);
		else if (k->type == VICI_NODE_KV)
			add(m, FAM_COUNTER, strtoll(k->value, NULL, 10),
			    (const char *const[]){"conn", conn, "name", k->name, NULL});
	}
}

/* stats, list-sas, get-counters: the exit code; *stats and *counters get the
 * responses (caller frees; counters NULL when oakd has no get-counters). */
static int collect(struct metrics *m, struct vici_node **stats, struct vici_node **counters)
{
	struct vici_builder req;
	int rc;

	*stats = *counters = NULL;
	rc = ctl_simple_call("stats", NULL, stats);
	if (rc != CTL_OK)
		return rc;
	rc = ctl_list_sas(NULL, sa_metrics, m);
	if (rc != CTL_OK)
		return rc;
	{
		struct vici_conn *c = vici_conn_open();

		if (!c)
			return CTL_UNREACHABLE;
		vici_build_msg(&req, 0);
		vici_add_kv_str(&req, "all", "yes");
		rc = vici_call(c, "get-counters", &req, NULL, NULL, counters);
		vici_conn_close(c);
	}
	if (rc == -ENOENT) /* an oakd without counters: the other families still hold */
		return CTL_OK;
	return rc ? ctl_call_error("get-counters", rc) : CTL_OK;
}

static void print_text(const struct metrics *m)
{
	for (int f = 0; f < FAM_COUNT; f++) {
		bool head = false;

		for (size_t i = 0; i < m->n; i++) {
			const struct sample *s = &m->s[i];

			if (s->fam != (enum fam)f)
				continue;
			if (!head)
				printf("# HELP %s %s\n# TYPE %s %s\n", fams[f].name, fams[f].help,
				       fams[f].name, fams[f].type);
			head = true;
			printf("%s%s%s%s %lld\n", fams[f].name, s->labels[0] ? "{" : "", s->labels,
			       s->labels[0] ? "}" : "", s->value);
		}
	}
}

/* labels `k="v",...` back to an object (values were escaped by esc()). */
static json_t *labels_json(const char *l)
{
	json_t *o = json_object();
	char key[64], val[600];

	while (*l) {
		size_t k = strcspn(l, "="), v = 0;

		snprintf(key, sizeof(key), "%.*s", (int)MIN(k, sizeof(key) - 1), l);
		l += k + 2; /* =" */
		while (*l && *l != '"' && v + 1 < sizeof(val)) {
			if (*l == '\\' && l[1]) {
				l++;
				val[v++] = *l == 'n' ? '\n' : *l;
			} else {
				val[v++] = *l;
			}
			l++;
		}
		val[v] = '\0';
		json_object_set_new(o, key, json_string(val));
		l += *l == '"';
		l += *l == ',';
	}
	return o;
}

static void print_json(const struct metrics *m)
{
	json_t *arr = json_array();

	for (int f = 0; f < FAM_COUNT; f++)
		for (size_t i = 0; i < m->n; i++)
			if (m->s[i].fam == (enum fam)f)
				json_array_append_new(
					arr, json_pack("{s:s, s:o, s:I}", "name", fams[f].name,
						       "labels", labels_json(m->s[i].labels),
						       "value", (json_int_t)m->s[i].value));
	ctl_json_print(arr);
}

int metrics_main(int argc, char *argv[])
{
	struct metrics m = {0};
	struct vici_node *stats, *counters;
	int rc;

	if (argc > 1) {
		bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;

		fprintf(help ? stdout : stderr,
			"Usage: oakctl [-s SOCKET] [-j] [-t SECS] metrics\n"
			"oakd's SAs and counters in Prometheus' text format (oak_up 0 and exit 3 "
			"when oakd is down).\n");
		return help ? CTL_OK : CTL_USAGE;
	}
	rc = collect(&m, &stats, &counters);
	m.n = rc == CTL_OK ? m.n : 0;
	add(&m, FAM_UP, rc == CTL_OK, NULL);
	if (rc == CTL_OK) {
		const struct vici_node *ike = vici_member(stats, "ikesas");
		const struct vici_node *w = vici_member(stats, "workers");

		add(&m, FAM_HALF_OPEN, ike ? num(ike, "half-open") : 0, NULL);
		if (w) {
			add(&m, FAM_WORKERS, num(w, "total"),
			    (const char *const[]){"state", "total", NULL});
			add(&m, FAM_WORKERS, num(w, "idle"),
			    (const char *const[]){"state", "idle", NULL});
		}
		if (counters)
			counter_metrics(&m,
					vici_member(counters, "counters")
						? vici_member(counters, "counters")
						: counters,
					"");
	}
	if (m.oom) {
		fprintf(stderr, "oakctl: metrics: out of memory\n");
		rc = CTL_FAILED;
	} else if (ctl_opts.json) {
		print_json(&m);
	} else {
		print_text(&m);
	}
	vici_node_free(stats);
	vici_node_free(counters);
	free(m.s);
	return rc;
}

/* ---- show counters: swanctl --stats plus get-counters ---- */

static void print_counters(const struct vici_node *stats, const struct vici_node *counters)
{
	char buf[1024];

	printf("uptime: %s, since %s\n", vici_find_str(stats, "uptime.running", "?"),
	       vici_find_str(stats, "uptime.since", "?"));
	printf("worker threads: %s total, %s idle\n", vici_find_str(stats, "workers.total", "?"),
	       vici_find_str(stats, "workers.idle", "?"));
	printf("IKE_SAs: %s total, %s half-open\n", vici_find_str(stats, "ikesas.total", "?"),
	       vici_find_str(stats, "ikesas.half-open", "?"));
	printf("loaded plugins: %s\n", ctl_join_list(stats, "plugins", " ", buf, sizeof(buf)));
	if (!counters) {
		printf("counters: this oakd has no get-counters\n");
		return;
	}
	const struct vici_node *c = vici_member(counters, "counters");

	for (const struct vici_node *sec = c ? c->child : NULL; sec; sec = sec->next) {
		if (sec->type != VICI_NODE_SECTION)
			continue;
		printf("counters of %s:\n", sec->name);
		for (const struct vici_node *k = sec->child; k; k = k->next)
			if (k->type == VICI_NODE_KV)
				printf("  %-24s %s\n", k->name, k->value);
	}
}

int ctl_show_counters(int argc, char *argv[])
{
	struct vici_node *stats = NULL, *counters = NULL;
	struct vici_builder req;
	struct vici_conn *c;
	int rc;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "Usage: oakctl [-s SOCKET] [-j] show counters\n");
		return CTL_USAGE;
	}
	rc = ctl_simple_call("stats", NULL, &stats);
	if (rc != CTL_OK)
		return rc;
	c = vici_conn_open();
	if (!c) {
		vici_node_free(stats);
		return CTL_UNREACHABLE;
	}
	vici_build_msg(&req, 0);
	vici_add_kv_str(&req, "all", "yes");
	rc = vici_call(c, "get-counters", &req, NULL, NULL, &counters);
	vici_conn_close(c);
	rc = rc == -ENOENT ? CTL_OK : rc ? ctl_call_error("get-counters", rc) : CTL_OK;
	if (rc == CTL_OK && ctl_opts.json) {
		json_t *j = ctl_json_section(stats);

		json_object_set_new(j, "counters",
				    counters && vici_member(counters, "counters")
					    ? ctl_json_section(vici_member(counters, "counters"))
					    : json_null());
		ctl_json_print(j);
	} else if (rc == CTL_OK) {
		print_counters(stats, counters);
	}
	vici_node_free(stats);
	vici_node_free(counters);
	return rc;
}
