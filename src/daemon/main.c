/* main.c: oakd's command line.
 *
 *   oakd [-F|--foreground] [-c|--config FILE] [--check-config]
 *        [--debug SUB=LEVEL ...] [--user USER] [--version]
 *
 * Exit codes: 0 clean stop or configuration OK; 1 start-up failure (one
 * line says what: the config's first error, a socket that cannot be bound,
 * ...); 2 usage error or --check-config found errors (each printed as
 * FILE:LINE: MESSAGE on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf/model.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include "daemon/journal.h"
#include "daemon/loop.h"
#include "daemon/privs.h"
#include "lib/htab.h"
#include "lib/log.h"

#ifndef OAK_VERSION
#define OAK_VERSION "unknown"
#endif

#define OAKD_DEFAULT_CONFIG "/etc/oak/oak.conf"
#define OAKD_MAX_ERRORS	    64
#define OAKD_MAX_DEBUG	    32

enum {
	OPT_CHECK = 256,
	OPT_DEBUG,
	OPT_VERSION,
	OPT_USER,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: oakd [-F|--foreground] [-c|--config FILE] [--check-config]\n"
		   "            [--debug SUB=LEVEL ...] [--version]\n"
		   "  -F, --foreground   stay in the foreground and log to stderr\n"
		   "  -c, --config FILE  configuration file (default " OAKD_DEFAULT_CONFIG ")\n"
		   "  --check-config     check the configuration, print every error, and exit\n"
		   "  --debug SUB=LEVEL  log level of a subsystem (or all): err, warn, notice,\n"
		   "                     info, debug, trace; may be repeated\n"
		   "  --user USER        run as USER with CAP_NET_ADMIN only (started as root)\n"
		   "  --version          print the version and exit\n");
}

/* Parse, check and build the config at path. With all_errors every error
 * goes to stderr (for --check-config), else the first one is logged. */
static struct oak_config *load(const char *path, bool all_errors)
{
	struct conf_tree *t = NULL;
	struct conf_err errs[OAKD_MAX_ERRORS], err;
	struct oak_config *cfg = NULL;
	char line[600];
	size_t n;

	if (conf_parse_file(path, &t, &err) == 0) {
		n = conf_schema_check(t, errs, all_errors ? OAKD_MAX_ERRORS : 1);
		if (n == 0) {
			if (conf_model_build(t, &cfg, &err) == 0 && oakd_check_config(cfg, &err)) {
				oak_config_unref(cfg);
				cfg = NULL;
			}
			if (cfg)
				return cfg;
		} else {
			conf_tree_free(t);
			if (!all_errors) {
				err = errs[0];
			} else {
				for (size_t i = 0; i < n && i < OAKD_MAX_ERRORS; i++)
					fprintf(stderr, "%s\n",
						conf_err_str(&errs[i], line, sizeof(line)));
				if (n > OAKD_MAX_ERRORS)
					fprintf(stderr, "... and %zu more errors\n",
						n - OAKD_MAX_ERRORS);
				return NULL;
			}
		}
	}
	conf_err_str(&err, line, sizeof(line));
	if (all_errors)
		fprintf(stderr, "%s\n", line);
	else
		log_err(SUB_CFG, "cannot load the configuration: %s", line);
	return NULL;
}

static void syslog_sink(void *ctx, enum log_sub sub, enum log_level lvl, const char *line)
{
	syslog(lvl > LVL_DEBUG ? LOG_DEBUG : (int)lvl, "[%s] %s", log_sub_name(sub), line);
}

struct cli {
	bool foreground, check;
	const char *config, *user; /* --user: privs.h */
	const char *debug[OAKD_MAX_DEBUG];
	size_t ndebug;
};

/* 0 to go on, else the exit code (+1, as 0 means go on). */
static int parse_args(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'F'},
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"debug", required_argument, NULL, OPT_DEBUG},
		{"version", no_argument, NULL, OPT_VERSION},
		{"user", required_argument, NULL, OPT_USER},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	cli->config = OAKD_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "Fc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			cli->foreground = true;
			break;
		case 'c':
			cli->config = optarg;
			break;
		case OPT_CHECK:
			cli->check = true;
			break;
		case OPT_DEBUG:
			/* checked now, so a typo is a usage error, not a silent no-op */
			if (cli->ndebug == OAKD_MAX_DEBUG || log_set_level_spec(optarg) < 0) {
				fprintf(stderr,
					"oakd: --debug: expected SUB=LEVEL (e.g. ike=debug), "
					"got '%s'\n",
					optarg);
				return 2 + 1;
			}
			cli->debug[cli->ndebug++] = optarg;
			break;
		case OPT_USER:
			cli->user = optarg;
			break;
		case OPT_VERSION:
			printf("oakd %s\n", OAK_VERSION);
			return 0 + 1;
		case 'h':
			usage(stdout);
			return 0 + 1;
		default:
			usage(stderr);
			return 2 + 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "oakd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2 + 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	struct oakd_opts opts;
	struct oak_config *cfg;
	struct oakd *d;
	char *user = NULL; /* daemon.user, copied */
	struct journal *journal = NULL;
	int rc = parse_args(argc, argv, &cli);

	if (rc)
		return rc - 1;
	opts = (struct oakd_opts){
		.config_path = cli.config, .debug = cli.debug, .ndebug = cli.ndebug};
	hash_seed_random();
	if (cli.check) {
		cfg = load(cli.config, true);
		if (!cfg)
			return 2;
		printf("configuration OK: %zu connections, %zu secrets\n", cfg->nconns,
		       cfg->npsks + cfg->nprivate_keys);
		oak_config_unref(cfg);
		return 0;
	}
	/* under systemd: journal entries with fields, else "<3>..." prefixes */
	if (log_journal_stream() && (journal = journal_open(JOURNAL_SOCKET))) {
		log_set_sink(journal_sink, journal);
		opts.log_sink = journal_sink;
		opts.log_sink_ctx = journal;
	} else {
		log_stderr_prefix(log_journal_stream());
	}
	oakd_apply_log_levels(NULL, &opts);
	cfg = load(cli.config, false);
	if (!cfg)
		return 1;
	oakd_apply_log_levels(cfg, &opts);
	if (!cli.foreground) {
		if (daemon(0, 0) < 0) {
			log_err(SUB_DAEMON, "cannot become a daemon: %s", strerror(errno));
			oak_config_unref(cfg);
			return 1;
		}
		openlog("oakd", LOG_PID, LOG_DAEMON);
		log_set_sink(syslog_sink, NULL);
		opts.log_sink = syslog_sink;
	}
	/* --user wins over daemon.user; the config's value is read before
	 * oakd_start takes the config (a reload cannot change who we are) */
	if (!cli.user && cfg->daemon.user && !(user = strdup(cfg->daemon.user))) {
		oak_config_unref(cfg);
		return 1;
	}
	d = oakd_start(&opts, cfg);
	if (!d) {
		free(user);
		return 1;
	}
	if (privs_drop(cli.user ? cli.user : user)) {
		free(user);
		oakd_free(d);
		return 1;
	}
	free(user);
	rc = oakd_run(d);
	oakd_free(d);
	log_set_sink(NULL, NULL);
	journal_close(journal);
	return rc;
}
