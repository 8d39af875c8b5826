<?php
bvapm_checkpoint('start');
$rows = [];
for ($i = 0; $i < 20000; $i++) { $rows[] = ['id' => $i, 'name' => "row $i"]; }
bvapm_checkpoint('rows-loaded');
$json = json_encode($rows);
bvapm_checkpoint('encoded');
echo strlen($json), "\n", memory_get_peak_usage(), "\n";
