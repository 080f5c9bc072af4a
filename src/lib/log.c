#include "lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t log_levels[SUB_COUNT] = {
	[0 ... SUB_COUNT - 1] = LVL_INFO,
};

static const char *const sub_names[SUB_COUNT] = {
	[SUB_DAEMON] = "daemon", [SUB_CFG] = "cfg",	  [SUB_NET] = "net",
	[SUB_WIRE] = "wire",	 [SUB_CRYPTO] = "crypto", [SUB_IKE] = "ike",
	[SUB_KERNEL] = "kernel", [SUB_VICI] = "vici",	  [SUB_CTL] = "ctl",
};

static const char *const level_names[] = {
	[LVL_ERR] = "err",   [LVL_WARN] = "warn",   [LVL_NOTICE] = "notice",
	[LVL_INFO] = "info", [LVL_DEBUG] = "debug", [LVL_TRACE] = "trace",
};

static bool journal_prefix;

void log_stderr_sink(void *ctx, enum log_sub sub, enum log_level lvl, const char *line)
{
	char buf[4200];
	int n;

	(void)ctx;
	if (journal_prefix)
		n = snprintf(buf, sizeof(buf), "<%d>%s: %s\n", lvl > LVL_DEBUG ? LVL_DEBUG : lvl,
			     sub_names[sub], line);
	else
		n = snprintf(buf, sizeof(buf), "%-6s [%s] %s\n", level_names[lvl], sub_names[sub],
			     line);
	if (n > 0) {
		/* one write per line so that lines of concurrent threads do not interleave */
		ssize_t w = write(STDERR_FILENO, buf,
				  (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		(void)w;
	}
}

static log_sink_fn *sink = log_stderr_sink;
static void *sink_ctx;

void log_set_sink(log_sink_fn *fn, void *ctx)
{
	sink = fn ? fn : log_stderr_sink;
	sink_ctx = fn ? ctx : NULL;
}

void log_stderr_prefix(bool journal)
{
	journal_prefix = journal;
}

bool log_journal_stream(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	/* "DEV:INO", both decimal (systemd.exec(5)) */
	if (!js || !*js)
		return false;
	dev = strtoull(js, &end, 10);
	if (end == js || *end != ':')
		return false;
	js = end + 1;
	ino = strtoull(js, &end, 10);
	if (end == js || *end || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_vmsg(enum log_sub sub, enum log_level lvl, const char *fmt, va_list ap)
{
	char line[4096];

	if ((unsigned)sub >= SUB_COUNT)
		sub = SUB_DAEMON;
	if (lvl < LVL_ERR)
		lvl = LVL_ERR;
	if (lvl > LVL_TRACE)
		lvl = LVL_TRACE;
	vsnprintf(line, sizeof(line), fmt, ap);
	sink(sink_ctx, sub, lvl, line);
}

void log_msg(enum log_sub sub, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(sub, lvl, fmt, ap);
	va_end(ap);
}

const char *log_sub_name(enum log_sub sub)
{
	return (unsigned)sub < SUB_COUNT ? sub_names[sub] : "?";
}

const char *log_level_name(enum log_level lvl)
{
	return lvl >= LVL_ERR && lvl <= LVL_TRACE ? level_names[lvl] : "?";
}

void log_set_all(enum log_level lvl)
{
	memset(log_levels, lvl, sizeof(log_levels));
}

static int parse_level(const char *s)
{
	char *end;
	long v;
	int i;

	for (i = LVL_ERR; i <= LVL_TRACE; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	v = strtol(s, &end, 10);
	if (*s && !*end && v >= LVL_ERR && v <= LVL_TRACE)
		return (int)v;
	return -1;
}

int log_set_level_spec(const char *spec)
{
	const char *eq = strchr(spec, '=');
	size_t n;
	int lvl, i;

	if (!eq)
		return -1;
	lvl = parse_level(eq + 1);
	if (lvl < 0)
		return -1;
	n = (size_t)(eq - spec);
	if (n == 3 && strncmp(spec, "all", 3) == 0) {
		log_set_all((enum log_level)lvl);
		return 0;
	}
	for (i = 0; i < SUB_COUNT; i++)
		if (strlen(sub_names[i]) == n && strncmp(spec, sub_names[i], n) == 0) {
			log_levels[i] = (uint8_t)lvl;
			return 0;
		}
	return -1;
}
