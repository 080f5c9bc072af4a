/* checkconf.c: `oakctl check-config [FILE]`: check a configuration file
 * without a daemon (before a reload or an install), with the parser, key
 * schema and policy model oakd itself uses (conf/). Every schema error is
 * printed as FILE:LINE: MESSAGE; exit 0 when the file is fine, 2 when not.
 * What only oakd can check (its kernel backends, loading the certificate and
 * key files) is left to `oakd --check-config` and to the reload itself. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "conf/model.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include "ctl/vici_client.h"

#define CHECK_DEFAULT_CONFIG "/etc/oak/oak.conf"
#define CHECK_MAX_ERRORS     64

struct check {
	const char *path;
	struct conf_err errs[CHECK_MAX_ERRORS];
	size_t nerrs, total; /* kept, found */
	size_t nconns, nsecrets;
};

static void add_err(struct check *ck, const struct conf_err *e)
{
	if (ck->nerrs < CHECK_MAX_ERRORS)
		ck->errs[ck->nerrs++] = *e;
	ck->total++;
}

/* Parse, check the schema (every error), build the model (the first error). */
static void check_file(struct check *ck)
{
	struct conf_tree *t = NULL;
	struct oak_config *cfg = NULL;
	struct conf_err err;
	size_t n;

	if (conf_parse_file(ck->path, &t, &err) != 0) {
		add_err(ck, &err);
		return;
	}
	n = conf_schema_check(t, ck->errs, CHECK_MAX_ERRORS);
	if (n) {
		ck->nerrs = n < CHECK_MAX_ERRORS ? n : CHECK_MAX_ERRORS;
		ck->total = n;
		conf_tree_free(t);
		return;
	}
	/* conf_model_build adopts the tree, also on error */
	if (conf_model_build(t, &cfg, &err) != 0) {
		add_err(ck, &err);
		return;
	}
	ck->nconns = cfg->nconns;
	ck->nsecrets = cfg->npsks + cfg->nprivate_keys;
	oak_config_unref(cfg);
}

static void print_json(const struct check *ck)
{
	json_t *errs = json_array();

	for (size_t i = 0; i < ck->nerrs; i++)
		json_array_append_new(errs,
				      json_pack("{s:s, s:i, s:s}", "file", ck->errs[i].file, "line",
						ck->errs[i].line, "message", ck->errs[i].msg));
	ctl_json_print(json_pack("{s:s, s:b, s:I, s:I, s:I, s:o}", "file", ck->path, "valid",
				 ck->total == 0, "connections", (json_int_t)ck->nconns, "secrets",
				 (json_int_t)ck->nsecrets, "error-count", (json_int_t)ck->total,
				 "errors", errs));
}

int check_config_main(int argc, char *argv[])
{
	static struct check ck; /* 64 errors of 512 bytes: not on the stack */
	char line[600];

	memset(&ck, 0, sizeof(ck));
	ck.path = CHECK_DEFAULT_CONFIG;
	if (argc == 3 && (strcmp(argv[1], "-c") == 0 || strcmp(argv[1], "--config") == 0))
		ck.path = argv[2];
	else if (argc == 2 && argv[1][0] != '-')
		ck.path = argv[1];
	else if (argc != 1) {
		bool help =
			argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);

		fprintf(help ? stdout : stderr,
			"Usage: oakctl [-j] check-config [[-c] FILE]\n"
			"Check oakd's configuration file (default " CHECK_DEFAULT_CONFIG
			") without a daemon;\nerrors are printed as FILE:LINE: MESSAGE "
			"and exit with 2.\n");
		return help ? CTL_OK : CTL_USAGE;
	}
	check_file(&ck);
	if (ctl_opts.json) {
		print_json(&ck);
	} else if (ck.total == 0) {
		printf("%s: configuration OK: %zu connections, %zu secrets\n", ck.path, ck.nconns,
		       ck.nsecrets);
	} else {
		for (size_t i = 0; i < ck.nerrs; i++)
			fprintf(stderr, "%s\n", conf_err_str(&ck.errs[i], line, sizeof(line)));
		if (ck.total > ck.nerrs)
			fprintf(stderr, "... and %zu more errors\n", ck.total - ck.nerrs);
	}
	return ck.total == 0 ? CTL_OK : CTL_USAGE;
}
