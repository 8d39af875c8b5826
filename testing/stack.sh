# SPDX-License-Identifier: Apache-2.0
# stack.sh — sourced by the end-to-end and hostile tests, the request
# benchmarks and scripts/demo: starts php-fpm (with bvapm.so, opcache and JIT
# on) and nginx on 127.0.0.1 under a temporary prefix, and stops them. Every
# process is started by the caller and stopped by stack_stop. The pages are
# testing/www (a sample application: plain, checkpoints, tags, errors, SQL,
# the memory guide's scenarios); the drainer is started by drainer.sh.
#
#   stack_start DIR PORT EXTENSION RING MODE [extra php -d settings...]
#   stack_nginx DIR PORT SOCKET WWW   nginx alone, before a php-fpm started elsewhere
#   stack_stop
#   free_port
# STACK_WWW, when set, is the document root instead of testing/www, and
# STACK_READY the page that must answer 200 (default plain.php), asked for
# with the Host header STACK_HOST when set (an application that serves one
# host name). STACK_FRONT, when set, is a front controller (/index.php): a
# path that is no file or directory goes to it, a directory to its index.php,
# as WordPress and Symfony are served.
# Needs: php-fpm8.2, nginx (Debian packages, installed by scripts/install-deps).

stack_start() {
  local dir=$1 port=$2 ext=$3 ring=$4 mode=$5; shift 5
  local www; www=${STACK_WWW:-$(cd "$(dirname "${BASH_SOURCE[0]}")/www" && pwd)}
  mkdir -p "$dir/tmp"
  local as_root=""
  [ "$(id -u)" -eq 0 ] && as_root="-R"
  cat > "$dir/php-fpm.conf" <<CONF
[global]
error_log = $dir/php-fpm.log
pid = $dir/php-fpm.pid
daemonize = no
[www]
listen = $dir/php-fpm.sock
listen.mode = 0666
pm = static
pm.max_children = 2
catch_workers_output = yes
clear_env = no
decorate_workers_output = no
php_admin_value[error_log] = $dir/php-errors.log
php_admin_flag[log_errors] = on
CONF
  local d=(-d "extension=$ext" -d "bvapm.ring=$ring" -d "bvapm.mode=$mode"
           -d zend_extension=opcache.so -d opcache.enable=1 -d opcache.jit=tracing
           -d opcache.jit_buffer_size=16M -d memory_limit=128M -d display_errors=0)
  for s in "$@"; do d+=(-d "$s"); done
  [ -n "$ext" ] || d=("${d[@]:2}")
  php-fpm8.2 -n $as_root -y "$dir/php-fpm.conf" -p "$dir" "${d[@]}" &
  STACK_FPM=$!
  stack_nginx "$dir" "$port" "$dir/php-fpm.sock" "$www"
  # Up when php-fpm answers through nginx with a 200 (nginx alone answers
  # 502 until php-fpm listens); give up early if either process died (a
  # port taken by another program makes nginx exit).
  for _ in $(seq 200); do
    kill -0 "$STACK_NGINX" 2>/dev/null && kill -0 "$STACK_FPM" 2>/dev/null || break
    [ -S "$dir/php-fpm.sock" ] &&
      curl -sf -o /dev/null ${STACK_HOST:+-H "Host: $STACK_HOST"} \
        "http://127.0.0.1:$port/${STACK_READY:-plain.php}" && return 0
    sleep 0.05
  done
  echo "stack did not come up; logs:" >&2
  cat "$dir"/*.log >&2 2>/dev/null
  return 1
}

# nginx alone on 127.0.0.1:PORT in front of the php-fpm listening on SOCKET
# (the package suite's system php-fpm), document root WWW; sets STACK_NGINX.
stack_nginx() {
  local dir=$1 port=$2 sock=$3 www=$4
  mkdir -p "$dir/tmp"
  cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $dir/nginx-error.log;
pid $dir/nginx.pid;
$( [ "$(id -u)" -eq 0 ] && echo "user root root;" )
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp; proxy_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$port;
    root $www;
$( [ -n "${STACK_FRONT:-}" ] && printf '    index index.php;\n    location / { try_files $uri $uri/ %s?$args; }\n' "$STACK_FRONT" )
    # Each PHP location sets HTTP_HOST with the port after Debian's
    # fastcgi_params, which pass \$host alone: a site on a port other than
    # 80 that builds its URLs from it (WordPress's canonical redirect) would
    # send every request back to itself.
    # A front controller, as Laravel and WordPress use:
    location /app/ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param HTTP_HOST \$host:\$server_port;
      fastcgi_param SCRIPT_FILENAME \$document_root/plain.php;
      fastcgi_pass unix:$sock;
    }
    location ~ \.php\$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param HTTP_HOST \$host:\$server_port;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$sock;
    }
  }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" &
  STACK_NGINX=$!
}

stack_stop() {
  local pids=()
  [ -n "${STACK_NGINX:-}" ] && kill "$STACK_NGINX" 2>/dev/null && pids+=("$STACK_NGINX")
  [ -n "${STACK_FPM:-}" ] && kill "$STACK_FPM" 2>/dev/null && pids+=("$STACK_FPM")
  [ ${#pids[@]} -gt 0 ] && wait "${pids[@]}" 2>/dev/null
  STACK_NGINX="" STACK_FPM=""
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
