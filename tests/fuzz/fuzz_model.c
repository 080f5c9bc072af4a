/* fuzz_model: arbitrary bytes through the parser, the schema check and the
 * model build, then a PSK lookup and freeing. Checks the model's promises: a
 * config or an error with file, line and message, never both, and every
 * built connection and child carries its name, file and line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "conf/parse.h"
#include "conf/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct oak_config *c)
{
	struct ident any = {0};

	for (size_t i = 0; i < c->nconns; i++) {
		const struct conn_cfg *conn = &c->conns[i];

		if (!conn->file || conn->line < 1 || !conn->name[0] || conn->nike == 0 ||
		    conn->nike > PROPOSAL_MAX || conn->nlocal_addrs > MODEL_MAX_ADDRS ||
		    oak_config_conn(c, conn->name) == NULL)
			abort();
		for (size_t j = 0; j < conn->nchildren; j++) {
			const struct child_cfg *ch = &conn->children[j];

			/* exactly one of ESP and AH; rand_time defaults to life - rekey */
			if (!ch->file || ch->line < 1 || (ch->nesp == 0) == (ch->nah == 0) ||
			    ch->nlocal_ts > MODEL_MAX_TS || ch->nremote_ts > MODEL_MAX_TS)
				abort();
		}
	}
	for (size_t i = 0; i < c->npsks; i++)
		if (!c->psks[i].secret)
			abort();
	oak_config_psk(c, &any, &any);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_tree *t = NULL;
	struct oak_config *c = (struct oak_config *)&c;
	struct conf_err err, errs[1];
	int rc;

	if (conf_parse_buf("fuzz.conf", (const char *)data, size, &t, &err) != 0)
		return 0;
	/* the schema's verdict does not matter: the model must be safe on an
	 * unchecked tree too (conf_model_build trusts nothing) */
	conf_schema_check(t, errs, 1);
	rc = conf_model_build(t, &c, &err);
	if ((rc == 0) != (c != NULL) || (rc != 0 && (!err.msg[0] || err.line < 0)))
		abort();
	if (c) {
		check(c);
		oak_config_unref(oak_config_ref(c));
		oak_config_unref(c);
	}
	return 0;
}
