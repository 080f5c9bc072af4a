/* notify.h: systemd's service notification protocol (sd_notify(3)), our own
 * few lines instead of libsystemd: a datagram of "KEY=VALUE\n" lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace). Without $NOTIFY_SOCKET every call does nothing, so
 * oakd runs the same outside systemd.
 *
 * oakd sends READY=1 with a STATUS= line once it listens (Type=notify), a new
 * STATUS= after a reload, STOPPING=1 when it stops, and WATCHDOG=1 every
 * WATCHDOG_USEC / 2 from a timer on the event loop, so a loop that hangs is
 * restarted by systemd (WatchdogSec= in the unit).
 */
#ifndef OAK_DAEMON_NOTIFY_H
#define OAK_DAEMON_NOTIFY_H

#include <stdint.h>

struct event_base;

/* Send state ("READY=1\nSTATUS=..."; borrowed) to $NOTIFY_SOCKET. 0 (also
 * when the variable is unset), or a negative errno. */
int notify_send(const char *state);
/* The watchdog interval systemd asks for, from $WATCHDOG_USEC when
 * $WATCHDOG_PID is unset or ours: microseconds, or 0 for none. */
uint64_t notify_watchdog_usec(void);
/* READY=1 and STATUS=<status> (borrowed), and start the watchdog timer on
 * base (borrowed; it must outlive notify_stop). Failures are logged. */
void notify_ready(struct event_base *base, const char *status);
/* STATUS=<status> (borrowed), e.g. after a reload. */
void notify_status(const char *status);
/* STOPPING=1 and stop the watchdog timer. Safe to call when not ready. */
void notify_stop(void);

#endif
