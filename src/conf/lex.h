/* lex.h: tokenizer of the swanctl.conf / strongswan.conf grammar.
 *
 * The rules are strongswan.conf(5)'s (strongSwan 5.9.8), which swanctl.conf
 * shares:
 *   - a name is a run of any characters except white space, '#', '{', '}',
 *     '=', '"', ':' and ','; '.' is allowed (it separates the parts of a
 *     reference such as "connections.conn-a");
 *   - after '=' the rest of the line is the value: unquoted runs and quoted
 *     strings, each run of blanks between them folded into one space; the value
 *     ends at a newline, at '#' (a comment) or at '}' (so "a { b = c }" fits on
 *     one line); a quoted value keeps '#', '}' and blanks;
 *   - quoted strings know \n \r \t, "\" at the end of a line joins the next
 *     line, and "\X" is X for any other X (\" and \\); they may span lines;
 *   - '#' starts a comment up to the end of the line;
 *   - "include PATTERN" at the start of a statement (not "include = ...")
 *     names files to read; PATTERN is a quoted string or a run of characters
 *     up to a blank, '#' or '}' where \" \# \} and "\ " escape those.
 * The lexer only tokenizes: what a statement may look like is parse.c's.
 */
#ifndef OAK_CONF_LEX_H
#define OAK_CONF_LEX_H

#include <stdbool.h>
#include <stddef.h>

struct conf_err;

enum lex_tok {
	TOK_EOF,
	TOK_NEWLINE,
	TOK_NAME,    /* text: the name */
	TOK_EQ,	     /* '='; the next token is always TOK_VALUE */
	TOK_VALUE,   /* text: the value after '=' (empty for "key =") */
	TOK_LBRACE,  /* '{' */
	TOK_RBRACE,  /* '}' */
	TOK_COLON,   /* ':' before the references of a section */
	TOK_COMMA,   /* ',' between references */
	TOK_INCLUDE, /* text: the pattern of an include statement */
};

struct lex_token {
	enum lex_tok type;
	int line;	  /* 1-based line where the token starts */
	const char *text; /* NUL-terminated (borrowed from the lexer until the next call) */
	size_t len;
};

struct lex {
	const char *p, *end; /* the rest of the input (borrowed) */
	const char *file;    /* name for messages (borrowed) */
	int line;
	bool stmt_start; /* at the start of a statement: "include" may follow */
	bool want_value; /* the last token was '=' */
	char *buf;	 /* token text (owned) */
	size_t len, cap;
};

/* Start reading text[0..len) named `file` (both borrowed; they must outlive
 * the lexer). The text may hold any bytes: NUL and control characters outside
 * quoted strings are reported as errors. */
void lex_init(struct lex *lx, const char *file, const char *text, size_t len);
/* Free the token buffer. */
void lex_free(struct lex *lx);
/* The next token. Returns 0, or -EINVAL with err filled (file:line and what was
 * expected) on a lexical error, or -ENOMEM. */
int lex_next(struct lex *lx, struct lex_token *t, struct conf_err *err);
/* The number of the last line of the input (for messages at end of file). */
int lex_last_line(const struct lex *lx);

#endif
