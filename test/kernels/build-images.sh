#!/bin/sh
# build-images.sh W TOOL...: what the guests run, into W/work (their /tmp/work), from the
# project's examples as a user builds them (`wasmbpf build`, each in a copy under W/src so the
# tree stays untouched): images/TOOL.tar, and the matrix's own rows, written to W/tools with the
# tools: bare-wasm (execsnoop's bare module), no-btf (execsnoop built with each guest kernel's
# BTF: W/fetched/kernels, their vmlinuz) and pktcount-tc (pktcount at tc ingress). Also
# bin/uprobe_target-ARCH for the uprobe example.
set -eu
W=$1; shift
K=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd); P=$(dirname "$(dirname "$K")")
mkdir -p "$W/work/images" "$W/work/bin" "$W/work/bare" "$W/src" "$W/btf"
rows="$*"

# image NAME: W/src/NAME (a tool folder) into W/work/images/NAME.tar.
image() {
  WASMBPF_HOME=$W/wbhome SOURCE_DATE_EPOCH=0 "$P/bin/wasmbpf" build "$W/src/$1" -t "localhost/$1:matrix" \
    -o "$W/work/images/$1.tar" >"$W/src/$1.build.log" 2>&1 || { cat "$W/src/$1.build.log" >&2; exit 1; }
}
# variant NAME BASE FIELD JSON: BASE's sources with one build-file field set, as image NAME.
variant() {
  mkdir -p "$W/src/$1"
  cp "$W/src/$2/"*.c "$W/src/$2/"*.h "$W/src/$2/wasmbpf.json" "$W/src/$1/"
  "$P/scripts/node" -e '
    const fs = require("node:fs"); const [file, field, value] = process.argv.slice(1);
    const build = JSON.parse(fs.readFileSync(file, "utf8"));
    build[field] = JSON.parse(value);
    fs.writeFileSync(file, JSON.stringify(build));' "$W/src/$1/wasmbpf.json" "$3" "$4"
  image "$1"
  rows="$rows $1"
}

for t in "$@"; do
  mkdir -p "$W/src/$t"
  (cd "$P/examples/$t" && for f in *; do [ "$f" = build ] || cp -r "$f" "$W/src/$t/"; done)
  image "$t"
done
case " $* " in *" execsnoop "*)
  cp "$W/src/execsnoop/build/execsnoop.wasm" "$W/work/bare/"; rows="$rows bare-wasm"
  btf=
  while read -r k arch kver; do
    "$P/scripts/node" --disable-warning=ExperimentalWarning "$K/kernel-btf.ts" "$W/fetched/k-$kver/boot/vmlinuz-$kver" "$W/btf/$kver"
    a=$arch; [ "$a" = aarch64 ] && a=arm64
    btf="$btf${btf:+,}{\"arch\":\"$a\",\"release\":\"$kver\",\"path\":\"$W/btf/$kver\"}"
  done <"$W/fetched/kernels"
  variant no-btf execsnoop btf "[$btf]";;
esac
# the image's args, not wasmbpf run's: run appends its arguments to the image's ("lo")
case " $* " in *" pktcount "*) variant pktcount-tc pktcount args '["-t", "lo"]';; esac

for a in x86_64 aarch64; do
  clang-19 --target=$a-linux-gnu -O1 -g -ffreestanding -nostdlib -static -fuse-ld=lld -fno-stack-protector \
    -o "$W/work/bin/uprobe_target-$a" "$K/uprobe-target.c"
done
echo "$rows" >"$W/tools"
