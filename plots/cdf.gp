# cdf.gp: latency CDFs per strategy, from an `iowalk run --cdf` file: DMA page translations (left) and
# guest IOPTE updates (right). Variables: datafile, outbase, title.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("title")) title = ''  # figures carry no title by default: captions live in docs/figures.md
do for [fmt in "png pdf"] {
  if (fmt eq "png") { set terminal pngcairo size 1200,500 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size 9in,3.75in font 'DejaVu Sans,10'; set output outbase.'.pdf' }
  set multiplot layout 1,2 title title noenhanced
  set logscale x
  set yrange [0:1.02]
  set ylabel 'fraction'
  set key bottom right
  set xlabel 'cycles per DMA page translation'
  plot for [s in strategies] datafile using (strcol(1) eq s && strcol(2) eq 'translation' ? column(3) : NaN):4 \
       with steps lw 2 dt sdash(s) lc rgb scolour(s) title s
  set xlabel 'cycles per guest IOPTE update'
  plot for [s in strategies] datafile using (strcol(1) eq s && strcol(2) eq 'update' ? column(3) : NaN):4 \
       with steps lw 2 dt sdash(s) lc rgb scolour(s) title s
  unset multiplot
  unset output
}
