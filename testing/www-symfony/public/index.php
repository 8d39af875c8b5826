<?php
// SPDX-License-Identifier: Apache-2.0
/* The front controller of the Symfony test application (the document root
 * of tests/e2e/test_symfony_routes.sh): every path nginx finds no file for
 * comes here, as in a Symfony project's public/index.php. */
use Symfony\Component\HttpFoundation\Request;

$kernel = require __DIR__ . '/../src/kernel.php';
$request = Request::createFromGlobals();
$response = $kernel->handle($request);
$response->send();
$kernel->terminate($request, $response);
