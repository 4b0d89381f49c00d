set terminal pngcairo size 1200,450 font ',10'
set output '/work/main/bench/results/swarm.png'
set key top left
set grid
set xlabel 'peers downloading at once (N)'
set ylabel 'time until the last one has the file (s)'
set logscale x 2
set xrange [0.8:*]
set yrange [0:*]
set multiplot layout 1,2
set title "shared source cap: origin and CDN 40 MiB/s in total, peers 20 MiB/s down\n200MiB file" noenhanced
$capped_curl << EOD
2 10.02 10.00
8 40.05 10.00
16 80.10 10.00
EOD
$capped_p2p << EOD
2 11.04 10.00
8 13.99 10.00
16 20.04 10.00
EOD
$capped_p2p_warm << EOD
2 10.22 10.00
8 10.80 10.00
16 12.53 10.00
EOD
plot $capped_curl using 1:2 with linespoints lw 2 pt 7 title 'curl from the origin',$capped_p2p using 1:2 with linespoints lw 2 pt 5 title 'small-dragonfly P2P, new hosts',$capped_p2p_warm using 1:2 with linespoints lw 2 pt 9 title 'small-dragonfly P2P, peer process running',$capped_p2p using 1:3 with lines dt 2 lw 2 title 'lower bound'
set title "unlimited loopback (CPU-bound, 2 cores)\n200MiB file" noenhanced
$unlimited_curl << EOD
2 0.33 NaN
8 1.04 NaN
16 2.14 NaN
EOD
$unlimited_p2p << EOD
2 2.72 NaN
8 8.79 NaN
16 18.04 NaN
EOD
$unlimited_p2p_warm << EOD
2 1.98 NaN
8 5.49 NaN
16 11.81 NaN
EOD
plot $unlimited_curl using 1:2 with linespoints lw 2 pt 7 title 'curl from the origin',$unlimited_p2p using 1:2 with linespoints lw 2 pt 5 title 'small-dragonfly P2P, new hosts',$unlimited_p2p_warm using 1:2 with linespoints lw 2 pt 9 title 'small-dragonfly P2P, peer process running'
unset multiplot
