#!/usr/bin/env bash
# Installs the packed package into two fresh consumers, as users get it from npm:
#   an ESM app on zod 3.25 (zod 4 under 'zod/v4'), and a CommonJS app on zod 4 that also runs the
#   package's bin. Needs the build (npm run build) and the npm registry.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --ignore-scripts: pack the build as it is (prepack would build it again).
tarball="$(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$work" | tail -1)"
hono="$(node -p "require('$root/node_modules/hono/package.json').version")"
install() { (cd "$1" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "$work/$tarball" "hono@$hono" "$2"); }

mkdir "$work/zod3" "$work/cjs"
install "$work/zod3" 'zod@~3.25.0'
cp "$here/zod3-app.mjs" "$work/zod3/"
(cd "$work/zod3" && node zod3-app.mjs)

install "$work/cjs" 'zod@^4'
tsx="$(node -p "require('$root/node_modules/tsx/package.json').version")"
(cd "$work/cjs" && npm install --no-audit --no-fund --silent "tsx@$tsx")
cp "$here/commonjs-app.cjs" "$here/sessions.config.mjs" "$work/cjs/"
(cd "$work/cjs" && node commonjs-app.cjs)
(cd "$work/cjs" && node -e "require('typed-sessions'); require('typed-sessions/hono'); require('typed-sessions/auth')")
stats="$(cd "$work/cjs" && npx --no-install typed-sessions stats --json)"
[[ "$stats" == *'"sessions":0'* ]] || { echo "unexpected stats: $stats" >&2; exit 1; }
echo "ok: npx typed-sessions stats runs in a consumer with a .mjs config"
# A TypeScript config on a Node that cannot run TypeScript: the bin loads it through tsx.
cp "$here/sessions.config.mjs" "$work/cjs/sessions.config.ts"
stats="$(cd "$work/cjs" && npx --no-install typed-sessions stats --json --config sessions.config.ts)"
[[ "$stats" == *'"sessions":0'* ]] || { echo "unexpected stats: $stats" >&2; exit 1; }
echo "ok: a .ts config loads through tsx on Node $(node --version)"
