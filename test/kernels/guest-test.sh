# Runs in the guest as root (busybox sh), from guest-init.sh. For each tool of $TOOLS (from
# /tmp/io/env): `wasmbpf run /tmp/work/images/TOOL.tar ARGS` as a user would (the matrix's own
# rows: bare-wasm, no-btf, pktcount-tc, see build-images.sh), then checks what upstream's tools
# promise: it starts (prints its header), it reports real events (the script makes them
# happen), Ctrl-C (SIGINT) ends it with status 0, and none of its eBPF programs or maps is left
# in the kernel (bpftool's id lists before and after). One line per tool goes to
# /tmp/io/results: TOOL pass|FAIL|n/a WHY (n/a: the kernel lacks what the tool needs, and the
# tool says so); each tool's output is kept in /tmp/io/TOOL.log.
. /tmp/io/env
arch=$(uname -m)
export WASMBPF_HOME=/tmp/wbhome
echo "guest: $(uname -r) $arch; LSMs: $(cat /sys/kernel/security/lsm 2>/dev/null)"
: >/tmp/io/results

ids() { bpftool "$1" show 2>/dev/null | sed -n 's/^\([0-9][0-9]*\): .*/\1/p' | tr '\n' ' '; }
now() { cut -d' ' -f1 /proc/uptime; }
# waitlog FILE ERE SECONDS: until FILE has a line matching ERE (0), or SECONDS pass / PID ends (1)
waitlog() {
  i=0
  while [ $i -lt $(($3 * 5)) ]; do
    grep -Eq "$2" "$1" && return 0
    kill -0 $pid 2>/dev/null || { grep -Eq "$2" "$1"; return; }
    sleep 0.2; i=$((i + 1))
  done
  return 1
}

# fentry/fexit and LSM programs attach through BPF trampolines, which arm64 has only from Linux
# 6.4 on (ftrace direct calls): there the tool must fail to attach, say so, and exit non-zero.
notrampoline() {
  case "$arch $(uname -r)" in
    "aarch64 6."[0-3].*|"aarch64 5."*) unsupported='no BPF trampolines on arm64 before Linux 6.4'
      want='failed to (auto-)?attach.*Not supported';;
  esac
}

# What each tool is run with, what says it started, what shows real events, and how to make them.
# ARGS come after the image's own (its wasmbpf.json "args": wasmbpf run appends, it does not
# replace them), so tools whose image has arguments get none here.
spec() {
  args= ready= want= want2=. during=: after=: unsupported= target=/tmp/work/images/$1.tar before=: cleanup=:
  case $1 in
    execsnoop) ready='^PCOMM +PID'; want='/bin/echo wasmbpf-marker-exec';;
    # execsnoop's bare module, which embeds the build machine's (x86_64) eBPF object only
    bare-wasm) target=/tmp/work/bare/execsnoop.wasm; ready='^PCOMM +PID'; want='/bin/echo wasmbpf-marker-exec'
      if [ "$arch" = aarch64 ]; then
        unsupported='a bare .wasm has only its build machine'"'"'s (x86_64) eBPF object'
        want='built for x86_64 but this host is arm64'
      fi;;
    bootstrap) ready='^TIME +EVENT'; want='EXIT +sh .*\[7\]';;
    opensnoop) args='-n cat'; ready='^PID +COMM +FD'; want='cat +-1 +2 /tmp/wasmbpf-no-such-file';;
    runqlat) ready='^Tracing run queue'; want='-> [0-9]+ +: [1-9]';;
    biolatency) ready='^Tracing block device'; want='-> [0-9]+ +: [1-9]';;
    pktcount) ready='^TIME +PROTO +PACKETS'; want='ICMP +[1-9]';;
    # tcx from Linux 6.6, a netlink tc filter before (runtime/bpf/tcx.ts)
    pktcount-tc) ready='^TIME +PROTO +PACKETS'; want='ICMP +[1-9]'; want2='^Counting packets on lo \(tc ingress\)';;
    sockfilter) ready='^Filtering packets on lo'; want='protocol: ICMP.*127\.0\.0\.1';;
    uprobe) args="/tmp/work/bin/uprobe_target-$arch uprobe_add"; ready='^PID +COMM +EVENT'; want='RETURN +uprobe_add\(\) = 22';;
    # execsnoop built with "btf" for this kernel, its own BTF hidden (a tmpfs over /sys/kernel/btf);
    # before it, the plain image must refuse to load and say why
    no-btf) ready='^PCOMM +PID'; want='/bin/echo wasmbpf-marker-exec'; before=hide_btf; cleanup='umount /sys/kernel/btf';;
    kprobe) ready='^EVENT +PID +COMM'; want='^ENTRY +[0-9]+ +[^ ]+ +- +/tmp/wasmbpf-unlinked$'; want2='^EXIT +[0-9]+ +[^ ]+ +0';;
    fentry) ready='^EVENT +PID +COMM'; want='^ENTRY +[0-9]+ +[^ ]+ +- +/tmp/wasmbpf-unlinked$'
      want2='^EXIT +[0-9]+ +[^ ]+ +0 +/tmp/wasmbpf-unlinked$'
      notrampoline;;
    # the mkdir was refused while the tool ran, and is allowed again once it has stopped
    lsm) ready='^Denying mkdir'; want='^DENIED .* wasmbpf-denied$'
      during='[ -f /tmp/lsm-refused ]'; after='mkdir /tmp/wasmbpf-denied && rmdir /tmp/wasmbpf-denied'
      notrampoline;;
    *) echo "guest-test: no spec for tool $1" >&2; return 1;;
  esac
}
trigger() {
  case $1 in
    execsnoop|bare-wasm|no-btf) /bin/echo wasmbpf-marker-exec two >/dev/null;;
    bootstrap) sh -c 'sleep 0.3; exit 7';;
    opensnoop) cat /tmp/wasmbpf-no-such-file 2>/dev/null;;
    runqlat) for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done;;
    biolatency) echo 3 >/proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=4096 count=64 skip=$((RANDOM % 4000)) 2>/dev/null;;
    pktcount|pktcount-tc|sockfilter) ping -c 2 -W 1 127.0.0.1 >/dev/null 2>&1;;
    uprobe) /tmp/work/bin/uprobe_target-$arch;;
    kprobe|fentry) : >/tmp/wasmbpf-unlinked; rm -f /tmp/wasmbpf-unlinked;;
    lsm) if mkdir /tmp/wasmbpf-denied 2>/dev/null; then rmdir /tmp/wasmbpf-denied; else : >/tmp/lsm-refused; fi;;
  esac
}

