# cdf.gp: latency CDFs per strategy, from an `iowalk run --cdf` file: DMA page translations (left) and
# guest IOPTE updates (right). Variables: datafile, outbase, title.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("title")) title = ''  # figures carry no title by default: captions live in docs/figures.md
# Every curve starts at fraction 0: `with steps` begins at the first point's fraction, so the rise from 0 at
# a strategy's smallest cost is drawn as a segment of its colour and dash (a CDF that jumps to 0.99 at its
# first value would otherwise start in mid-air, over the others).
# (Two one-column stats: a two-column one would also fit a line and warn about it.)
rise_cmd = "unset arrow; set yrange [*:*]; do for [s in strategies] { undefine X_* Y_*; " . \
  "stats datafile using (strcol(1) eq s && strcol(2) eq METRIC ? column(3) : NaN) nooutput name 'X'; " . \
  "if (exists('X_records') && X_records > 0) { " . \
  "stats datafile using (strcol(1) eq s && strcol(2) eq METRIC ? column(4) : NaN) nooutput name 'Y'; " . \
  "set arrow from X_min,0 to X_min,Y_min nohead lw 2 dt sdash(s) lc rgb scolour(s) } }; set yrange [0:1.02]"
rise(m) = (METRIC = m, rise_cmd)
do for [fmt in formats] {
  if (fmt eq "png") { set terminal pngcairo size 1200,500 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size pdf_w(9),pdf_h(9,3.75,2) font pdf_font; set output pdf_out }
  set multiplot layout mp_rows(2),mp_cols(2) title title noenhanced
  set logscale x
  set yrange [0:1.02]
  set ylabel 'fraction'
  set key below horizontal  # outside the axes: no curve is ever hidden under it
  set xlabel 'cycles per DMA page translation'
  eval rise('translation')
  plot for [s in strategies] datafile using (strcol(1) eq s && strcol(2) eq 'translation' ? column(3) : NaN):4 \
       with steps lw 2 dt sdash(s) lc rgb scolour(s) title s
  set xlabel 'cycles per guest IOPTE update'
  eval rise('update')
  plot for [s in strategies] datafile using (strcol(1) eq s && strcol(2) eq 'update' ? column(3) : NaN):4 \
       with steps lw 2 dt sdash(s) lc rgb scolour(s) title s
  unset arrow
  unset multiplot
  unset output
}
