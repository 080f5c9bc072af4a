/* test_lex: tokens of the swanctl.conf grammar, as strongSwan's lexer makes them. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/lex.h"
#include "conf/tree.h"

/* All tokens of text as "NAME(a) = VALUE(b) NL ..." (static buffer); on a
 * lexical error the string ends with "ERR" and *err is filled. */
static const char *tokens_n(const char *text, size_t len, struct conf_err *err)
{
	static char out[2048];
	static const char *const names[] = {
		[TOK_EOF] = "EOF",     [TOK_NEWLINE] = "NL",
		[TOK_NAME] = "NAME",   [TOK_EQ] = "=",
		[TOK_VALUE] = "VALUE", [TOK_LBRACE] = "{",
		[TOK_RBRACE] = "}",    [TOK_COLON] = ":",
		[TOK_COMMA] = ",",     [TOK_INCLUDE] = "INCLUDE",
	};
	struct conf_err scratch;
	struct lex_token t;
	struct lex lx;
	size_t used = 0;

	out[0] = '\0';
	lex_init(&lx, "t.conf", text, len);
	for (;;) {
		if (lex_next(&lx, &t, err ? err : &scratch) != 0) {
			snprintf(out + used, sizeof(out) - used, "ERR");
			break;
		}
		if (t.type == TOK_EOF)
			break;
		if (t.type == TOK_NAME || t.type == TOK_VALUE || t.type == TOK_INCLUDE)
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s(%s)@%d ",
						 names[t.type], t.text, t.line);
		else
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s ",
						 names[t.type]);
		assert_true(used < sizeof(out));
	}
	lex_free(&lx);
	return out;
}

static const char *tokens(const char *text, struct conf_err *err)
{
	return tokens_n(text, strlen(text), err);
}

static void settings_and_sections(void **state)
{
	(void)state;
	assert_string_equal(tokens("a = b\nsec {\n x = 12\n}\n", NULL),
			    "NAME(a)@1 = VALUE(b)@1 NL NAME(sec)@2 { NL NAME(x)@3 = VALUE(12)@3 "
			    "NL } NL ");
	/* names may hold '-', '.', '/' and '%' */
	assert_string_equal(tokens("site-a.b/c%d {", NULL), "NAME(site-a.b/c%d)@1 { ");
}

static void value_runs_to_end_of_line(void **state)
{
	(void)state;
	/* blanks around the value are dropped, runs of blanks inside fold to one */
	assert_string_equal(tokens("local_ts =   10.0.0.0/24,   10.1.0.0/16  \n", NULL),
			    "NAME(local_ts)@1 = VALUE(10.0.0.0/24, 10.1.0.0/16)@1 NL ");
	/* '=' and ':' are plain characters in a value */
	assert_string_equal(
		tokens("secret = 0sABC=\nid = fqdn:a:b\n", NULL),
		"NAME(secret)@1 = VALUE(0sABC=)@1 NL NAME(id)@2 = VALUE(fqdn:a:b)@2 NL ");
	/* an empty value */
	assert_string_equal(tokens("key =\nk2 =   # only a comment\n", NULL),
			    "NAME(key)@1 = VALUE()@1 NL NAME(k2)@2 = VALUE()@2 NL ");
	/* '}' ends a value: a section fits on one line */
	assert_string_equal(tokens("s { a = b }", NULL), "NAME(s)@1 { NAME(a)@1 = VALUE(b)@1 } ");
	/* CRLF line ends */
	assert_string_equal(tokens("a = b\r\nc = d\r\n", NULL),
			    "NAME(a)@1 = VALUE(b)@1 NL NAME(c)@2 = VALUE(d)@2 NL ");
}

static void comments(void **state)
{
	(void)state;
	assert_string_equal(tokens("# top\n  # indented\na = b # after\n#last", NULL),
			    "NL NL NAME(a)@3 = VALUE(b)@3 NL ");
	assert_string_equal(tokens("sec { # opened\n}", NULL), "NAME(sec)@1 { NL } ");
}

