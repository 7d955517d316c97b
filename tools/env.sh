# Sourced by the Makefile, .ci/run and the tests: the project's toolchain and
# Pulumi settings. Nothing here reaches the internet: the state and secrets
# live in a file backend inside the project, update checks and plugin
# downloads are off.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ZFSFLEET_REPO=$repo

# Node.js 22 from the npm package `node` (devDependency), then the CLI,
# behind tools/bin/pulumi, which picks the passphrase per stack (below).
pulumi_bin=""
[[ -f "$repo/.pulumi/bin-dir" ]] && pulumi_bin=$(<"$repo/.pulumi/bin-dir")
export PATH="$repo/tools/bin:$repo/node_modules/.bin${pulumi_bin:+:$pulumi_bin}:$PATH"
if [[ -n "$pulumi_bin" && -x "$pulumi_bin/pulumi" && ! "$pulumi_bin/pulumi" -ef "$repo/tools/bin/pulumi" ]]; then
  export ZFSFLEET_PULUMI="$pulumi_bin/pulumi"
fi

mkdir -p "$repo/.pulumi/state" "$repo/.pulumi/home"
export PULUMI_HOME="$repo/.pulumi/home"
# A team's backend (docs/team.md): PULUMI_BACKEND_URL, or a file holding the URL (mode 0600, never committed).
[[ -z "${PULUMI_BACKEND_URL:-}" && -n "${ZFSFLEET_BACKEND_URL_FILE:-}" ]] && PULUMI_BACKEND_URL=$(<"$ZFSFLEET_BACKEND_URL_FILE")
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$repo/.pulumi/state}"
# The DIY backend rewrites the whole checkpoint at every step: compressed, PostgreSQL keeps up (docs/team.md).
[[ $PULUMI_BACKEND_URL == postgres://* ]] && export PULUMI_DIY_BACKEND_ZSTD=${PULUMI_DIY_BACKEND_ZSTD:-true}
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# `make typecheck` checks the program; the engine only needs it transpiled.
export PULUMI_NODEJS_TRANSPILE_ONLY=true
# Every remote command the provider runs, with its time and exit code (secrets redacted).
export ZFSFLEET_LOG_FILE="${ZFSFLEET_LOG_FILE:-$repo/.pulumi/provider.log}"
# No passphrase is chosen here: `pulumi` (tools/bin/pulumi, tools/passphrase.ts)
# gives the lab stacks (lab-*) their documented passphrase when none is set,
# and refuses any other stack without its operator's own passphrase
# (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE), or with the lab's.
unset repo pulumi_bin
