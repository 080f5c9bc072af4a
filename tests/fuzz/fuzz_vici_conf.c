/* fuzz_vici_conf: a VICI message (a request's body) as load-conn,
 * load-shared, load-cert and load-key read it (vici_conf.h), then merged into
 * a config tree and checked and built as oakd does before it applies what a
 * client loaded. Nothing may crash, leak or read out of bounds; whatever
 * vici_conf accepts must merge, and a copy of the set must unload the same
 * connections. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "conf/schema.h"
#include "vici/vici_conf.h"
#include "vici/vici_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void unload(const char *name, void *arg)
{
	char err[256];

	if (vici_conf_unload_conn(arg, name, err, sizeof(err)) != 0)
		abort(); /* a name get-conns lists must unload */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_node *root = NULL;
	struct vici_conf *c, *d;
	struct conf_tree *t;
	struct oak_config *cfg = NULL;
	struct certs_blob *blobs;
	struct conf_err errs[1];
	char err[512];
	size_t n;

	if (size > VICI_MAX_PACKET || vici_msg_parse(data, size, &root, NULL))
		return 0;
	c = vici_conf_new();
	if (!c)
		abort();
	for (const struct vici_node *m = root->child; m; m = m->next)
		if (m->type == VICI_NODE_SECTION)
			vici_conf_load_conn(c, m, err, sizeof(err));
	vici_conf_load_shared(c, root, err, sizeof(err));
	vici_conf_load_cert(c, root, err, sizeof(err));
	vici_conf_load_key(c, root, err, sizeof(err));
	blobs = vici_conf_blob_list(c, &n);
	free(blobs);
	t = conf_tree_new();
	if (!t || vici_conf_merge(c, t) != 0)
		abort();
	if (conf_schema_check(t, errs, 1) != 0)
		conf_tree_free(t);
	else if (conf_model_build(t, &cfg, errs) == 0) /* adopts t */
		oak_config_unref(cfg);
	d = vici_conf_dup(c);
	if (!d)
		abort();
	vici_conf_conns(c, unload, d);
	vici_conf_clear_creds(d);
	vici_conf_free(d);
	vici_conf_free(c);
	vici_node_free(root);
	return 0;
}
