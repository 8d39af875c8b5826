<?php
// Leaves with exit() two frames deep, after setting the status.
function leave(): void
{
    http_response_code(503);
    echo "maintenance\n";
    exit();
}
function handle(): void { leave(); }
handle();
echo "never\n";
