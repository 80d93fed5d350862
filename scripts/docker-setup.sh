#!/usr/bin/env bash
# Makes a Docker engine available for the docker backend's tests (called by .ci/run).
# Idempotent: installs docker.io with apt-get when dockerd is missing, starts dockerd in the
# background when it is not answering, waits (bounded) until `docker info` works, prints the
# version. Needs root (or sudo) for the install and for starting dockerd.
set -euo pipefail

WAIT_S="${DOCKER_SETUP_WAIT_S:-60}"
LOG="${DOCKER_SETUP_LOG:-/var/log/dockerd.log}"
# dockerd's pid file (its default); another only for scripts/ci-run.test.ts's stand-in engine
PIDFILE="${DOCKER_SETUP_PIDFILE:-/var/run/docker.pid}"

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
fi

say() { echo "docker-setup: $*"; }

engine_up() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
  say "Docker is already running"
  docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}'
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "dockerd is not installed and apt-get is not available: install Docker yourself" >&2
    exit 1
  fi
  say "installing docker.io with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq docker.io >/dev/null
fi

if ! command -v docker >/dev/null 2>&1; then
  say "the docker CLI is missing after the install" >&2
  exit 1
fi

if ! engine_up; then
  if { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null; } || pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is running but not answering yet; waiting"
  else
    say "starting dockerd in the background (log: $LOG)"
    # a stale pid file from an earlier, killed dockerd makes the new one refuse to start
    if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null; then
      $SUDO rm -f "$PIDFILE"
    fi
    $SUDO sh -c "nohup dockerd >>'$LOG' 2>&1 &"
  fi
  t=0
  until engine_up; do
    if [ "$t" -ge "$((WAIT_S * 4))" ]; then
      say "dockerd did not answer within ${WAIT_S} s; last lines of $LOG:" >&2
      tail -n 30 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.25
    t=$((t + 1))
  done
fi

say "Docker is running"
docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}'