static void quoted_strings(void **state)
{
	(void)state;
	/* quotes keep '#', '}' and blanks */
	assert_string_equal(tokens("s = \"a # b } c  d\"\n", NULL),
			    "NAME(s)@1 = VALUE(a # b } c  d)@1 NL ");
	/* escapes: \n \t \" \\ and any other \X is X */
	assert_string_equal(tokens("s = \"x\\ty\\\"z\\\\w\\q\"", NULL),
			    "NAME(s)@1 = VALUE(x\ty\"z\\wq)@1 ");
	assert_string_equal(tokens("s = \"1\\n2\"", NULL), "NAME(s)@1 = VALUE(1\n2)@1 ");
	/* a backslash at the end of a line continues it; the lines still count */
	assert_string_equal(tokens("s = \"ab\\\ncd\"\nt = 1", NULL),
			    "NAME(s)@1 = VALUE(abcd)@1 NL NAME(t)@3 = VALUE(1)@3 ");
	/* a quoted string may hold a newline */
	assert_string_equal(tokens("s = \"a\nb\"\nt = 1", NULL),
			    "NAME(s)@1 = VALUE(a\nb)@1 NL NAME(t)@3 = VALUE(1)@3 ");
	/* parts are joined by one space, as strongSwan's parser does */
	assert_string_equal(tokens("s = a \"b c\"   d", NULL), "NAME(s)@1 = VALUE(a b c d)@1 ");
	assert_string_equal(tokens("s = \"\"", NULL), "NAME(s)@1 = VALUE()@1 ");
}

static void unterminated_string(void **state)
{
	struct conf_err err;

	(void)state;
	assert_string_equal(tokens("a = 1\ns = \"abc\n\ndef\n", &err),
			    "NAME(a)@1 = VALUE(1)@1 NL NAME(s)@2 = ERR");
	assert_string_equal(err.file, "t.conf");
	assert_int_equal(err.line, 4);
	assert_string_equal(err.msg, "unterminated quoted string (opened at line 2)");
	/* a backslash as the very last character */
	tokens("s = \"abc\\", &err);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "unterminated quoted string (opened at line 1)");
}

static void includes(void **state)
{
	(void)state;
	assert_string_equal(tokens("include conf.d/*.conf\n", NULL),
			    "INCLUDE(conf.d/*.conf)@1 NL ");
	assert_string_equal(tokens("include \"my file.conf\" # c\n", NULL),
			    "INCLUDE(my file.conf)@1 NL ");
	/* escaped blank, '#' and '}' */
	assert_string_equal(tokens("include a\\ b\\#c\\}d", NULL), "INCLUDE(a b#c}d)@1 ");
	/* in a section, '}' ends the pattern */
	assert_string_equal(tokens("s { include x.conf }", NULL),
			    "NAME(s)@1 { INCLUDE(x.conf)@1 } ");
	/* "include = x" is a key named include, and so is "include=x" */
	assert_string_equal(tokens("include = x\ninclude=y", NULL),
			    "NAME(include)@1 = VALUE(x)@1 NL NAME(include)@2 = VALUE(y)@2 ");
	/* only at the start of a statement */
	assert_string_equal(tokens("a = include b", NULL), "NAME(a)@1 = VALUE(include b)@1 ");
	assert_string_equal(tokens("includes {", NULL), "NAME(includes)@1 { ");
}

static void references(void **state)
{
	(void)state;
	assert_string_equal(tokens("conn-a : defaults, connections.b {", NULL),
			    "NAME(conn-a)@1 : NAME(defaults)@1 , NAME(connections.b)@1 { ");
}

static void bad_characters(void **state)
{
	struct conf_err err;

	(void)state;
	assert_string_equal(tokens("a\001 = b", &err), "NAME(a)@1 ERR");
	assert_string_equal(err.msg, "unexpected character 0x01");
	assert_string_equal(tokens_n("a = b\nc = d\0e", 13, &err),
			    "NAME(a)@1 = VALUE(b)@1 NL NAME(c)@2 = ERR");
	assert_string_equal(err.msg, "unexpected character 0x00");
	assert_int_equal(err.line, 2);
	assert_string_equal(tokens_n("s = \"a\0b\"", 9, &err), "NAME(s)@1 = ERR");
	assert_string_equal(err.msg, "NUL byte in a quoted string");
	/* a quote where a name belongs */
	assert_string_equal(tokens("\"a\" = b", &err), "ERR");
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "unexpected quoted string (quotes are for values after '=')");
}

static void last_line(void **state)
{
	struct lex_token t;
	struct conf_err err;
	struct lex lx;

	(void)state;
	lex_init(&lx, "t.conf", "a\nb\n", 4);
	while (lex_next(&lx, &t, &err) == 0 && t.type != TOK_EOF)
		;
	assert_int_equal(lex_last_line(&lx), 2);
	lex_free(&lx);
	lex_init(&lx, "t.conf", "a\nb", 3);
	while (lex_next(&lx, &t, &err) == 0 && t.type != TOK_EOF)
		;
	assert_int_equal(lex_last_line(&lx), 2);
	lex_free(&lx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(settings_and_sections),
		cmocka_unit_test(value_runs_to_end_of_line),
		cmocka_unit_test(comments),
		cmocka_unit_test(quoted_strings),
		cmocka_unit_test(unterminated_string),
		cmocka_unit_test(includes),
		cmocka_unit_test(references),
		cmocka_unit_test(bad_characters),
		cmocka_unit_test(last_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
