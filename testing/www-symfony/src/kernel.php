<?php
// SPDX-License-Identifier: Apache-2.0
/* The Symfony test application's kernel, from Debian's components (their
 * autoloaders under /usr/share/php/Symfony): an HttpKernel whose
 * RouterListener matches the routes of routes.php and sets each request's
 * _route, whose ErrorListener answers what matches no route with a 404 from
 * a sub-request, as a full-stack Symfony application does without the
 * framework bundle. Returns the kernel. */
use Symfony\Component\EventDispatcher\EventDispatcher;
use Symfony\Component\HttpFoundation\RequestStack;
use Symfony\Component\HttpKernel\Controller\ArgumentResolver;
use Symfony\Component\HttpKernel\Controller\ControllerResolver;
use Symfony\Component\HttpKernel\EventListener\ErrorListener;
use Symfony\Component\HttpKernel\EventListener\RouterListener;
use Symfony\Component\HttpKernel\HttpKernel;
use Symfony\Component\Routing\Matcher\UrlMatcher;
use Symfony\Component\Routing\RequestContext;

require_once '/usr/share/php/Symfony/Component/HttpKernel/autoload.php';
require_once '/usr/share/php/Symfony/Component/Routing/autoload.php';
require_once __DIR__ . '/Controllers.php';

$controllers = new App\Controllers();
$requests = new RequestStack();
$dispatcher = new EventDispatcher();
$matcher = new UrlMatcher(require __DIR__ . '/routes.php', new RequestContext());
$dispatcher->addSubscriber(new RouterListener($matcher, $requests, null, null, null, false));
$dispatcher->addSubscriber(new ErrorListener([$controllers, 'error']));
$kernel = new HttpKernel($dispatcher, new ControllerResolver(), $requests, new ArgumentResolver());
$controllers->kernel = $kernel;
return $kernel;
