<?php
// SPDX-License-Identifier: Apache-2.0
/* The Symfony test application's controllers. The blog post shows its
 * related item through a sub-request of the kernel (as an embedded
 * controller or a fragment does), so the page's main request and a
 * sub-request carry different _route attributes. Every answer is the same
 * for the same path: tests compare the bodies byte for byte. */
namespace App;

use Symfony\Component\ErrorHandler\Exception\FlattenException;
use Symfony\Component\HttpFoundation\JsonResponse;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\HttpKernelInterface;

final class Controllers
{
    public HttpKernelInterface $kernel;

    public function home(): Response
    {
        return new Response("<h1>Home</h1>\n<p><a href=\"/blog/ring-buffers\">Ring buffers</a></p>\n");
    }

    public function blogShow(string $slug): Response
    {
        $related = $this->kernel->handle(Request::create('/api/items/7'), HttpKernelInterface::SUB_REQUEST);
        return new Response('<h1>' . htmlspecialchars($slug) . "</h1>\n<aside>" . $related->getContent() . "</aside>\n");
    }

    public function apiItem(int $id): JsonResponse
    {
        return new JsonResponse(['id' => $id, 'name' => "item $id"]);
    }

    public function error(FlattenException $exception): Response
    {
        return new Response('<h1>' . $exception->getStatusCode() . ' ' . htmlspecialchars($exception->getStatusText()) . "</h1>\n",
            $exception->getStatusCode());
    }
}
