--TEST--
Function profile entries stay right for functions defined at run time: closures, eval, files included in a later job (each job a new profile whose table order differs from the last one's, while the functions' run-time caches keep the last job's indexes), with and without opcache
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$dir = sys_get_temp_dir() . '/bvapm-phpt-rt-' . getmypid();
@mkdir($dir);
file_put_contents("$dir/one.php", '<?php function from_one($x) { return $x + 1; }');
file_put_contents("$dir/two.php", '<?php function from_two($x) { return $x * 2; } function two_b() { return from_one(1); }');
$child = <<<PHP
<?php
function fixed(\$x) { return \$x; }
\$make = fn(\$k) => function () use (\$k) { return \$k; };
\$jobs = ['one', 'two', 'three'];
foreach (\$jobs as \$j => \$name) {
    bvapm_job_start(\$name);
    if (\$j === 0) {
        include '$dir/one.php';
        for (\$i = 0; \$i < 3; \$i++) { from_one(\$i); fixed(\$i); }
        \$c = \$make(1); \$c(); \$c();       /* two declarations: {closure}=1 (\$make) and =2 */
        eval('function from_eval() { return 5; }');
        from_eval();
    } elseif (\$j === 1) {
        /* new functions first: they take the indexes the last job gave others */
        include '$dir/two.php';
        for (\$i = 0; \$i < 4; \$i++) { from_two(\$i); two_b(); }
        from_eval(); from_eval();
        \$d = \$make(2); \$d();                 /* a new closure object of the same declaration */
        \$e = function () { return 'other'; }; \$e(); \$e(); \$e();
        fixed(1);
    } else {
        fixed(2); fixed(3); from_two(1); from_eval();
        eval('function late() { return fixed(4); }');
        late(); late();
    }
    bvapm_job_end();
}
echo "done\\n";
PHP;
foreach (['without opcache' => [], 'with opcache' => ['zend_extension' => 'opcache.so', 'opcache.enable_cli' => '1']] as $what => $extra) {
    if ($extra && !file_exists(ini_get('extension_dir') . '/opcache.so')) { echo "$what: skipped\n"; continue; }
    bvapm_ring_create('rt');
    $ini = ['bvapm.ring' => 'rt', 'bvapm.mode' => 'aggressive', 'bvapm.overhead_budget_us' => '0'] + $extra;
    [$out, $status, $err] = bvapm_run($child, $ini);
    echo "$what: ", trim($out), " $status ", trim($err) === '' ? '' : $err, "\n";
    foreach (bvapm_ring_records('rt') as $r) {
        if (($r['body']['kind'] ?? '') !== 'Job') continue;
        $list = [];
        foreach ($r['body']['functions'] as $f) $list[] = str_replace($dir, 'DIR', $f['name']) . "=" . $f['calls'];
        sort($list);
        echo "  ", $r['body']['uri'], ": ", implode(' ', $list), "\n";
    }
}
@unlink("$dir/one.php"); @unlink("$dir/two.php"); @rmdir($dir);
?>
--EXPECT--
without opcache: done 0 
  one: bvapm_job_end=1 fixed=3 from_eval=1 from_one=3 {closure}=1 {closure}=2
  two: bvapm_job_end=1 fixed=1 from_eval=2 from_one=4 from_two=4 two_b=4 {closure}=1 {closure}=1 {closure}=3
  three: bvapm_job_end=1 fixed=4 from_eval=1 from_two=1 late=2
with opcache: done 0 
  one: bvapm_job_end=1 fixed=3 from_eval=1 from_one=3 {closure}=1 {closure}=2
  two: bvapm_job_end=1 fixed=1 from_eval=2 from_one=4 from_two=4 two_b=4 {closure}=1 {closure}=1 {closure}=3
  three: bvapm_job_end=1 fixed=4 from_eval=1 from_two=1 late=2
