/* testutil.h: helpers shared by oak's cmocka tests. */
#ifndef OAK_TESTUTIL_H
#define OAK_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Decode hex (the test fails on bad hex or overflow); returns the byte count. */
size_t th_hex(uint8_t *out, size_t cap, const char *hex);
/* Decode hex into a fresh buffer (caller frees); *len gets its length. */
uint8_t *th_hex_alloc(const char *hex, size_t *len);
/* assert_memory_equal with a hex dump of both sides on mismatch. */
void th_assert_bytes(const void *got, size_t got_len, const void *want, size_t want_len,
		     const char *what);
#define th_assert_hex(got, got_len, hex) th_assert_hex_(got, got_len, hex, #got)
void th_assert_hex_(const void *got, size_t got_len, const char *hex, const char *what);

/* Path of a file in the source tree (OAK_SRCDIR, set by meson test). Static buffer. */
const char *th_src_path(const char *rel);

/* A "key = value" file (tests/vectors/...): '#' comments, blank lines, and
 * values up to the end of the line. Records are separated by blank lines. */
struct kv {
	char *key, *value;
	int record; /* 0-based record number */
	int line;
};
struct kv_file {
	struct kv *items;
	size_t count;
	int records;
};
/* Load (the test fails if the file cannot be read). */
void kv_load(struct kv_file *f, const char *path);
void kv_free(struct kv_file *f);
/* The value of key in record r, or NULL. */
const char *kv_get(const struct kv_file *f, int record, const char *key);

/* Capture log lines while a test runs. */
void logcap_start(void);
void logcap_stop(void);
/* Whether any captured line contains needle. */
int logcap_contains(const char *needle);
/* All captured lines, newline separated (borrowed). */
const char *logcap_text(void);

#endif
