<?php
// SPDX-License-Identifier: Apache-2.0
/* A must-use plugin of the private test site (testing/wordpress.sh links it
 * into the site's wp-content/mu-plugins): WordPress makes no HTTP request.
 * The update checks, HTTPS detection and loopback tests that cron and the
 * admin pages run fail at once instead of waiting on a network that a test
 * machine may not have; no page a test compares depends on them. */
add_filter('pre_http_request', fn() => new WP_Error('offline', 'the test site makes no HTTP request'));
