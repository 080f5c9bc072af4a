/* journal.h: log lines as systemd journal entries with fields.
 *
 * Under systemd (stderr is the journal: log_journal_stream()) oakd sends each
 * line to journald's native socket instead, so `journalctl -u oakd` can filter
 * on fields: PRIORITY, SYSLOG_IDENTIFIER=oakd, OAK_SUBSYSTEM (ike, kernel,
 * ...), OAK_LEVEL, and OAK_SA (the serial of the IKE/ISAKMP/CHILD SA a line
 * names, "SA #N", as oakctl shows it). The wire format is journald's native
 * protocol (systemd's JOURNAL_NATIVE_PROTOCOL document): KEY=VALUE lines in one
 * datagram, MESSAGE in the length-prefixed form so any byte may appear in it.
 */
#ifndef OAK_DAEMON_JOURNAL_H
#define OAK_DAEMON_JOURNAL_H

#include <stddef.h>

#include "lib/log.h"

/* journald's socket (systemd.journal-fields(7)) */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct journal;

/* A sender to the datagram socket at path (borrowed), or NULL (errno set) when
 * there is none. (caller frees with journal_close) */
struct journal *journal_open(const char *path);
void journal_close(struct journal *j);
/* A log_sink_fn: ctx is the struct journal. A line the socket refuses goes to
 * stderr instead (log_stderr_sink), so nothing is lost silently. */
void journal_sink(void *ctx, enum log_sub sub, enum log_level lvl, const char *line);
/* The entry journal_sink sends for a line, into buf (at most cap bytes; the
 * line is cut to fit). Returns its length. For tests. */
size_t journal_entry(char *buf, size_t cap, enum log_sub sub, enum log_level lvl, const char *line);

#endif
