# gapdist.gp: the distribution of the gap between two strategies over the sensitivity samples (all cost
# ranges at once), as a cumulative fraction; the dashed line is no gap. From `iowalk sensitivity --csv`.
# Variables: datafile, outbase, a, b (strategy names), metric ("per_update"), and optionally title, xlabel.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("metric")) metric = 'per_update'
if (!exists("xlabel")) xlabel = 'gap '.a.' - '.b.' (cycles '.(metric eq 'per_update' ? 'per IOPTE update' : 'per DMA translation').')'
acol = a.'.'.metric
bcol = b.'.'.metric
gap(x) = strcol('kind') eq 'sample' ? column(acol) - column(bcol) : NaN
stats datafile using (gap(0)) nooutput
n = STATS_records
lo = STATS_min < 0 ? STATS_min : 0
hi = STATS_max > 0 ? STATS_max : 0
do for [fmt in formats] {
  if (fmt eq "png") { set terminal pngcairo size 900,560 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size pdf_w(6.5),pdf_h(6.5,4,1) font pdf_font; set output pdf_out }
  if (exists("title")) { set title title noenhanced } else { unset title }
  set xlabel xlabel noenhanced
  set ylabel sprintf('fraction of %d samples', n)
  set yrange [0:1]
  set xrange [lo:hi]   # 0 (no gap) is always in view
  if (column == 0) { set key bottom right } else { set key below horizontal samplen 2 font ',7' }
  set arrow 1 from 0, graph 0 to 0, graph 1 nohead lc rgb '#444444' dt 2 front
  plot datafile using (gap(0)):(1.0 / n) smooth cumulative with steps lw 2 lc rgb scolour(a) title sprintf('%s - %s', a, b)
  unset arrow 1
  unset output
}
