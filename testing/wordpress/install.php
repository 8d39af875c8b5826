<?php
// SPDX-License-Identifier: Apache-2.0
/* Installs Debian's WordPress for a private test site, from php-cli, with no
 * network and no question asked; run by testing/wordpress.sh once the site's
 * configuration file (/etc/wordpress/config-HOST.php) and its MariaDB exist.
 *
 *   php install.php HOST:PORT MARIADB_SOCKET PAGES_FILE
 *
 * Creates the database, runs wp_install() (the defaults: "Hello world!", the
 * sample page), sets pretty permalinks (/%postname%/), then the fixture
 * content every page of the list needs: a category, a tag, a post in both
 * and a page, with words a search finds. Writes PAGES_FILE: one page a
 * line, "NAME METHOD PATH [POST-BODY]", the paths asked of WordPress itself
 * (get_permalink() and friends), so tests and benchmarks request the same
 * pages. Nothing is fetched or mailed: HTTP requests fail at once, the
 * new-site mail is not sent. Exits non-zero with a message on any failure. */

[, $host, $socket, $pages_file] = $argv + [null, null, null, null];
if ($pages_file === null) {
    fwrite(STDERR, "usage: install.php HOST:PORT MARIADB_SOCKET PAGES_FILE\n");
    exit(2);
}

function ok_or_die($r, string $what) {
    if (is_wp_error($r) || !$r) {
        fwrite(STDERR, "install.php: $what: " . (is_wp_error($r) ? $r->get_error_message() : 'failed') . "\n");
        exit(1);
    }
    return $r;
}

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$db = new mysqli('localhost', 'root', '', '', 0, $socket);
$db->query('CREATE DATABASE IF NOT EXISTS wordpress');
$db->close();

// Debian's wp-config.php picks /etc/wordpress/config-HOST.php by this name
$_SERVER['HTTP_HOST'] = $host;
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
add_filter('pre_http_request', fn() => new WP_Error('offline', 'the test site makes no HTTP request'));

// pluggable: the installer would mail the new site's owner
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}

require_once ABSPATH . 'wp-admin/includes/upgrade.php';
// a permalink structure already set keeps the installer from probing the
// site over HTTP for one that works
add_filter('pre_option_permalink_structure', fn() => '/%postname%/');
ok_or_die(wp_install('bvapm test site', 'admin', 'admin@example.invalid', true, '', 'admin-password'), 'wp_install');
remove_all_filters('pre_option_permalink_structure');
$wp_rewrite->set_permalink_structure('/%postname%/');

$category = ok_or_die(wp_insert_term('Agents', 'category', ['slug' => 'agents']), 'category');
$tag = ok_or_die(wp_insert_term('Shared memory', 'post_tag', ['slug' => 'shared-memory']), 'tag');
$post = ok_or_die(wp_insert_post([
    'post_title' => 'Ring buffers in shared memory',
    'post_name' => 'ring-buffers',
    'post_content' => '<!-- wp:paragraph --><p>A lighthouse keeper counts every ship: '
        . 'records go through a lock-free ring, none is lost unseen.</p><!-- /wp:paragraph -->',
    'post_status' => 'publish',
    'post_author' => 1,
    'post_date' => '2024-03-01 10:00:00',
    'post_category' => [$category['term_id']],
    'tags_input' => ['shared-memory'],
]), 'post');
$page = ok_or_die(wp_insert_post([
    'post_title' => 'About the agent',
    'post_name' => 'about',
    'post_content' => '<!-- wp:paragraph --><p>Every request is timed and counted.</p><!-- /wp:paragraph -->',
    'post_status' => 'publish',
    'post_type' => 'page',
    'post_author' => 1,
    'post_date' => '2024-03-01 11:00:00',
]), 'page');

// the categories' and tags' permalinks were registered with the install's
// plain structure: again with the new one, then the rules for it, now
// rather than on the first request
create_initial_taxonomies();
flush_rewrite_rules(false);

$path = fn(string $url) => substr($url, strlen(home_url()));
$pages = [
    ['front-page', 'GET', '/'],
    ['post', 'GET', $path(get_permalink($post))],
    ['page', 'GET', $path(get_permalink($page))],
    ['category', 'GET', $path(get_category_link($category['term_id']))],
    ['tag', 'GET', $path(get_tag_link($tag['term_id']))],
    ['search', 'GET', '/?s=lighthouse'],
    ['feed', 'GET', $path(get_feed_link())],
    ['not-found', 'GET', '/no-such-page/'],
    ['rest-posts', 'GET', '/wp-json/wp/v2/posts'],
    ['rest-post', 'GET', "/wp-json/wp/v2/posts/$post"],
    ['login', 'GET', '/wp-login.php'],
    ['ajax-heartbeat', 'POST', '/wp-admin/admin-ajax.php', 'action=heartbeat'],
    ['admin', 'GET', '/wp-admin/'],
    ['cron', 'GET', '/wp-cron.php'],
];
$lines = array_map(fn(array $p) => implode(' ', $p) . "\n", $pages);
ok_or_die(file_put_contents($pages_file, implode('', $lines)), "writing $pages_file");
