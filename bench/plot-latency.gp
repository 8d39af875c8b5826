# plot-latency.gp — latency by percentile, one line per transport, from the
# CDF blocks bvapm-bench-transport writes with --cdf (first line of a block:
# the transport's name; then "latency_ns cumulative_fraction" points).
#
#   gnuplot -e "datafile='cdf.dat'; outfile='latency.png'; subtitle='2 producers ...'" \
#           bench/plot-latency.gp
#
# The y axis is 1 / (1 - fraction) on a log scale, labelled as percentiles, so
# the median and the 99.9th percentile get the same room (HdrHistogram style).

if (!exists("datafile")) datafile = 'cdf.dat'
if (!exists("outfile")) outfile = 'transport-latency.png'
if (!exists("subtitle")) subtitle = ''

set terminal pngcairo size 1000,620 enhanced font 'DejaVu Sans,11'
set output outfile
set title "Cost of handing one record over, by percentile\n{/*0.8 ".subtitle."}"
set xlabel 'latency of the send call (ns, log scale)'
set ylabel 'percentile'
set logscale xy
set format x '10^{%L}'
set xrange [10:*]
set yrange [1:200000]
set ytics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000)
set grid xtics ytics mxtics
set key right bottom box opaque
stats datafile using 1 nooutput
blocks = STATS_blocks

plot for [i=0:blocks-1] datafile index i using 1:($2 < 1 ? 1 / (1 - $2) : NaN) \
     with steps linewidth 2 title columnheader(1)
