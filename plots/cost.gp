# cost.gp: cycles per guest IOPTE update and per DMA page translation, by strategy, on log axes: the mean
# as a marker (no bars on a log axis), whiskers from p50 to p99 (labelled as such). Input: an
# `iowalk run --csv` file. Variables: datafile, outbase, title.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("title")) title = ''  # figures carry no title by default: captions live in docs/figures.md
do for [fmt in formats] {
  if (fmt eq "png") { set terminal pngcairo size 1200,520 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size pdf_w(9),pdf_h(9,3.9,2) font pdf_font; set output pdf_out }
  set multiplot layout mp_rows(2),mp_cols(2) title title noenhanced
  set logscale y
  set xrange [-0.6:*]
  set offsets 0, 0.6, 0, 0
  if (column == 0) { set key top left } else { set key below horizontal samplen 2 font ',7' }
  set ylabel 'cycles per guest IOPTE update'
  plot datafile using ($0 + 0.12):(column('upd_p50')):(column('upd_p50')):(column('upd_p99')) with yerrorbars pt 1 ps 0 lw 2 lc rgb '#555555' title 'p50 to p99 (whisker)', \
       '' using 0:(column('upd_mean')):xtic(1) with points pt 7 ps (column == 0 ? 1.5 : 0.7) lc rgb '#0072B2' title 'mean'
  set ylabel 'cycles per DMA page translation'
  plot datafile using ($0 + 0.12):(column('xlat_p50')):(column('xlat_p50')):(column('xlat_p99')) with yerrorbars pt 1 ps 0 lw 2 lc rgb '#555555' title 'p50 to p99 (whisker)', \
       '' using 0:(column('xlat_mean')):xtic(1) with points pt 5 ps (column == 0 ? 1.5 : 0.7) lc rgb '#009E73' title 'mean'
  unset multiplot
  unset output
}
