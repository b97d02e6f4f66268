# tornado.gp: which cost assumptions move the gap between two strategies most. Data: the rows of one pair
# and metric of `iowalk sensitivity --tornado FILE` (with its header line), e.g. the 12 largest swings:
#   (head -1 t.csv; grep '^kvm-gfn-root-pfn,per_update,' t.csv | head -12) > pair.csv
# Each bar is the gap A - B with one parameter at the low (solid) or the high (hatched) end of its
# plausible range, the others at their defaults; the dashed line is the gap at the defaults.
# Variables: datafile, outbase, and optionally title, xlabel.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("xlabel")) xlabel = 'gap (cycles)'
stats datafile using 'rank' nooutput
n = STATS_max
stats datafile using 'gap_base' nooutput
base = STATS_min
do for [fmt in formats] {
  if (fmt eq "png") { set terminal pngcairo size 900,560 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size pdf_w(6.5),pdf_h(6.5,4,1) font pdf_font; set output pdf_out }
  if (exists("title")) { set title title noenhanced } else { unset title }
  set xlabel xlabel noenhanced
  unset ylabel
  set yrange [n + 0.7:0.3]
  set ytics scale 0 noenhanced
  if (column == 0) { set key bottom right } else { set key below horizontal samplen 2 font ',7' }
  set style fill solid 0.85 border lc rgb '#333333'
  set arrow 1 from base, graph 0 to base, graph 1 nohead lc rgb '#444444' dt 2 front
  plot datafile using ((column('gap_base') + column('gap_low')) / 2):'rank': \
         (abs(column('gap_low') - column('gap_base')) / 2):(0.35):ytic(sprintf('%s (%d-%d)', strcol('param'), column('low'), column('high'))) \
         with boxxyerror lc rgb '#0072B2' title 'at the low end', \
       '' using ((column('gap_base') + column('gap_high')) / 2):'rank': \
         (abs(column('gap_high') - column('gap_base')) / 2):(0.35) with boxxyerror lc rgb '#D55E00' fs pattern 4 \
         title 'at the high end'
  unset arrow 1
  unset output
}
