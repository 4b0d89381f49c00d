set terminal pngcairo size 1200,450 font ',10'
set output '/work/wt/swarm/bench/results/swarm-run2.png'
set key top left
set grid
set xlabel 'peers downloading at once (N)'
set ylabel 'time until the last one has the file (s)'
set logscale x 2
set xrange [0.8:*]
set yrange [0:*]
set multiplot layout 1,2
set title "unlimited loopback (CPU-bound, 2 cores)\n200MiB file" noenhanced
$unlimited_curl << EOD
1 0.98 NaN
2 2.58 NaN
4 3.78 NaN
8 13.21 NaN
16 12.86 NaN
EOD
$unlimited_p2p << EOD
1 11.41 NaN
2 20.19 NaN
4 42.13 NaN
8 75.34 NaN
16 98.47 NaN
EOD
plot $unlimited_curl using 1:2 with linespoints lw 2 pt 7 title 'curl from the origin', $unlimited_p2p using 1:2 with linespoints lw 2 pt 5 title 'small-dragonfly P2P'
set title "shared source cap: origin and CDN 40 MiB/s in total, peers 20 MiB/s down\n200MiB file" noenhanced
$capped_curl << EOD
1 9.86 10.00
2 10.05 10.00
4 20.04 10.00
8 40.08 10.00
16 80.13 10.00
EOD
$capped_p2p << EOD
1 14.03 10.00
2 15.78 10.00
4 18.99 10.00
8 23.45 10.00
16 42.12 10.00
EOD
plot $capped_curl using 1:2 with linespoints lw 2 pt 7 title 'curl from the origin', $capped_p2p using 1:2 with linespoints lw 2 pt 5 title 'small-dragonfly P2P', $capped_p2p using 1:3 with lines dt 2 lw 2 title 'lower bound'
unset multiplot