# no-btf's setup: hide the kernel's BTF, then the control: the image without "btf" fails to load.
hide_btf() {
  mount -t tmpfs nobtf /sys/kernel/btf || return 1
  $WASMBPF run /tmp/work/images/execsnoop.tar >/tmp/io/no-btf-control.log 2>&1 &
  pid=$!; i=0
  while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.2; i=$((i + 1)); done
  kill -KILL $pid 2>/dev/null && { echo "control: execsnoop.tar still running without kernel BTF"; return 1; }
  wait $pid && { echo 'control: execsnoop.tar exited 0 without kernel BTF'; return 1; }
  grep -q 'has no BTF at /sys/kernel/btf/vmlinux and the object carries none' /tmp/io/no-btf-control.log ||
    { echo 'control: execsnoop.tar did not say that BTF is missing'; return 1; }
}

result() { echo "$name $1 $2" >>/tmp/io/results; echo "== $name: $1 $2"; }
fails=0
for name in $TOOLS; do
  spec "$name" || { result FAIL 'no spec'; fails=$((fails + 1)); continue; }
  log=/tmp/io/$name.log
  if ! msg=$($before); then result FAIL "before: $msg"; fails=$((fails + 1)); $cleanup 2>/dev/null; continue; fi
  progs0=$(ids prog) maps0=$(ids map)
  if [ -n "$unsupported" ]; then
    # Not supported by this kernel: the tool must end by itself, non-zero, with $want said.
    $WASMBPF run "$target" $args >"$log" 2>&1 &
    pid=$!; why=
    i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.2; i=$((i + 1)); done
    kill -0 $pid 2>/dev/null && { kill -KILL $pid; why='still running, though the kernel cannot attach it'; }
    wait $pid; rc=$?
    [ -z "$why" ] && [ $rc -eq 0 ] && why='exit status 0, though the kernel cannot attach it'
    grep -Eq -- "$want" "$log" || why="${why:+$why; }no '$want'"
    [ "$(ids prog)" = "$progs0" ] || why="${why:+$why; }programs left loaded: $(ids prog)"
    if [ -z "$why" ]; then result n/a "$unsupported (the tool says so and exits $rc)"
    else result FAIL "$why"; fails=$((fails + 1)); sed 's/^/    | /' "$log" | tail -n 25; fi
    $cleanup
    continue
  fi
  t0=$(now); : >"$log"
  # $WASMBPF is node and its script, unquoted on purpose: $! is then Node itself, which takes
  # SIGINT (a background shell function or wrapper script would not pass it on).
  $WASMBPF run "$target" $args >"$log" 2>&1 &
  pid=$!
  why=
  if ! waitlog "$log" "$ready" 240; then
    why="did not start (no '$ready')"
  else
    t1=$(now)
    n=0
    until grep -Eq -- "$want" "$log" && grep -Eq -- "$want2" "$log" && eval "$during"; do
      [ $n -ge 10 ] && { why="no events (not '$want', '$want2' and $during after 10 triggers)"; break; }
      kill -0 $pid 2>/dev/null || { why='exited while tracing'; break; }
      trigger "$name"; sleep 1.5; n=$((n + 1))
    done
  fi
  kill -INT $pid 2>/dev/null
  i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 $pid 2>/dev/null; then kill -KILL $pid; why="${why:-no exit within 30 s of SIGINT}"; fi
  wait $pid; rc=$?
  [ -z "$why" ] && [ $rc -ne 0 ] && why="exit status $rc after SIGINT"
  [ -z "$why" ] && ! eval "$after" && why="after it stopped: not $after"
  # tp_btf/fentry programs go after an RCU-tasks grace period: give the kernel some seconds.
  i=0; while [ $i -lt 50 ]; do
    [ "$(ids prog)" = "$progs0" ] && [ "$(ids map)" = "$maps0" ] && break; sleep 0.2; i=$((i + 1)); done
  [ "$(ids prog)" = "$progs0" ] || why="${why:+$why; }programs left loaded: $(ids prog)"
  [ "$(ids map)" = "$maps0" ] || why="${why:+$why; }maps left: $(ids map)"
  $cleanup
  if [ -z "$why" ]; then result pass "first output after $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
  else result FAIL "$why"; fails=$((fails + 1)); sed 's/^/    | /' "$log" | tail -n 25; fi
done
[ $fails -eq 0 ]
