#!/usr/bin/env bash
# `make test` calls this first: installs what the tests need beyond Bun (Debian's chromium and haproxy)
# and brings up PostgreSQL, Redis and NATS on 127.0.0.1, or says exactly what to do and exits non-zero.
set -uo pipefail

fail() { echo "make test: $*" >&2; exit 1; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "make test: installing ${missing[*]} from Debian's packages"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
      || fail "could not install ${missing[*]} with apt-get"
  else
    fail "the tests need Debian's ${missing[*]}: run 'sudo apt-get install ${missing[*]}', then make test again"
  fi
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done; return 1; }

# name, port, how to start it (run only when the port is closed and the program is installed), hint
service() {
  local name=$1 port=$2 start=$3 hint=$4
  port_open "$port" && return 0
  echo "make test: starting $name on 127.0.0.1:$port"
  bash -c "$start" >/dev/null 2>&1
  wait_port "$port" || fail "$name is not reachable on 127.0.0.1:$port and could not be started here; $hint"
}

service PostgreSQL 5432 \
  'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start' \
  "install Debian's postgresql and start it with trust auth for 127.0.0.1 and a database named test"
service Redis 6379 \
  'mkdir -p /var/lib/redis /var/log/redis; redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log' \
  "install Debian's redis-server and run: redis-server --port 6379 --save '' --appendonly no"
service NATS 4222 \
  'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log' \
  "install Debian's nats-server and run: nats-server -a 127.0.0.1 -p 4222"
exit 0
