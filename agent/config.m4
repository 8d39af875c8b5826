dnl SPDX-License-Identifier: Apache-2.0
dnl bvapm.so the way every PHP extension is built, for a PHP other than the
dnl one meson builds against:  phpize && ./configure && make && make test
dnl The sources are the meson build's own (agent/core, agent/php, ring/,
dnl record/'s build/verify/read; tests/agent/phpize-sources checks the lists
dnl agree); headers are included by folder from the top of the tree.

PHP_ARG_ENABLE([bvapm],
  [whether to enable bvapm],
  [AS_HELP_STRING([--enable-bvapm], [bvapm: PHP application performance monitoring agent])],
  [yes])

if test "$PHP_BVAPM" != "no"; then
  bvapm_root=`cd "$abs_srcdir/.." && pwd`
  AC_CHECK_HEADER([ck_pr.h], [],
    [AC_MSG_ERROR([bvapm needs Concurrency Kit's headers (ck_pr.h): install libck-dev])])
  dnl the curl wrappers use libcurl's types and constants; its functions are
  dnl those of the library PHP's curl extension loaded (not linked here)
  AC_CHECK_HEADER([curl/curl.h], [],
    [AC_MSG_ERROR([bvapm needs libcurl's headers (curl/curl.h): install libcurl4-openssl-dev])])

  bvapm_cflags="-std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing -I$bvapm_root -DCOMPILE_DL_BVAPM=1"
  bvapm_agent="
    core/agent_attach.c core/agent_calls.c core/agent_config.c core/agent_core.c
    core/agent_guard.c core/agent_identity.c core/agent_keep.c core/agent_profiling.c
    core/agent_record.c core/agent_request.c core/agent_sampler.c core/agent_sql.c
    core/agent_standing.c core/agent_trace.c core/agent_write.c core/http_call.c core/profile.c
    core/profile_clock.c core/profile_fold.c core/sql_cache.c core/sql_normalize.c core/sql_stats.c
    php/bvapm_module.c php/bvapm_hooks.c php/bvapm_jobs.c php/bvapm_observer.c php/bvapm_heap_usage.c
    php/bvapm_routes.c php/bvapm_sampling.c php/bvapm_sql_hooks.c php/bvapm_cache_hooks.c
    php/bvapm_curl_handles.c php/bvapm_curl_hooks.c php/bvapm_stream_hooks.c"
  bvapm_ring="
    ring_open.c ring_create.c ring_producer.c ring_consumer.c ring_slots.c ring_stats.c
    ring_check.c ring_observe.c ring_proc.c ring_guard.c ring_standing.c ring_framing.c"
  bvapm_record="record_build.c record_verify.c record_read.c"
  PHP_NEW_EXTENSION([bvapm], [$bvapm_agent], [$ext_shared], [], [$bvapm_cflags])
  dnl ring/ and record/ beside agent/: a directory argument, as a source
  dnl path may not hold "..".
  PHP_ADD_SOURCES_X([../ring], [$bvapm_ring], [$bvapm_cflags], [shared_objects_bvapm], [yes])
  PHP_ADD_SOURCES_X([../record], [$bvapm_record], [$bvapm_cflags], [shared_objects_bvapm], [yes])
  PHP_ADD_BUILD_DIR([$ext_builddir/core $ext_builddir/php])
  PHP_SUBST([bvapm_root])
  dnl make test's bvapm-fake-producer: the same ring files, the full codec.
  BVAPM_RING_SOURCES=`echo $bvapm_ring`
  PHP_SUBST([BVAPM_RING_SOURCES])
  if ! pkg-config --exists json-c 2>/dev/null; then
    AC_MSG_WARN([json-c not found (libjson-c-dev): bvapm.so builds, make test cannot build its test tool])
  fi
  PHP_ADD_MAKEFILE_FRAGMENT
fi
