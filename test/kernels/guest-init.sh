# PID 1 in the guest (busybox sh), run by the initramfs after switch_root onto the read-only 9p
# root. Mounts what eBPF tools need, runs /tmp/io/guest-test.sh with its output in
# /tmp/io/console.log and its status in /tmp/io/rc (the io share is the host's per-kernel folder),
# then powers off: qemu runs with -no-reboot, so the VM ends.
bb=/run/bb/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/bb HOME=/tmp/home
$bb mkdir -p $HOME /dev/shm /dev/pts
$bb mount -t tracefs tracefs /sys/kernel/tracing
$bb mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
$bb mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
$bb mount -t bpf bpf /sys/fs/bpf
$bb mount -t tmpfs shm /dev/shm
$bb mount -t devpts devpts /dev/pts
$bb ip link set lo up 2>/dev/null
cd /tmp
( $bb sh /tmp/io/guest-test.sh; echo $? >/tmp/io/rc ) 2>&1 | $bb tee /tmp/io/console.log
$bb sync
echo o >/proc/sysrq-trigger
$bb sleep 10
