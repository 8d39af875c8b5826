#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages as an administrator uses them, on this machine: built
# by scripts/build-debs (dpkg-buildpackage in a copy of the tree),
# lint-checked, installed with apt-get, the drainer started from its
# installed systemd unit (with systemd when it is PID 1, else the unit's
# ExecStart, User, Group, SupplementaryGroups and UMask by hand, with a
# notify socket for READY=1 and WATCHDOG=1), pages served by the system's
# php8.2-fpm (its own /etc/php/8.2/fpm configuration, so bvapm comes from the
# packaged mods-available/bvapm.ini) behind nginx, the store read by the
# installed bvapm-report; then an upgrade to a rebuilt package under load,
# the drainer and php-fpm restarted as the maintainer scripts and php-fpm's
# trigger would, with every answered request stored; then a purge that
# leaves nothing behind.
#
#   test_debian.sh SOURCE_ROOT
# Root only (it installs packages); skipped (77) when bvapm is installed on
# the machine already or a system php-fpm or ring of its own is running.
set -u
root=$1
source "$root/tests/lib/common.sh"

skip() { echo "1..0 # SKIP $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "installs packages: root only"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-dev missing (scripts/install-deps)"
for p in php8.2-bvapm bvapm-drainer bvapm-tools; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed' &&
    skip "$p is installed on this machine: not touching it"
done
[ -e /dev/shm/bvapm-default ] && skip "/dev/shm/bvapm-default exists: a ring of this host"
[ -e /run/php/php8.2-fpm.pid ] && kill -0 "$(cat /run/php/php8.2-fpm.pid)" 2>/dev/null &&
  skip "the system php8.2-fpm is running: not restarting it"

scratch package 0755
unset BVAPM_SHM_DIR  # the installed tools and the drainer use /dev/shm itself
unit=/lib/systemd/system/bvapm-drainer.service
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$root/meson.build" | head -1)
[ -n "$version" ] || bail "no version in $root/meson.build"
debs() { ls "$dir/$1"/{php8.2-bvapm,bvapm-drainer,bvapm-tools}_"$2"_*.deb; }

# Whatever happens, this machine's PHP must not keep bvapm: later suites run
# the system's php without -n.
FPM_PID="" LOAD_PID="" LISTENER_PID="" DRAINER_BY_HAND=""
cleanup() {
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
  stop_drainer
  stop_fpm
  [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
  if dpkg-query -W -f='${Status}' php8.2-bvapm bvapm-drainer bvapm-tools 2>/dev/null | grep -q installed; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq php8.2-bvapm bvapm-drainer bvapm-tools \
      >/dev/null 2>&1
  fi
}
on_exit cleanup

# The drainer, the way its unit runs it.
unit_get() { sed -n "s/^$1=//p" "$unit" | head -1; }
start_drainer() {
  if [ -d /run/systemd/system ]; then
    systemctl start bvapm-drainer.service
    return
  fi
  local user group supp umask exec gids="" g
  user=$(unit_get User) group=$(unit_get Group) supp=$(unit_get SupplementaryGroups)
  umask=$(unit_get UMask) exec=$(unit_get ExecStart)
  for g in $supp; do gids+="${gids:+,}$(getent group "$g" | cut -d: -f3)"; done
  : > "$dir/notify.log"
  (umask "$umask"
   exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$dir/notify.sock" \
     WATCHDOG_USEC=1000000 \
     setpriv --reuid="$user" --regid="$group" --groups="$gids" --no-new-privs \
       --inh-caps=-all --bounding-set=-all $exec) >>"$dir/drainer.log" 2>&1 &
  DRAINER_BY_HAND=$!
}
stop_drainer() {
  if [ -d /run/systemd/system ]; then
    systemctl stop bvapm-drainer.service 2>/dev/null; DRAINER_RC=$?
    return 0
  fi
  [ -n "$DRAINER_BY_HAND" ] || return 0
  kill -TERM "$DRAINER_BY_HAND" 2>/dev/null
  wait "$DRAINER_BY_HAND"; DRAINER_RC=$?
  DRAINER_BY_HAND=""
}
ready() { grep -q '^READY=1$' "$dir/notify.log"; }
drainer_up() {
  if [ -d /run/systemd/system ]; then systemctl is-active -q bvapm-drainer.service; else
    wait_until 10 ready; fi
}

# The system's php-fpm with its own configuration (pool www as www-data on
# /run/php/php8.2-fpm.sock), as its init script starts it — but with
# process_control_timeout set: Debian leaves it at 0, where a reload (SIGUSR2)
# cuts the requests the old workers are serving (nginx answers 502 for them,
# extension or not); with it the old workers finish them first, the graceful
# reload an operator configures for upgrades under load.
start_fpm() {
  mkdir -p /run/php
  sed 's/^;*process_control_timeout = .*/process_control_timeout = 10s/' /etc/php/8.2/fpm/php-fpm.conf \
    > "$dir/php-fpm.conf"
  grep -q '^process_control_timeout = 10s' "$dir/php-fpm.conf" || echo 'process_control_timeout = 10s' >> "$dir/php-fpm.conf"
  php-fpm8.2 --nodaemonize --fpm-config "$dir/php-fpm.conf" >>"$dir/fpm.log" 2>&1 &
  FPM_PID=$!
  wait_until 10 test -S /run/php/php8.2-fpm.sock
}
stop_fpm() {
  [ -n "$FPM_PID" ] || return 0
  kill -QUIT "$FPM_PID" 2>/dev/null; wait "$FPM_PID" 2>/dev/null; FPM_PID=""
}
# SIGUSR2: php-fpm re-reads its configuration and starts new workers (which
# load the new bvapm.so); the old ones finish their request first.
reload_fpm() { kill -USR2 "$FPM_PID"; }

# Requests, each status code appended to a file ("load" runs until killed).
port=$(free_port)
get() { curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "http://127.0.0.1:$port/$1"; }
load() { while :; do get "plain.php?load=1" >> "$dir/load.codes"; done; }
answered() { cat "$dir"/*.codes 2>/dev/null | grep -c '^200$'; }
stored() {
  bvapm-report --json --endpoint plain.php summary 2>/dev/null | jget 'd["requests"]' 2>/dev/null
}
all_stored() { [ "$(stored)" = "$(answered)" ]; }

# --- build ---------------------------------------------------------------
"$root/scripts/build-debs" --nocheck "$dir/v1" > "$dir/build.log" 2>&1
check "scripts/build-debs builds the three packages" "[ $? = 0 ] && [ \$(debs v1 $version | wc -l) = 3 ]" \
  "$(tail -20 "$dir/build.log")"
lintian --fail-on error,warning $(debs v1 $version) > "$dir/lintian.log" 2>&1
check "lintian: no error and no warning" "[ $? = 0 ]" "$(cat "$dir/lintian.log")"

# --- install -------------------------------------------------------------
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >> "$dir/apt.log" 2>&1
}
apt_install $(debs v1 $version)
check "apt-get install ./…deb installs them" "[ $? = 0 ]" "$(tail -20 "$dir/apt.log")"
uid=$(id -u bvapm 2>/dev/null)
check "the system user and group bvapm exist" \
  "[ -n '$uid' ] && [ '$uid' -lt 1000 ] && getent group bvapm >/dev/null"
check "/var/lib/bvapm belongs to bvapm, mode 0750" \
  "[ \"\$(stat -c '%U:%G %a' /var/lib/bvapm)\" = 'bvapm:bvapm 750' ]"
check "/run/bvapm made by tmpfiles.d for bvapm" "[ \"\$(stat -c '%U %a' /run/bvapm)\" = 'bvapm 750' ]"
check "bvapm enabled for php-fpm and the CLI" \
  "[ -L /etc/php/8.2/fpm/conf.d/20-bvapm.ini ] && [ -L /etc/php/8.2/cli/conf.d/20-bvapm.ini ]"
check "php -m lists bvapm, loaded once and without a warning" \
  "[ \$(php -m 2>&1 | grep -c bvapm) = 1 ] && ! php -m 2>&1 | grep -qi warning"
check "the packaged bvapm.ini is light mode" "[ \"\$(php -r 'echo ini_get(\"bvapm.mode\");')\" = light ]"
check "the packaged drainer configuration gives the ring to www-data" \
  "grep -q '^group = www-data' /etc/bvapm/bvapm-drainer.ini"
expect "bvapm-drainer --check-config accepts the installed configuration" 0 \
  bvapm-drainer --check-config -c /etc/bvapm/bvapm-drainer.ini
check "man pages installed" \
  "man -w bvapm-drainer >/dev/null && man -w bvapm-shm >/dev/null && man -w bvapm-report >/dev/null"
apt_install --reinstall $(debs v1 $version)
check "installing again changes nothing (same uid, still enabled)" \
  "[ \$? = 0 ] && [ \"\$(id -u bvapm)\" = '$uid' ] && [ -L /etc/php/8.2/fpm/conf.d/20-bvapm.ini ]"

# --- run -----------------------------------------------------------------
if [ ! -d /run/systemd/system ]; then
  "$PY" "$root/tests/package/notify_listener.py" "$dir/notify.sock" "$dir/notify.log" &
  LISTENER_PID=$!
  wait_until 5 test -S "$dir/notify.sock"
fi
start_drainer
drainer_up
check "the drainer started from its unit reports READY=1" "[ $? = 0 ]" "$(cat "$dir/drainer.log")"
check "the drainer runs as bvapm" \
  "[ \"\$(ps -o user= -p \$(pgrep -xn bvapm-drainer))\" = bvapm ]"
check "its ring: /dev/shm/bvapm-default, bvapm:www-data 0660" \
  "[ \"\$(stat -c '%U:%G %a' /dev/shm/bvapm-default 2>&1)\" = 'bvapm:www-data 660' ]"
if [ -z "$DRAINER_BY_HAND" ]; then ok "watchdog pings # SKIP systemd supervises the unit itself"; else
  wait_until 5 sh -c "[ \$(grep -c '^WATCHDOG=1$' '$dir/notify.log') -ge 2 ]"
  check "the drainer pings the watchdog (WATCHDOG_USEC=1 s: every 0.5 s)" "[ $? = 0 ]"
fi

start_fpm
check "the system php8.2-fpm starts with bvapm" "[ $? = 0 ]" "$(cat "$dir/fpm.log")"
www=$dir/www
cp -r "$root/testing/www" "$www" && chmod -R a+rX "$www"
stack_nginx "$dir/nginx" "$port" /run/php/php8.2-fpm.sock "$www"
# (the probe is tags.php: only plain.php requests are counted)
wait_until 10 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/tags.php)\" = 200 ]"
check "nginx answers through the system php-fpm" "[ $? = 0 ]"

# Every request recorded from now on: the operator's switch, no restart.
expect "bvapm-shm enable --mode aggressive" 0 bvapm-shm enable --mode aggressive
sleep 0.2
for _ in $(seq 100); do get "plain.php?phase=install" >> "$dir/install.codes"; done
check "100 requests answered 200" "[ \$(answered) = 100 ]"
wait_until 15 all_stored; rc=$?
check "bvapm-report (installed) finds each of them in the store ($(stored))" "[ $rc = 0 ]"

# --- upgrade under load --------------------------------------------------
# The administrator's own change to a conffile survives the upgrade.
sed -i 's/^;bvapm.service =$/bvapm.service = shop/' /etc/php/8.2/mods-available/bvapm.ini
old_inode=$(stat -c %i /usr/lib/php/*/bvapm.so)
new=$version+rebuild1
"$root/scripts/build-debs" --nocheck --version "$new" "$dir/v2" >> "$dir/build.log" 2>&1
check "the rebuilt packages ($new)" "[ $? = 0 ] && [ \$(debs v2 $new | wc -l) = 3 ]"
load & LOAD_PID=$!
sleep 1
apt_install $(debs v2 $new)
check "apt-get upgrades to them with the drainer running" "[ $? = 0 ]" "$(tail -20 "$dir/apt.log")"
# What the maintainer scripts ask for: the unit restarted after the upgrade
# (dh_installsystemd) and php8.2-fpm restarted by its conf.d trigger.
stop_drainer
check "the old drainer stops on SIGTERM (exit 0)" "[ '${DRAINER_RC:-0}' = 0 ]"
sleep 0.5  # workers keep writing into the ring meanwhile
: > "$dir/notify.log"
start_drainer
drainer_up
check "the new drainer starts (READY=1)" "[ $? = 0 ]"
reload_fpm
sleep 2
kill "$LOAD_PID"; wait "$LOAD_PID" 2>/dev/null; LOAD_PID=""
during=$(grep -c '^200$' "$dir/load.codes")
check "requests answered during the upgrade ($during)" "[ '$during' -gt 20 ]"
check "no request failed during the upgrade" "! grep -qv '^200$' '$dir/load.codes'" \
  "$(sort "$dir/load.codes" | uniq -c)"
check "php8.2-bvapm is now $new" "[ \"\$(dpkg-query -W -f='\${Version}' php8.2-bvapm)\" = '$new' ]"
check "php-fpm's workers run the new bvapm.so" \
  "[ \$(stat -c %i /usr/lib/php/*/bvapm.so) != '$old_inode' ] && ! grep -q ' (deleted)' <(grep bvapm.so /proc/\$(pgrep -f 'php-fpm: pool' | head -1)/maps)"
check "the administrator's bvapm.ini change is kept" \
  "grep -q '^bvapm.service = shop$' /etc/php/8.2/mods-available/bvapm.ini"
wait_until 20 all_stored; rc=$?
check "every answered request is in the store, none lost ($(stored) of $(answered))" "[ $rc = 0 ]"
loss=$(bvapm-shm --json stat | jget 'd["lost"]["total"] + d["invalid_records"]')
check "the ring counts no loss and no invalid record ($loss)" "[ '$loss' = 0 ]"

# --- purge ---------------------------------------------------------------
stop_drainer
stop_fpm
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq php8.2-bvapm bvapm-drainer bvapm-tools \
  >> "$dir/apt.log" 2>&1
check "apt-get purge removes the three packages" \
  "[ $? = 0 ] && ! dpkg-query -W -f='\${Status}\n' php8.2-bvapm bvapm-drainer bvapm-tools 2>/dev/null | grep -qv 'not-installed'" \
  "$(dpkg -l | grep bvapm)"
check "no user or group bvapm" "! getent passwd bvapm && ! getent group bvapm"
check "no /var/lib/bvapm, /run/bvapm, /etc/bvapm" "[ ! -e /var/lib/bvapm ] && [ ! -e /run/bvapm ] && [ ! -e /etc/bvapm ]"
check "no ring left in /dev/shm" "! ls /dev/shm/bvapm-default 2>/dev/null"
left=$(find /etc/php /var/lib/php/modules -name '*bvapm*' 2>/dev/null)
check "nothing of bvapm in PHP's configuration or module state" "[ -z '$left' ]" "$left"
check "php no longer loads bvapm" "! php -m 2>&1 | grep -q bvapm"
finish
