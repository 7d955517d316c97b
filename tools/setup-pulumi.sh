#!/usr/bin/env bash
# Provides the Pulumi CLI at the version of @pulumi/pulumi in package.json,
# with this project's Node.js language host and the dynamic-provider plugin
# script beside it, without downloading anything outside the package
# registries. Prints the directory holding the binaries on its last line.
#
# Order of preference: a matching `pulumi` already on PATH; the official
# installer when its site answers; otherwise a build from the Go module proxy
# (tools/pulumi-cli). The result is cached outside the repository, keyed by
# the version and by the files that produce it, so a second run takes seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
src="$here/pulumi-cli"
cache_root=${ZFSFLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zfs-fleet}

say() { printf '[setup-pulumi %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '\nsetup-pulumi: %s\n' "$*" >&2; exit 1; }

version=$(sed -n 's/.*"@pulumi\/pulumi": *"\([0-9.]*\)".*/\1/p' "$repo/package.json")
[[ -n "$version" ]] || die "package.json must pin @pulumi/pulumi to an exact version (found none)"
grep -q "github.com/pulumi/pulumi/pkg/v3 v$version\$" "$src/go.mod" ||
  die "tools/pulumi-cli/go.mod does not build v$version (the version package.json pins); make them agree"

key=$(cat "$src/go.mod" "$src/go.sum" "$src"/cmd/*/*.go "$0" | sha256sum | cut -c1-12)
bin="$cache_root/pulumi-v$version-$key/bin"

plugin_script="$repo/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
[[ -f "$plugin_script" ]] || die "node_modules is missing @pulumi/pulumi; run 'npm ci' first (make does)"

finish() {
  install -m 0755 "$plugin_script" "$bin/pulumi-resource-pulumi-nodejs"
  echo "$bin"
  exit 0
}

have_version() { [[ -x "$1" ]] && [[ "$("$1" version 2>/dev/null)" == "v$version" ]]; }

if have_version "$bin/pulumi" && [[ -x "$bin/pulumi-language-nodejs" ]]; then
  finish
fi
if [[ -e "$bin" ]]; then
  say "the cache in $bin is stale or incomplete (pulumi version: $("$bin/pulumi" version 2>&1 || true)); rebuilding it"
  rm -rf "$bin"
fi

# 1. A matching CLI already installed (our own language host still comes from source).
if onpath=$(command -v pulumi 2>/dev/null) && have_version "$onpath"; then
  say "using $onpath (v$version)"
  mkdir -p "$bin"; ln -sf "$onpath" "$bin/pulumi"
fi

# 2. The official installer, only if its site answers quickly.
if [[ ! -e "$bin/pulumi" ]] && curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com/ 2>/dev/null; then
  say "installing the CLI v$version with the official installer"
  tmp=$(mktemp -d)
  if curl -fsSL --max-time 60 https://get.pulumi.com | sh -s -- --version "$version" --install-root "$tmp" --no-edit-path >&2; then
    mkdir -p "$bin"; cp "$tmp/bin/pulumi" "$bin/pulumi"
  fi
  rm -rf "$tmp"
fi

# 3. Build from the Go module proxy.
command -v go >/dev/null 2>&1 ||
  die "Go is needed to build the Pulumi CLI v$version here, and no 'go' is on PATH.
  Fix: install Go 1.26.6 or newer (for example under /usr/local/go and add /usr/local/go/bin to PATH),
  or put a pulumi v$version on PATH."
gover=$(go env GOVERSION | sed 's/^go//')
if [[ "$(printf '%s\n1.26.6\n' "$gover" | sort -V | head -1)" != "1.26.6" ]]; then
  die "Go $gover is too old to build the Pulumi CLI v$version: install Go 1.26.6 or newer."
fi

cd "$src"
say "fetching the modules of Pulumi v$version from $(go env GOPROXY | cut -d, -f1) (first run only)"
# Only the packages the two binaries import: the whole module graph names
# versions the proxy does not serve, which the build never needs.
if ! dl_err=$(go list -deps github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./cmd/pulumi-language-nodejs 2>&1 >/dev/null); then
  die "could not download the Go modules for the Pulumi CLI v$version:
$(printf '%s\n' "$dl_err" | grep -v '^go: downloading' | tail -n 3)
  Fix: make the Go module proxy reachable (GOPROXY=$(go env GOPROXY)), or fill the module cache
  ($(go env GOMODCACHE)) from a machine that has it."
fi

stage="$bin.partial.$$"
rm -rf "$stage"; mkdir -p "$stage"
trap 'rm -rf "$stage"' EXIT
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version"

build() { # name package
  local name=$1 pkg=$2 total start
  total=$(go list -deps "$pkg" | wc -l)
  start=$SECONDS
  say "compiling $name ($total packages; several minutes on a cold Go cache)"
  go build -v -trimpath -ldflags "$ldflags -X main.version=$version" -o "$stage/$name" "$pkg" 2>&1 |
    awk -v total="$total" -v name="$name" -v start="$start" '
      { n++ } n % 100 == 0 { printf "  %s: %d/%d packages compiled\n", name, n, total > "/dev/stderr"; fflush() }
      /^#|error|cannot/ { print > "/dev/stderr" }'
  [[ -x "$stage/$name" ]] || die "building $name failed (see the messages above)"
  say "$name built in $((SECONDS - start)) s"
}

if [[ ! -e "$bin/pulumi" ]]; then
  build pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
fi
build pulumi-language-nodejs ./cmd/pulumi-language-nodejs
mkdir -p "$bin"
for f in "$stage"/*; do mv -f "$f" "$bin/"; done
have_version "$bin/pulumi" || die "the built CLI does not report v$version: $("$bin/pulumi" version 2>&1)"
finish
