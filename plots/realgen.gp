# realgen.gp: a synthetic generator's distributions beside a real capture's, from two
# `traces/real/analyze --samples` CSVs (function,bytes,gap_cycles,reuse_distance per MAP).
# Variables: real, gen (the CSVs), realfn, genfn (the function whose maps to keep, e.g. 1 and 0),
# reallabel, genlabel, outbase. Left: CDF of the bytes of a map; right: CDF of the IOVA reuse distance
# (the maps of the function between two maps of one IOVA; maps of a new IOVA are left out). No title:
# the caption lives in docs/real-workloads.md.
if (!exists("outbase")) outbase = 'realgen'
set key bottom right noenhanced
set grid ytics lc rgb '#dddddd'
set yrange [0:1]
set ylabel 'fraction of maps'
# The column of one function's maps (reuse: only maps of a reused IOVA, plus 1 for the log axis).
col(file, fn, c) = sprintf("< awk -F, 'NR > 1 && $1 == %d { print $%d }' '%s'", fn, c, file)
reuse(file, fn) = sprintf("< awk -F, 'NR > 1 && $1 == %d && $4 >= 0 { print $4 + 1 }' '%s'", fn, file)
do for [fmt in "png pdf"] {
  if (fmt eq "png") { set terminal pngcairo size 1100,420 font 'DejaVu Sans,11'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size 7in,2.7in font 'DejaVu Sans,9'; set output outbase.'.pdf' }
  set multiplot layout 1,2
  set logscale x 4
  set format x '%.0b%B'
  set xlabel 'bytes mapped by one MAP'
  set datafile separator whitespace
  set xrange [2048:*]
  # Steps (a CDF of discrete sizes), with a marker at each size (a single size is one point).
  plot col(real, realfn, 2) using 1:(1) smooth cnormal with steps lw 2 lc rgb '#D55E00' dt 1 title reallabel, \
       col(real, realfn, 2) using 1:(1) smooth cnormal with points pt 7 ps 0.8 lc rgb '#D55E00' notitle, \
       col(gen, genfn, 2) using 1:(1) smooth cnormal with steps lw 2 lc rgb '#0072B2' dt 2 title genlabel, \
       col(gen, genfn, 2) using 1:(1) smooth cnormal with points pt 5 ps 0.8 lc rgb '#0072B2' notitle
  set xrange [*:*]
  set format x '% h'
  set logscale x 10
  set xlabel 'IOVA reuse distance (maps in between)'
  plot reuse(real, realfn) using 1:(1) smooth cnormal lw 2 lc rgb '#D55E00' dt 1 title reallabel, \
       reuse(gen, genfn) using 1:(1) smooth cnormal lw 2 lc rgb '#0072B2' dt 2 title genlabel
  unset multiplot
  unset output
}
