#!/bin/sh
# init.sh: PID 1 inside UML (started by uml-run.sh). The root fs is the HOST's
# fs (hostfs), so first every place the guest writes gets a guest-private
# tmpfs: /run, /var/log, /var/tmp, /lib/modules (when the host has it) and the
# work dir $OAK_UML_WORK (TMPDIR and HOME point into it). Modules load from
# UML's own tree through modprobe -d and a link in /run (also for the
# kernel's own requests), so the host needs no /lib/modules. Then run
# $OAK_UML_GUEST with bash (every KEY=value of the kernel command line is in
# the environment), copy the work dir to $OAK_UML_OUT (the one write to the
# host), print OAK-UML-EXIT=<status> and halt.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys # /dev is devtmpfs already (DEVTMPFS_MOUNT)
for d in /run /var/log /var/tmp /lib/modules "$OAK_UML_WORK"; do
	[ -d "$d" ] || continue
	mount -t tmpfs oaktmp "$d" || { echo "OAK-UML: tmpfs on $d failed"; echo "OAK-UML-EXIT=98"; halt -f; }
done
export TMPDIR="$OAK_UML_WORK/tmp" HOME="$OAK_UML_WORK"
mkdir -p "$TMPDIR" /run/oak-modroot/lib/modules
kver=$(uname -r)
ln -s "/usr/lib/uml/modules/$kver" "/run/oak-modroot/lib/modules/$kver"
# the kernel's own module requests (crypto-cbc(aes) ...) go through the same tree
printf '#!/bin/sh\nexec /sbin/modprobe -d /run/oak-modroot "$@"\n' >/run/oak-modprobe
chmod 755 /run/oak-modprobe
echo /run/oak-modprobe >/proc/sys/kernel/modprobe
# XFRM netlink, ESP/AH (IPv4 and IPv6), tunnel mode, veth, and the crypto the
# tests use (AES-GCM, AES-CBC + HMAC-SHA2, ESN's authencesn); built-ins are fine
for m in xfrm_user esp4 esp6 ah4 ah6 xfrm4_tunnel tunnel4 xfrm6_tunnel tunnel6 veth tun \
	authenc authencesn aes_generic cbc hmac sha256_generic sha512_generic gcm ghash-generic ctr seqiv \
	echainiv; do
	modprobe -d /run/oak-modroot "$m" || echo "OAK-UML: modprobe $m failed"
done
echo "OAK-UML: guest ready $(date +%T), running $OAK_UML_GUEST"
cd "$OAK_UML_WORK" && /bin/bash "$OAK_UML_GUEST"
st=$?
# the guest's files, for the host (logs of a failure most of all)
[ -n "$OAK_UML_OUT" ] && [ -d "$OAK_UML_OUT" ] &&
	cp -r "$OAK_UML_WORK"/. "$OAK_UML_OUT"/ 2>/dev/null
echo "OAK-UML-EXIT=$st"
sync
halt -f
