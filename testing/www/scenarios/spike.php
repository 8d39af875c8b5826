<?php
// Scenario 3 of the memory profiling guide: a memory spike in one phase of
// the request. Booting and registering providers are cheap; building the
// response materialises a large report in memory (about 45 MB) between the
// checkpoints providers-registered and response-built.
bvapm_checkpoint('request-start');
$config = array_fill(0, 1000, 'setting');
bvapm_checkpoint('providers-registered');
$report = [];
for ($i = 0; $i < 100000; $i++) {
    $report[] = ['row' => $i, 'label' => "line $i of the report", 'total' => $i * 3];
}
bvapm_checkpoint('response-built');
$out = count($report);
unset($report);
bvapm_checkpoint('response-sent');
echo "$out rows\n";
