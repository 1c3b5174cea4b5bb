#!/bin/sh
# qemu-run.sh ARCH KERNEL INITRD ROOTDIR WORKDIR PROJECT IODIR
# Boots KERNEL (x86_64 or aarch64) under qemu with ROOTDIR shared read-only as the guest's /,
# WORKDIR and PROJECT read-only on /tmp/work and /tmp/project (the guest's /tmp is its own, so
# the host's is out of sight: a project under /tmp too), IODIR read-write on /tmp/io
# (guest-init.sh and guest-test.sh there), plus a blank scratch disk as /dev/vda (block I/O for biolatency). The console goes to
# IODIR/qemu.log. Exits with the guest test's status: 124 on timeout (TIMEOUT s, default 900),
# 125 if the guest wrote none. qemu is killed on every way out of this script.
set -u
arch=$1 kernel=$2 initrd=$3 rootdir=$4 workdir=$5 project=$6 io=$7
here=$(dirname "$(readlink -f "$0")")
cp "$here/guest-init.sh" "$here/guest-test.sh" "$io/"
rm -f "$io/rc"
truncate -s 64M "$io/disk.img"
# KVM only with hardware virtualisation (kvm_intel/kvm_amd): a nested PVM /dev/kvm, as on this
# project's machines, cannot run a stock kernel, so TCG there.
accel=tcg
if [ "$arch" = "$(uname -m)" ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then accel=kvm; fi
case $arch in
  # Nehalem (x86-64-v2): under TCG, Node ran faster on it than on "max" (AVX-512, LA57, ...)
  x86_64)  cpu=${CPU:-Nehalem}; [ $accel = kvm ] && cpu=host; machine="-machine q35,accel=$accel -cpu $cpu"; con=ttyS0;;
  # pauth-impdef: QEMU's own pointer-authentication hash, much faster under TCG than QARMA
  aarch64) machine="-machine virt,accel=$accel -cpu max,pauth-impdef=on"; con=ttyAMA0;;
  *) echo "qemu-run: unknown architecture $arch" >&2; exit 2;;
esac
fs="security_model=none,multidevs=remap"
timeout "${TIMEOUT:-900}" qemu-system-"$arch" $machine -m "${MEM:-2G}" -smp "${SMP:-2}" \
  -nodefaults -display none -no-reboot -serial "file:$io/qemu.log" -monitor none \
  -kernel "$kernel" -initrd "$initrd" -append "console=$con panic=-1 loglevel=4" \
  -drive "file=$io/disk.img,if=virtio,format=raw" \
  -virtfs "local,path=$rootdir,mount_tag=root,$fs,readonly=on" \
  -virtfs "local,path=$workdir,mount_tag=work,$fs,readonly=on" \
  -virtfs "local,path=$project,mount_tag=project,$fs,readonly=on" \
  -virtfs "local,path=$io,mount_tag=io,$fs" </dev/null &
q=$!
echo $$ >"$io/qemu-run.pid"; echo $q >"$io/qemu.pid"
# timeout(1) passes TERM on to qemu; a plain `wait` returns as soon as a trapped signal arrives.
trap 'kill $q 2>/dev/null; wait $q 2>/dev/null; exit 130' INT TERM
wait $q; s=$?
trap - INT TERM
rm -f "$io/qemu-run.pid" "$io/qemu.pid"
rm -f "$io/disk.img"
[ $s -eq 124 ] && { echo "qemu-run: the guest did not finish within ${TIMEOUT:-900}s" >>"$io/console.log"; exit 124; }
[ -s "$io/rc" ] && exit "$(cat "$io/rc")"
exit 125
