# SPDX-License-Identifier: Apache-2.0
# wordpress.sh — sourced by the WordPress route test and by whatever runs
# load on WordPress (after testing/stack.sh and testing/mariadb.sh): a private
# WordPress site on Debian's package, served by php-fpm + nginx on 127.0.0.1,
# with its own MariaDB, and everything removed again.
#
# Debian's /usr/share/wordpress/wp-config.php reads the configuration of the
# host asked for, /etc/wordpress/config-HOST.php. The site gets a host name
# of its own (WP_HOST, never a real one; requests carry it in their Host
# header, to 127.0.0.1), whose configuration is the one file written outside
# DIR and is removed by wp_stop: the database over the private server's Unix
# socket, home and site URL http://WP_HOST:PORT, WordPress's cron never
# started by a page (DISABLE_WP_CRON), fixed keys and salts, and a content
# directory DIR/wp-content (the Debian theme linked in, offline.php as a
# must-use plugin: no HTTP request leaves the site). testing/wordpress/
# install.php installs it from php-cli and writes the fixture pages' list.
#
#   wp_setup DIR PORT    the server (DIR/mariadb), the configuration, the
#                        install and its fixtures; sets WP_HOST, WP_PORT,
#                        WP_HOSTPORT (HOST:PORT, the Host header), WP_PAGES
#                        (DIR/pages: "NAME METHOD PATH [POST-BODY]" a line:
#                        the front page, a post, a page, a category and a
#                        tag archive, a search, the feed, a 404, the REST
#                        posts and one post, the login page, an admin-ajax
#                        heartbeat, wp-admin logged out, wp-cron.php); returns
#                        1 with the cause on stderr
#   wp_serve DIR EXTENSION RING MODE [php -d settings...]
#                        php-fpm (stack_start, with the PHP modules
#                        WordPress needs; EXTENSION empty: without bvapm) and
#                        nginx for the site on WP_PORT, under DIR
#   wp_curl PATH [CURL ARGS...]
#                        one request to the site (its Host header set)
#   wp_page NAME [CURL ARGS...]
#                        the page NAME of WP_PAGES, with its method and body
#   wp_stop              stack_stop, the server stopped, the configuration
#                        file removed (safe to call twice, or before setup);
#                        a configuration left behind by a site killed outright
#                        (its DIR gone) is removed by the next wp_setup
# Needs: the Debian packages wordpress, wordpress-theme-twentytwentythree,
# mariadb-server, php8.2-fpm, php8.2-mysql, nginx; root (the configuration is
# written to /etc/wordpress).
WP_HOST="" WP_PORT="" WP_HOSTPORT="" WP_PAGES="" WP_CONFIG=""
WP_ROOT=/usr/share/wordpress
WP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/wordpress" && pwd)
# the modules WordPress uses, loaded by name (the tests' PHP reads no php.ini)
WP_PHP_MODULES=(extension=mysqlnd extension=mysqli extension=ctype extension=iconv extension=mbstring
                extension=fileinfo extension=exif)

wp_setup() {
  local dir=$1 port=$2
  mkdir -p "$dir/mariadb" "$dir/wp-content/mu-plugins" "$dir/wp-content/uploads" "$dir/wp-content/plugins"
  dir=$(cd "$dir" && pwd) # the configuration names it
  ln -sfn "$WP_ROOT/wp-content/themes" "$dir/wp-content/themes"
  ln -sfn "$WP_HERE/offline.php" "$dir/wp-content/mu-plugins/offline.php"
  _wp_remove_orphans
  mariadb_start "$dir/mariadb" || return 1
  WP_HOST=bvapm-wp-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n').test
  WP_PORT=$port WP_HOSTPORT=$WP_HOST:$port WP_PAGES=$dir/pages
  local config=/etc/wordpress/config-$WP_HOST.php
  # noclobber: never take over a file that is there already
  ( set -o noclobber; cat > "$config" ) 2>/dev/null <<PHP || { echo "cannot write $config" >&2; return 1; }
<?php
/* A private test site of bvapm's testing/wordpress.sh, removed when it stops. */
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:$MARIADB_SOCKET');
define('WP_HOME', 'http://$WP_HOSTPORT');
define('WP_SITEURL', 'http://$WP_HOSTPORT');
define('WP_CONTENT_DIR', '$dir/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY',
          'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as \$k) {
    define(\$k, "bvapm test site \$k");
}
PHP
  WP_CONFIG=$config
  local d=() s
  for s in "${WP_PHP_MODULES[@]}"; do d+=(-d "$s"); done
  php -n "${d[@]}" "$WP_HERE/install.php" "$WP_HOSTPORT" "$MARIADB_SOCKET" "$WP_PAGES" > "$dir/install.log" 2>&1 ||
    { echo "WordPress install failed:" >&2; tail -n 20 "$dir/install.log" >&2; return 1; }
  # cron once, as WordPress would on its first visits: the jobs its first
  # load schedules run now, and no page of the site finds work due later
  php -n "${d[@]}" -r '$_SERVER["HTTP_HOST"] = $argv[1]; require "/usr/share/wordpress/wp-cron.php";' \
    "$WP_HOSTPORT" >> "$dir/install.log" 2>&1 || { echo "WordPress cron failed:" >&2; tail -n 20 "$dir/install.log" >&2; return 1; }
}

wp_serve() {
  local dir=$1 ext=$2 ring=$3 mode=$4; shift 4
  STACK_WWW=$WP_ROOT STACK_FRONT=/index.php STACK_READY=wp-login.php STACK_HOST=$WP_HOSTPORT \
    stack_start "$dir" "$WP_PORT" "$ext" "$ring" "$mode" "${WP_PHP_MODULES[@]}" "$@"
}

wp_curl() {
  local path=$1; shift
  curl -s --max-time 20 -H "Host: $WP_HOSTPORT" "$@" "http://127.0.0.1:$WP_PORT$path"
}

wp_page() {
  local name=$1 n method path body; shift
  while read -r n method path body; do
    [ "$n" = "$name" ] || continue
    if [ "$method" = POST ]; then wp_curl "$path" --data "$body" "$@"; else wp_curl "$path" "$@"; fi
    return
  done < "$WP_PAGES"
  echo "no page $name in $WP_PAGES" >&2
  return 1
}

# The configuration of a site whose directory is gone (its test was killed
# before it could clean up): removed, by the name only this file gives.
_wp_remove_orphans() {
  local f content
  for f in /etc/wordpress/config-bvapm-wp-*.test.php; do
    [ -f "$f" ] || continue
    content=$(sed -n "s/^define('WP_CONTENT_DIR', '\(.*\)');\$/\1/p" "$f")
    [ -n "$content" ] && [ ! -d "$content" ] && rm -f "$f"
  done
  return 0
}

wp_stop() {
  stack_stop
  mariadb_stop
  [ -n "$WP_CONFIG" ] && rm -f "$WP_CONFIG"
  WP_CONFIG=""
}
