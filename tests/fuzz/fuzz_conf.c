/* fuzz_conf: arbitrary bytes through the swanctl.conf parser, the schema check
 * and the typed readers, then freed. Includes are refused for text, so no input
 * makes the parser read files. Checks the parser's promises: a tree or an
 * error with a message, never both, and every node carries a file and a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/parse.h"
#include "conf/schema.h"
#include "conf/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct conf_node *n, int depth)
{
	const struct conf_node *c;
	struct conf_list l;
	uint64_t u;
	bool b;

	if ((n->parent && (!n->file || n->line < 1)) || depth > CONF_MAX_SECTION_DEPTH + 1)
		abort();
	if (!conf_is_section(n)) {
		/* the typed readers must cope with any value */
		conf_node_bool(n, &b, NULL);
		conf_node_time(n, &u, NULL);
		conf_node_bytes(n, &u, NULL);
		if (conf_node_list(n, &l, NULL) == 0)
			conf_list_free(&l);
		return;
	}
	conf_foreach(c, n)
	{
		if (c->parent != n)
			abort();
		walk(c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_tree *t = (struct conf_tree *)&t;
	struct conf_err err, errs[4];
	char *text;
	int rc;

	/* as bytes (NUL included) and as the C string before the first NUL */
	rc = conf_parse_buf("fuzz.conf", (const char *)data, size, &t, &err);
	if ((rc == 0) != (t != NULL) || (rc != 0 && !err.msg[0]))
		abort();
	if (t) {
		walk(t->root, 0);
		conf_schema_check(t, errs, 4);
		conf_tree_free(t);
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (conf_parse_string("fuzz.conf", text, &t, &err) == 0)
		conf_tree_free(t);
	free(text);
	return 0;
}
