/* lex.c: tokenizer of the swanctl.conf grammar (rules in lex.h). */
#include "conf/lex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/tree.h"

void lex_init(struct lex *lx, const char *file, const char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = text;
	lx->end = text + len;
	lx->file = file;
	lx->line = 1;
	lx->stmt_start = true;
}

void lex_free(struct lex *lx)
{
	free(lx->buf);
	lx->buf = NULL;
	lx->len = lx->cap = 0;
}

int lex_last_line(const struct lex *lx)
{
	/* a final newline ends the last line rather than starting another */
	if (lx->p == lx->end && lx->line > 1 && lx->end[-1] == '\n')
		return lx->line - 1;
	return lx->line;
}

static int buf_add(struct lex *lx, char c)
{
	if (lx->len + 2 > lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 64;
		char *b = realloc(lx->buf, cap);

		if (!b)
			return -ENOMEM;
		lx->buf = b;
		lx->cap = cap;
	}
	lx->buf[lx->len++] = c;
	lx->buf[lx->len] = '\0';
	return 0;
}

static void buf_reset(struct lex *lx)
{
	lx->len = 0;
	if (lx->buf)
		lx->buf[0] = '\0';
}

/* Whether c is one of set (never for NUL, unlike strchr). */
static bool in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Characters that never belong in a name or an unquoted value. */
static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

static int bad_char(struct lex *lx, struct conf_err *err)
{
	conf_err_set(err, lx->file, lx->line, "unexpected character 0x%02x", (unsigned char)*lx->p);
	return -EINVAL;
}

static bool name_char(char c)
{
	return !is_blank(c) && !in_set(c, "\n#{}=\":,") && !is_control((unsigned char)c);
}

/* A quoted string, lx->p at the opening quote; appends its text to the buffer. */
static int lex_quoted(struct lex *lx, struct conf_err *err)
{
	int opened = lx->line;
	int rc;

	lx->p++;
	while (lx->p < lx->end && *lx->p != '"') {
		char c = *lx->p++;

		if (c == '\\') {
			if (lx->p < lx->end && *lx->p == '\r' && lx->end - lx->p > 1 &&
			    lx->p[1] == '\n')
				lx->p++;
			if (lx->p >= lx->end)
				break; /* a backslash at the very end: unterminated */
			c = *lx->p++;
			if (c == '\n') { /* a continued line */
				lx->line++;
				continue;
			}
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
		} else if (c == '\r') {
			continue; /* as strongSwan: CRs of CRLF files vanish */
		} else if (c == '\n') {
			lx->line++;
		}
		if (c == '\0') {
			conf_err_set(err, lx->file, lx->line, "NUL byte in a quoted string");
			return -EINVAL;
		}
		rc = buf_add(lx, c);
		if (rc)
			return rc;
	}
	if (lx->p >= lx->end) {
		conf_err_set(err, lx->file, lex_last_line(lx),
			     "unterminated quoted string (opened at line %d)", opened);
		return -EINVAL;
	}
	lx->p++;
	return 0;
}

/* The value after '=': parts up to a newline, '#' or '}', joined by one space. */
static int lex_value(struct lex *lx, struct lex_token *t, struct conf_err *err)
{
	bool first = true;
	int rc;

	buf_reset(lx);
	t->line = lx->line;
	for (;;) {
		while (lx->p < lx->end && is_blank(*lx->p))
			lx->p++;
		if (lx->p >= lx->end || in_set(*lx->p, "\n#}"))
			break;
		if (!first && (rc = buf_add(lx, ' ')))
			return rc;
		first = false;
		if (*lx->p == '"') {
			rc = lex_quoted(lx, err);
			if (rc)
				return rc;
			continue;
		}
		while (lx->p < lx->end && !is_blank(*lx->p) && !in_set(*lx->p, "\n#}\"")) {
			if (*lx->p == '\0' || is_control((unsigned char)*lx->p))
				return bad_char(lx, err);
			if ((rc = buf_add(lx, *lx->p++)))
				return rc;
		}
	}
	t->type = TOK_VALUE;
	return 0;
}

