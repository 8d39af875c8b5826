<?php
// The page every hostile test requests (nginx sends /app/* here too). Its
// output depends on nothing but this file, so every response must equal what
// `php -n` prints for it without the extension; two checkpoints and a few
// function calls give the agent's record some body.
function line(int $i): string
{
    return sprintf("%02d %s\n", $i, md5("bvapm-hostile-$i"));
}
if (function_exists('bvapm_checkpoint')) { bvapm_checkpoint('start'); }
$out = '';
for ($i = 0; $i < 48; $i++) {
    $out .= line($i);
}
if (function_exists('bvapm_checkpoint')) { bvapm_checkpoint('built'); }
echo $out;
