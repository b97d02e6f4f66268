# cost.gp: cycles per guest IOPTE update and per DMA page translation, by strategy: mean as a bar, p50
# and p99 as whiskers. Input: an `iowalk run --csv` file. Variables: datafile, outbase, title.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("title")) title = 'cost per translation'
do for [fmt in "png pdf"] {
  if (fmt eq "png") { set terminal pngcairo size 1200,520 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size 9in,3.9in font 'DejaVu Sans,10'; set output outbase.'.pdf' }
  set multiplot layout 1,2 title title noenhanced
  set style fill solid 0.85 border lc rgb '#333333'
  set boxwidth 0.55
  set logscale y
  set xrange [-0.6:3.6]
  set key top left
  set ylabel 'cycles per guest IOPTE update'
  plot datafile using 0:(column('upd_mean')):xtic(1) with boxes lc rgb '#0072B2' title 'mean', \
       '' using 0:(column('upd_p50')):(column('upd_p50')):(column('upd_p99')) with yerrorbars pt 7 lc rgb '#D55E00' title 'p50 .. p99'
  set ylabel 'cycles per DMA page translation'
  plot datafile using 0:(column('xlat_mean')):xtic(1) with boxes lc rgb '#009E73' title 'mean', \
       '' using 0:(column('xlat_p50')):(column('xlat_p50')):(column('xlat_p99')) with yerrorbars pt 7 lc rgb '#D55E00' title 'p50 .. p99'
  unset multiplot
  unset output
}
