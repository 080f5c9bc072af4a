/* parse.h: read swanctl.conf-grammar files into a struct conf_tree.
 *
 * The grammar (strongswan.conf(5) of strongSwan 5.9.8):
 *   statements := (section | setting | include | NEWLINE)*
 *   section    := NAME [':' refs] NEWLINE* '{' statements '}'
 *   refs       := absname (',' absname)*      absname := name('.'name)*
 *   setting    := NAME '=' value               (value to the end of the line)
 *   include    := "include" PATTERN
 * Repeated sections merge and a repeated key takes the later value. A section
 * "name : a, b" inherits the keys and sections of the sections a and b
 * (absolute dot paths from the top, found anywhere in the configuration,
 * earlier or later), unless it sets them itself; inheritance is transitive.
 *
 * include PATTERN reads files relative to the directory of the including file
 * (or absolute), into the section the include statement is in. A PATTERN with
 * wildcards (* ? [) that matches nothing is ignored, as strongSwan does (so
 * including the *.conf files of an empty conf.d is fine); a plain file name that
 * does not exist is an error (strongSwan ignores it, oak says so). Includes
 * nest up to CONF_MAX_INCLUDE_DEPTH files deep; a file that includes itself,
 * directly or not, is an error. Every file must close the sections it opens.
 *
 * Parsing is all or nothing: on any error no tree is returned, so a reload
 * keeps the running configuration. The error says file, line and what was
 * expected, e.g. "oak.conf:12: expected '=' or '{' after 'proposals'".
 */
#ifndef OAK_CONF_PARSE_H
#define OAK_CONF_PARSE_H

#include <stddef.h>

#include "conf/tree.h"

#define CONF_MAX_INCLUDE_DEPTH 16 /* files open at once, the first one counted */
#define CONF_MAX_SECTION_DEPTH 32 /* sections nested in sections */
#define CONF_MAX_FILE_SIZE     (16 << 20)
#define CONF_MAX_NODES	       200000 /* after references are resolved */

/* Parse the file at path (and what it includes). On success *out is the tree
 * (caller frees with conf_tree_free) and 0 is returned; else *out is NULL, err
 * is filled and a negative errno returned (-EINVAL syntax or references,
 * -ENOENT/-EACCES/... a file, -ELOOP include cycle or depth, -E2BIG too
 * large, -ENOMEM). path and err are borrowed. */
int conf_parse_file(const char *path, struct conf_tree **out, struct conf_err *err);

/* Parse text (NUL-terminated; borrowed) named `name` in messages. The same as
 * conf_parse_file but include statements are an error: a string has no
 * directory to resolve them against, and a fuzzer must not read files. */
int conf_parse_string(const char *name, const char *text, struct conf_tree **out,
		      struct conf_err *err);
/* The same for len bytes that may hold NUL (reported as an error). */
int conf_parse_buf(const char *name, const char *text, size_t len, struct conf_tree **out,
		   struct conf_err *err);

#endif
