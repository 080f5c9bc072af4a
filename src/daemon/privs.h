/* privs.h: run oakd as a dedicated user keeping only the capabilities it
 * needs (libcap-ng): CAP_NET_ADMIN (XFRM netlink, IPsec socket policies,
 * UDP_ENCAP) and CAP_NET_BIND_SERVICE (ports 500 and 4500 after a rebind).
 * Opt-in with `oakd --user NAME` when started as root; everything that needs
 * root beyond those two (creating the VICI socket's directory, opening the
 * record file and key log) happens before the drop. Files oakd reads on a
 * reload (the configuration, certificates, keys) must then be readable by
 * that user.
 */
#ifndef OAK_DAEMON_PRIVS_H
#define OAK_DAEMON_PRIVS_H

/* Switch to user (borrowed; a name or a number) and its primary group, drop
 * the supplementary groups and every capability but CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE, also from the bounding set. 0, or a negative errno
 * after logging one line saying what failed (the caller must then stop: a
 * daemon that asked to drop root must not run as root). */
int privs_drop(const char *user);

#endif
