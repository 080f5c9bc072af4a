#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/log.h"

size_t th_hex(uint8_t *out, size_t cap, const char *hex)
{
	long n = hex_decode(out, cap, hex);

	if (n < 0)
		fail_msg("bad hex or too long for %zu bytes: %.60s", cap, hex);
	return (size_t)n;
}

uint8_t *th_hex_alloc(const char *hex, size_t *len)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *p = malloc(cap);

	assert_non_null(p);
	*len = th_hex(p, cap, hex);
	return p;
}

static void dump(const char *label, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	fprintf(stdout, "%s (%zu bytes): ", label, n);
	for (i = 0; i < n; i++)
		fprintf(stdout, "%02x", b[i]);
	fprintf(stdout, "\n");
}

void th_assert_bytes(const void *got, size_t got_len, const void *want, size_t want_len,
		     const char *what)
{
	/* no memcmp on empty spans: their pointers may be NULL */
	if (got_len == want_len && (got_len == 0 || memcmp(got, want, got_len) == 0))
		return;
	fprintf(stdout, "mismatch in %s\n", what);
	dump("  got ", got, got_len);
	dump("  want", want, want_len);
	fail_msg("%s differs", what);
}

void th_assert_hex_(const void *got, size_t got_len, const char *hex, const char *what)
{
	size_t n;
	uint8_t *want = th_hex_alloc(hex, &n);

	th_assert_bytes(got, got_len, want, n, what);
	free(want);
}

const char *th_src_path(const char *rel)
{
	static char buf[4096];
	const char *root = getenv("OAK_SRCDIR");

	snprintf(buf, sizeof(buf), "%s/%s", root ? root : ".", rel);
	return buf;
}

void kv_load(struct kv_file *f, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *eq, *k, *v, *end;
	size_t cap = 0;
	int lineno = 0, record = 0, in_record = 0;

	memset(f, 0, sizeof(*f));
	if (!fp)
		fail_msg("cannot open %s", path);
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		k = line + strspn(line, " \t");
		if (*k == '\0') {
			if (in_record)
				record++;
			in_record = 0;
			continue;
		}
		if (*k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			fail_msg("%s:%d: expected key = value", path, lineno);
		v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = eq;
		while (end > k && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		f->items = realloc(f->items, (f->count + 1) * sizeof(*f->items));
		assert_non_null(f->items);
		f->items[f->count].key = strdup(k);
		f->items[f->count].value = strdup(v);
		f->items[f->count].record = record;
		f->items[f->count].line = lineno;
		f->count++;
		in_record = 1;
	}
	f->records = record + in_record;
	free(line);
	fclose(fp);
}

void kv_free(struct kv_file *f)
{
	size_t i;

	for (i = 0; i < f->count; i++) {
		free(f->items[i].key);
		free(f->items[i].value);
	}
	free(f->items);
	memset(f, 0, sizeof(*f));
}

const char *kv_get(const struct kv_file *f, int record, const char *key)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		if (f->items[i].record == record && strcmp(f->items[i].key, key) == 0)
			return f->items[i].value;
	return NULL;
}

static char *cap_buf;
static size_t cap_len;

static void cap_sink(void *ctx, enum log_sub sub, enum log_level lvl, const char *line)
{
	size_t n = strlen(line);

	(void)ctx;
	(void)sub;
	(void)lvl;
	cap_buf = realloc(cap_buf, cap_len + n + 2);
	if (!cap_buf)
		abort();
	memcpy(cap_buf + cap_len, line, n);
	cap_len += n;
	cap_buf[cap_len++] = '\n';
	cap_buf[cap_len] = '\0';
	fprintf(stdout, "log: %s\n", line);
}

void logcap_start(void)
{
	free(cap_buf);
	cap_buf = calloc(1, 1);
	cap_len = 0;
	log_set_sink(cap_sink, NULL);
}

void logcap_stop(void)
{
	log_set_sink(NULL, NULL);
}

int logcap_contains(const char *needle)
{
	return cap_buf && strstr(cap_buf, needle) != NULL;
}

const char *logcap_text(void)
{
	return cap_buf ? cap_buf : "";
}
