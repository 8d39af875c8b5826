--TEST--
Endpoints named without user code from the framework's own state at the end of the request (WordPress query types, REST, admin, ajax; Laravel route name or URI; Symfony _route), read without running user code; bvapm_route() wins; bvapm.route_detection=0 turns it off; output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('routes');
$ini = ['bvapm.ring' => 'routes', 'bvapm.mode' => 'aggressive'];
$wp = <<<'PHP'
<?php
class WP_Query {
    public $query = []; public $query_vars = []; public $queried_object;
    public $is_single = false; public $is_page = false; public $is_home = false; public $is_posts_page = false;
    public $is_category = false; public $is_tag = false; public $is_search = false; public $is_feed = false;
    public $is_404 = false; public $is_archive = false; public $is_tax = false;
    public function __get($n) { echo "USER CODE RAN\n"; }
}
class WP { public $query_vars = []; }
$wp_version = '6.1.1';
$wp_the_query = new WP_Query();
$wp = new WP();
$pagenow = 'index.php';
PHP;
$cases = [
    'front page' => '$wp_the_query->is_home = true;',
    'posts page' => '$wp_the_query->is_home = true; $wp_the_query->is_posts_page = true;',
    'static front page' => '$wp_the_query->is_page = true; $wp_the_query->query = ["page" => ""];',
    'a page' => '$wp_the_query->is_page = true; $wp_the_query->query = ["pagename" => "about"];',
    'a post' => '$wp_the_query->is_single = true; $wp_the_query->queried_object = (object)["post_type" => "post"];',
    'a product' => '$wp_the_query->is_single = true; $wp_the_query->queried_object = (object)["post_type" => "product"];',
    'category' => '$wp_the_query->is_category = true; $wp_the_query->is_archive = true;',
    'taxonomy' => '$wp_the_query->is_tax = true; $wp_the_query->query_vars = ["taxonomy" => "genre"];',
    'search' => '$wp_the_query->is_search = true; $wp_the_query->is_home = true;',
    'not found' => '$wp_the_query->is_404 = true;',
    'REST' => 'define("REST_REQUEST", true); $wp->query_vars["rest_route"] = "/wp/v2/posts/123/revisions/7";',
    'admin' => 'define("WP_ADMIN", true); $pagenow = "edit.php";',
    'ajax' => 'define("WP_ADMIN", true); define("DOING_AJAX", true);',
    'cron' => 'define("DOING_CRON", true);',
    'login' => '$pagenow = "wp-login.php";',
    'nothing known' => '',
    'named by the application' => '$wp_the_query->is_home = true; bvapm_route("my/home");',
    'exit() mid-request' => '$wp_the_query->is_single = true; exit(0);',
];
foreach ($cases as $what => $state) {
    $code = $wp . $state . "\necho 'page';";
    $same = bvapm_same_as_without($code, $ini, ['REQUEST_METHOD' => 'GET']);
    $r = bvapm_ring_records('routes')[0]['body']['route'] ?? '?';
    echo str_pad($what, 26), ' ', str_starts_with($r, '/') ? '(script path)' : $r, $same ? '' : ' DIFFERENT', "\n";
}
// admin-ajax's action comes from the request (GET here; a POST body as well)
$file = bvapm_script($wp . 'define("DOING_AJAX", true); echo "ok";');
$cmd = PHP_BINARY . ' -n -d extension=' . bvapm_ext() . ' -d bvapm.cli_enabled=1 -d bvapm.ring=routes -d bvapm.mode=aggressive -r ' .
    escapeshellarg('$_GET["action"] = "heart beat"; include "' . $file . '";');
shell_exec($cmd);
echo 'ajax action              ', bvapm_ring_records('routes')[0]['body']['route'], "\n";
// off
bvapm_same_as_without($wp . '$wp_the_query->is_home = true;', $ini + ['bvapm.route_detection' => '0']);
echo 'detection off            ', str_starts_with(bvapm_ring_records('routes')[0]['body']['route'], '/') ? '(script path)' : '?', "\n";

$laravel = <<<'PHP'
<?php
namespace Illuminate\Container { class Container { protected static $instance; protected $instances = [];
    public static function set($c) { static::$instance = $c; } public function put($k, $v) { $this->instances[$k] = $v; } } }
namespace Illuminate\Foundation { class Application extends \Illuminate\Container\Container {} }
namespace Illuminate\Routing {
    class Router { protected $current; public function __construct($r) { $this->current = $r; } }
    class Route { protected $uri; protected $action; public function __construct($u, $a) { $this->uri = $u; $this->action = $a; } }
}
namespace {
    $app = new Illuminate\Foundation\Application();
    Illuminate\Container\Container::set($app);
PHP;
foreach (['orders/{id}' => ['as' => 'orders.show'], 'health' => []] as $uri => $action) {
    $code = $laravel . '$app->put("router", new Illuminate\Routing\Router(new Illuminate\Routing\Route(' .
        var_export($uri, true) . ', ' . var_export($action, true) . '))); echo "ok"; }';
    $same = bvapm_same_as_without($code, $ini);
    echo str_pad('laravel ' . $uri, 26), ' ', bvapm_ring_records('routes')[0]['body']['route'], $same ? '' : ' DIFFERENT', "\n";
}

$symfony = <<<'PHP'
<?php
namespace Symfony\Component\HttpFoundation {
    class ParameterBag { protected $parameters; public function __construct(array $p) { $this->parameters = $p; } }
    class Request { public $attributes; public function __construct(array $a) { $this->attributes = new ParameterBag($a); } }
}
namespace {
PHP;
$code = $symfony . '$request = new Symfony\Component\HttpFoundation\Request(["_route" => "blog_show", "_controller" => "x"]); echo "ok"; }';
bvapm_same_as_without($code, $ini);
echo 'symfony $request          ', bvapm_ring_records('routes')[0]['body']['route'], "\n";
$code = $symfony . '$main = new Symfony\Component\HttpFoundation\Request(["_route" => "api_item"]); echo "ok"; }';
bvapm_same_as_without($code, $ini);
echo 'symfony other global      ', bvapm_ring_records('routes')[0]['body']['route'], "\n";
?>
--EXPECT--
front page                 front-page
posts page                 home
static front page          front-page
a page                     page
a post                     single:post
a product                  single:product
category                   archive:category
taxonomy                   archive:genre
search                     search
not found                  404
REST                       rest:/wp/v2/posts/{id}/revisions/{id}
admin                      admin:edit.php
ajax                       ajax:(none)
cron                       cron
login                      login
nothing known              (script path)
named by the application   my/home
exit() mid-request         single:post
ajax action              ajax:heart_beat
detection off            (script path)
laravel orders/{id}        orders.show
laravel health             health
symfony $request          blog_show
symfony other global      api_item
