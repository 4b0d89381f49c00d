set terminal pngcairo size 1200,450 font ',10'
set output '/work/wt/swarm/bench/results/swarm-run1.png'
set key top left
set grid
set xlabel 'peers downloading at once (N)'
set ylabel 'time until the last one has the file (s)'
set logscale x 2
set xrange [0.8:*]
set yrange [0:*]
set multiplot layout 1,2
set title "unlimited loopback (CPU-bound, 2 cores)\n200MB file" noenhanced
$unlimited_curl << EOD
1 1.12 NaN
2 3.08 NaN
4 10.14 NaN
8 4.64 NaN
16 8.47 NaN
EOD
$unlimited_p2p << EOD
1 22.91 NaN
2 31.96 NaN
4 38.19 NaN
8 41.77 NaN
16 93.00 NaN
EOD
plot $unlimited_curl using 1:2 with linespoints lw 2 pt 7 title 'curl from the origin', $unlimited_p2p using 1:2 with linespoints lw 2 pt 5 title 'small-dragonfly P2P'
set title "shared source cap: origin and CDN 40 MiB/s in total, peers 20 MiB/s down\n200MB file" noenhanced
$capped_curl << EOD
1 9.62 10.00
2 10.07 10.00
4 20.06 10.00
8 40.23 10.00
16 80.63 10.00
EOD
$capped_p2p << EOD
1 14.39 10.00
2 16.86 10.00
4 36.17 10.00
8 80.27 10.00
16 100.90 10.00
EOD
plot $capped_curl using 1:2 with linespoints lw 2 pt 7 title 'curl from the origin', $capped_p2p using 1:2 with linespoints lw 2 pt 5 title 'small-dragonfly P2P', $capped_p2p using 1:3 with lines dt 2 lw 2 title 'lower bound'
unset multiplot
