/* log.h: leveled logging per subsystem.
 *
 * Each subsystem has its own level, changeable at run time ("ike=debug").
 * Messages are formatted once into a line and handed to the sink (stderr by
 * default; the daemon adds syslog/journald; tests capture lines). Format
 * strings are checked by the compiler. Never pass key material to a log call:
 * secrets go only to the key log (see docs/ARCHITECTURE.md).
 */
#ifndef OAK_LIB_LOG_H
#define OAK_LIB_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* Levels, most severe first; the numbers are syslog's priorities. */
enum log_level {
	LVL_ERR = 3,
	LVL_WARN = 4,
	LVL_NOTICE = 5,
	LVL_INFO = 6,
	LVL_DEBUG = 7,
	LVL_TRACE = 8, /* packet dumps and the like; logged at syslog's debug priority */
};

enum log_sub {
	SUB_DAEMON,
	SUB_CFG,
	SUB_NET,
	SUB_WIRE,
	SUB_CRYPTO,
	SUB_IKE,
	SUB_KERNEL,
	SUB_VICI,
	SUB_CTL,
	SUB_COUNT
};

/* The current level of each subsystem (default LVL_INFO). */
extern uint8_t log_levels[SUB_COUNT];

/* A sink receives each finished line (no trailing newline). */
typedef void log_sink_fn(void *ctx, enum log_sub sub, enum log_level lvl, const char *line);

void log_msg(enum log_sub sub, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_sub sub, enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define log_enabled(sub, lvl) ((unsigned)(lvl) <= log_levels[(sub)])
#define LOG(sub, lvl, ...)                                                                         \
	do {                                                                                       \
		if (log_enabled(sub, lvl))                                                         \
			log_msg(sub, lvl, __VA_ARGS__);                                            \
	} while (0)
#define log_err(sub, ...)    LOG(sub, LVL_ERR, __VA_ARGS__)
#define log_warn(sub, ...)   LOG(sub, LVL_WARN, __VA_ARGS__)
#define log_notice(sub, ...) LOG(sub, LVL_NOTICE, __VA_ARGS__)
#define log_info(sub, ...)   LOG(sub, LVL_INFO, __VA_ARGS__)
#define log_debug(sub, ...)  LOG(sub, LVL_DEBUG, __VA_ARGS__)
#define log_trace(sub, ...)  LOG(sub, LVL_TRACE, __VA_ARGS__)

/* Replace the sink (NULL restores the stderr sink). ctx is borrowed. */
void log_set_sink(log_sink_fn *sink, void *ctx);
/* The default sink, for sinks that pass lines on to stderr (ctx unused). */
void log_stderr_sink(void *ctx, enum log_sub sub, enum log_level lvl, const char *line);
/* The stderr sink: "<N>" journald priority prefixes when `journal` is set,
 * else "LEVEL [sub] message". */
void log_stderr_prefix(bool journal);
/* Whether stderr is connected to systemd's journal: $JOURNAL_STREAM names
 * stderr's device and inode (systemd.exec(5)), so "<N>" prefixes there set
 * each line's priority. */
bool log_journal_stream(void);

/* Set levels from "SUB=LEVEL" where SUB is a subsystem name or "all" and
 * LEVEL a name (err, warn, notice, info, debug, trace) or a number 3-8.
 * Returns 0, or -1 with nothing changed when the spec is not of that form. */
int log_set_level_spec(const char *spec);
void log_set_all(enum log_level lvl);

const char *log_sub_name(enum log_sub sub);
const char *log_level_name(enum log_level lvl);

#endif
