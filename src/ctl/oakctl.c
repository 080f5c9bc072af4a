/* oakctl.c: the command-line client of oakd. One function per verb and a
 * table of name, function and help text (wireguard-tools' wg.c style): a new
 * verb is one line here and its own file. Verbs that need no daemon (decode)
 * work without one. */
#include <stdio.h>
#include <string.h>

#include "ctl/decode.h"
#include "ctl/vici_client.h"
#include "lib/util.h"

#ifndef OAK_VERSION
#define OAK_VERSION "0.1.0"
#endif

static int version_main(int argc, char *argv[]);
static int help_main(int argc, char *argv[]);

static const struct verb {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} verbs[] = {
	{"decode", decode_main,
	 "Print and decrypt IKE messages from hex, a pcap or a golden capture"},
	{"check-config", check_config_main, "Check a configuration file (no daemon needed)"},
	{"status", status_main, "One line per IKE SA and CHILD SA"},
	{"show", show_main, "Show sas, conns, certs, policies, counters or algs"},
	{"up", up_main, "Start a connection and follow its log"},
	{"down", down_main, "Delete IKE or CHILD SAs by name or number"},
	{"rekey", rekey_main, "Rekey (or reauthenticate) IKE or CHILD SAs"},
	{"reload", reload_main, "Make oakd re-read its configuration"},
	{"monitor", monitor_main, "Watch SAs come, go and rekey, live"},
	{"log", log_main, "Stream oakd's log"},
	{"metrics", metrics_main, "SAs and counters in Prometheus' text format"},
	{"version", ctl_version_main, "Print oakctl's and oakd's versions"},
	{"help", help_main, "Show this help"},
};

static const char *prog = "oakctl";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-s|--socket PATH] [-j|--json] [-t|--timeout SECS] <verb> [<args>]\n\n"
		"Verbs:\n",
		prog);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f,
		"\n'%s <verb> --help' describes a verb's arguments.\n"
		"Exit codes: 0 ok, 1 failed, 2 usage or configuration error, 3 oakd unreachable.\n",
		prog);
}

static int version_main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	printf("oakctl %s\n", OAK_VERSION);
	return 0;
}

static int help_main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc > 0 && argv[0][0])
		prog = argv[0];
	int first = ctl_opts_parse(argc, argv); /* global options before the verb */
	if (first < 0)
		return 2;
	argc -= first - 1;
	argv += first - 1;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return help_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0)
		return version_main(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown verb '%s'\n\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
