#!/usr/bin/env bash
# Checks each server the store tests need and starts any that is down, with the commands this
# machine kind documents. The tests themselves fail in CI (CI=true) when a server is unreachable.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure() {
  local name=$1 port=$2 start=$3
  if port_open "$port"; then
    echo "$name: up on 127.0.0.1:$port"
    return
  fi
  echo "$name: down; starting it"
  bash -c "$start" || echo "$name: the start command failed"
  for _ in $(seq 1 60); do
    if port_open "$port"; then
      echo "$name: up on 127.0.0.1:$port"
      return
    fi
    sleep 1
  done
  echo "$name: still down after 60 s; its store tests will fail" >&2
}

ensure Redis 6379 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log'
ensure PostgreSQL 5432 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
ensure MariaDB 3306 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd'
