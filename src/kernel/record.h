/* record.h: the `record` kernel backend.
 *
 * Instead of talking XFRM netlink, it appends one JSON object per line to a
 * file for every SA and policy the engines would install or delete, so tests
 * (and hosts without ESP) can assert exactly what would reach the kernel:
 *
 *   {"op":"add_sa","time":"2026-11-23T11:00:00Z","conn":"gw","child":"net",
 *    "ike_serial":1,"child_serial":2,"dir":"in","proto":"esp","spi":"c7a1b2d3",
 *    "src":"192.0.2.1","dst":"192.0.2.2","mode":"tunnel","reqid":1,...}
 *
 * Operations: add_sa (and "update":true when the SPI came from alloc_spi),
 * del_sa, add_policy, del_policy. Field names are listed in record.c above
 * each writer. Key bytes ("encr_key", "integ_key", hex) are written only when
 * the backend was opened with keys on (oakd does so when the key log is on:
 * a user who asked for secrets on disk gets them here too, never otherwise).
 *
 * Each line goes out with one write(2) on an O_APPEND descriptor, so lines of
 * several daemons sharing a file never interleave, and nothing is buffered
 * when the daemon dies.
 *
 * alloc_spi returns random SPIs >= 0x100 (RFC 4303 2.1 reserves 1-255), never
 * the same one twice in the life of the backend (oakd has one backend, so
 * SPIs are unique in the process).
 */
#ifndef OAK_KERNEL_RECORD_H
#define OAK_KERNEL_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/kernel_ops.h"

struct record_backend;

/* Open (create, mode 0600, append) the record file at path (borrowed); "-"
 * writes to standard output. with_keys: write key bytes. (caller frees with
 * record_close) NULL with *err = -errno when the file cannot be opened. */
struct record_backend *record_open(const char *path, bool with_keys, int *err);

/* Fill ops with the backend's functions; ops->ctx is r (borrowed: r must
 * outlive every use of ops). */
void record_kernel_ops(struct record_backend *r, struct kernel_ops *ops);

/* Lines written so far, and write errors seen (for tests and metrics). */
uint64_t record_lines(const struct record_backend *r);
uint64_t record_errors(const struct record_backend *r);

/* Close the file and free; NULL is fine. */
void record_close(struct record_backend *r);

#endif
