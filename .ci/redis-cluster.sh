#!/usr/bin/env bash
# Makes sure this machine can run the private Redis servers of the tests: the Redis Cluster of
# test/stores/redis-cluster.test.ts (three `redis-server --cluster-enabled yes` joined with
# `redis-cli --cluster create`) and the paused server of test/faults/redis-pause.test.ts. Those
# tests start their servers themselves, on spare ports in 20000-40000 (and the cluster bus ports
# 10000 above), and stop them when the file ends; this script installs the tools if they are
# missing, checks their version, and then forms one cluster and tears it down, so a machine that
# cannot run a cluster fails here, with the reason, before the test step.
# With REDIS_CLUSTER_NODES=host:port,… set, the tests use that cluster instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  echo 'redis-server or redis-cli missing; installing redis-server (Debian)'
  apt-get update -qq
  apt-get install -y --no-install-recommends redis-server
fi

# CLIENT PAUSE … ALL needs Redis 6.2; redis-cli --cluster needs 5.
version=$(redis-server --version | sed -E 's/.* v=([0-9]+\.[0-9]+).*/\1/')
major=${version%%.*}
minor=${version#*.}
if ((major < 6 || (major == 6 && minor < 2))); then
  echo "redis-server $version is too old: the tests need 6.2 or later" >&2
  exit 1
fi
echo "redis-server $version, $(redis-cli --version)"

if [[ -n "${REDIS_CLUSTER_NODES:-}" ]]; then
  echo "the tests use the cluster at $REDIS_CLUSTER_NODES"
  exit 0
fi

# One cluster formed and torn down with the tests' own helper, so what is checked is what runs.
npx tsx -e '
import { startRedisCluster } from "./test/helpers/redis-cluster.ts"
void (async () => {
  const started = Date.now()
  const cluster = await startRedisCluster()
  const ports = cluster.nodes.map((node) => node.port).join(", ")
  await cluster.stop()
  console.log(`a local Redis Cluster formed on ports ${ports} in ${Date.now() - started} ms, and stopped`)
})()
'