/* The pattern of an include statement (lx->p after the blanks following it). */
static int lex_include(struct lex *lx, struct lex_token *t, struct conf_err *err)
{
	int rc;

	buf_reset(lx);
	t->line = lx->line;
	t->type = TOK_INCLUDE;
	if (lx->p < lx->end && *lx->p == '"')
		return lex_quoted(lx, err);
	while (lx->p < lx->end && !is_blank(*lx->p) && !in_set(*lx->p, "\n#}")) {
		char c = *lx->p++;

		if (c == '\0' || is_control((unsigned char)c)) {
			lx->p--;
			return bad_char(lx, err);
		}
		if (c == '\\' && lx->p < lx->end && in_set(*lx->p, "\"#} "))
			c = *lx->p++;
		if ((rc = buf_add(lx, c)))
			return rc;
	}
	return 0;
}

/* "include" followed by blanks and something other than '=' (strongSwan's
 * lexer rule `"include"[\t ]+/[^=]`), at the start of a statement. */
static bool at_include(struct lex *lx)
{
	const char *q = lx->p + 7;

	if (!lx->stmt_start || lx->end - lx->p < 8 || memcmp(lx->p, "include", 7) != 0)
		return false;
	if (*q != ' ' && *q != '\t')
		return false;
	while (q < lx->end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < lx->end && *q == '=')
		return false;
	lx->p = q;
	return true;
}

/* A name, or an include statement. */
static int lex_word(struct lex *lx, struct lex_token *t, struct conf_err *err)
{
	int rc;

	if (at_include(lx))
		return lex_include(lx, t, err);
	if (!name_char(*lx->p))
		return bad_char(lx, err);
	buf_reset(lx);
	while (lx->p < lx->end && name_char(*lx->p)) {
		if ((rc = buf_add(lx, *lx->p++)))
			return rc;
	}
	t->type = TOK_NAME;
	return 0;
}

static int lex_token(struct lex *lx, struct lex_token *t, struct conf_err *err)
{
	char c;

	while (lx->p < lx->end && is_blank(*lx->p))
		lx->p++;
	if (lx->p < lx->end && *lx->p == '#') { /* a comment, up to the newline */
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	}
	t->line = lx->line;
	if (lx->p >= lx->end) {
		t->type = TOK_EOF;
		return 0;
	}
	c = *lx->p;
	switch (c) {
	case '\n':
		lx->line++;
		t->type = TOK_NEWLINE;
		break;
	case '=':
		t->type = TOK_EQ;
		break;
	case '{':
		t->type = TOK_LBRACE;
		break;
	case '}':
		t->type = TOK_RBRACE;
		break;
	case ':':
		t->type = TOK_COLON;
		break;
	case ',':
		t->type = TOK_COMMA;
		break;
	case '"':
		conf_err_set(err, lx->file, lx->line,
			     "unexpected quoted string (quotes are for values after '=')");
		return -EINVAL;
	default:
		return lex_word(lx, t, err);
	}
	lx->p++;
	return 0;
}

int lex_next(struct lex *lx, struct lex_token *t, struct conf_err *err)
{
	int rc;

	if (lx->want_value) {
		lx->want_value = false;
		rc = lex_value(lx, t, err);
	} else {
		rc = lex_token(lx, t, err);
	}
	if (rc)
		return rc;
	if (t->type == TOK_VALUE || t->type == TOK_NAME || t->type == TOK_INCLUDE) {
		t->text = lx->buf ? lx->buf : "";
		t->len = lx->len;
	} else {
		t->text = "";
		t->len = 0;
	}
	lx->want_value = t->type == TOK_EQ;
	lx->stmt_start = t->type == TOK_NEWLINE || t->type == TOK_LBRACE || t->type == TOK_RBRACE;
	return 0;
}
