<?php
// SPDX-License-Identifier: Apache-2.0
/* The Symfony test application's routes, by name: the front page, a blog
 * post by slug and an item of a JSON API by numeric id (the names are what
 * the agent records as the route). $controllers comes from kernel.php. */
use Symfony\Component\Routing\Route;
use Symfony\Component\Routing\RouteCollection;

$routes = new RouteCollection();
$routes->add('home', new Route('/', ['_controller' => [$controllers, 'home']]));
$routes->add('blog_show', new Route('/blog/{slug}', ['_controller' => [$controllers, 'blogShow']]));
$routes->add('api_item', new Route('/api/items/{id}', ['_controller' => [$controllers, 'apiItem']], ['id' => '\d+']));
return $routes;
