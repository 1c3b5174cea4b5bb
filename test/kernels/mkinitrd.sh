#!/bin/sh
# mkinitrd.sh MODDIR BUSYBOX OUT.cpio.gz
# Debian's kernels have 9p, virtio, virtio-blk and tc's as modules: a tiny initramfs with a static
# busybox (of the guest's architecture) and those modules of MODDIR (lib/modules/VERSION of an
# unpacked linux-image package). Its /init mounts the 9p share "root" read-only as /, tmpfs on
# /tmp and /run, the share "io" (read-write) on /tmp/io, "work" and "project" (read-only) on
# /tmp/work and /tmp/project, and hands over to /tmp/io/guest-init.sh.
set -eu
moddir=$1 busybox=$2 out=$3
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
mkdir -p "$w/bin" "$w/modules" "$w/proc" "$w/sys" "$w/dev" "$w/newroot"
cp "$busybox" "$w/bin/busybox"
# sch_ingress and cls_bpf: tc programs on kernels without tcx (before 6.6) need the clsact qdisc
# and the bpf classifier, which a Debian system loads on demand from /lib/modules (not here).
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_mmio virtio_blk \
         netfs fscache 9pnet 9pnet_virtio 9p sch_ingress cls_bpf; do
  f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n 1)
  [ -n "$f" ] || continue          # built in (or not needed) on this kernel
  case $f in *.xz) xz -dc "$f" >"$w/modules/$m.ko";; *.zst) zstd -qdc "$f" >"$w/modules/$m.ko";; *) cp "$f" "$w/modules/";; esac
  echo "$m" >>"$w/modules/order"
done
cat >"$w/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /modules/order 2>/dev/null); do insmod /modules/$m.ko || echo "initrd: insmod $m failed"; done
o=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $o,ro,cache=loose root /newroot || { echo "initrd: cannot mount the 9p root"; echo o >/proc/sysrq-trigger; }
mount -t tmpfs -o mode=1777 tmp /newroot/tmp; mount -t tmpfs run /newroot/run
mkdir -p /newroot/tmp/io /newroot/tmp/work /newroot/tmp/project /newroot/run/bb
mount -t 9p -o $o io /newroot/tmp/io || echo "initrd: cannot mount the 9p io share"
mount -t 9p -o $o,ro work /newroot/tmp/work || echo "initrd: cannot mount the 9p work share"
mount -t 9p -o $o,ro project /newroot/tmp/project || echo "initrd: cannot mount the 9p project share"
cp /bin/busybox /newroot/run/bb/busybox
for d in proc sys dev; do mount --move /$d /newroot/$d; done
exec switch_root /newroot /run/bb/busybox sh /tmp/io/guest-init.sh
INIT
chmod +x "$w/init"
(cd "$w" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$out"
