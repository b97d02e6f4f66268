# compare.gp: the strategy comparison figure from an `iowalk run --csv` file.
# Variables (set with -e or before loading): datafile, outbase, title; pngfile and pdffile name the two
# outputs exactly when given (default outbase.png, outbase.pdf).
# Left: all cycles per DMA page translation, stacked by component. Right: cycles per guest IOPTE
# update (mean bar, p50 and p99 marks). Colour-blind-safe palette (Okabe-Ito), pngcairo and pdfcairo.
if (!exists("datafile")) datafile = 'results.csv'
if (!exists("outbase")) outbase = 'compare'
if (!exists("pngfile")) pngfile = outbase.'.png'
if (!exists("pdffile")) pdffile = outbase.'.pdf'
if (!exists("title")) title = 'iowalk strategy comparison'

set datafile separator ','
array comps[13] = ['intercept','sw','guest_read','memslot','host_walk','pin','unpin','root_walk','shadow_write','rpcit','iotlb','device_walk','queue']
array colours[13] = ['#E69F00','#56B4E9','#009E73','#F0E442','#0072B2','#D55E00','#CC79A7','#999999','#000000','#8C510A','#01665E','#762A83','#BF812D']

do for [fmt in "png pdf"] {
  if (fmt eq "png") { set terminal pngcairo size 1400,600 enhanced font 'DejaVu Sans,12'; set output pngfile }
  if (fmt eq "pdf") { set terminal pdfcairo size 11in,4.7in enhanced font 'DejaVu Sans,10'; set output pdffile }
  set multiplot layout 1,2 title title font ',14'

  set style data histograms
  set style histogram rowstacked
  set style fill solid 0.9 border lc rgb '#333333'
  set boxwidth 0.6
  set key outside right top vertical font ',9' noenhanced
  set ylabel 'cycles per DMA page translation (both paths)'
  set xlabel 'strategy'
  set grid ytics lc rgb '#dddddd'
  set yrange [0:*]
  set xtics noenhanced
  plot for [i=1:13] datafile using (column(comps[i])/column('translations')):xtic(1) title comps[i] lc rgb colours[i]

  unset key
  set style data linespoints
  set style fill solid 0.8 border lc rgb '#333333'
  set ylabel 'cycles per guest IOPTE update (RPCIT path)'
  set logscale y
  set yrange [*:*]
  set xrange [-0.6:*]
  set boxwidth 0.5
  plot datafile using 0:(column('upd_mean')):xtic(1) with boxes lc rgb '#0072B2' title 'mean', \
       '' using 0:(column('upd_p50')) with points pt 7 ps 1.4 lc rgb '#E69F00' title 'p50', \
       '' using 0:(column('upd_p99')) with points pt 9 ps 1.6 lc rgb '#D55E00' title 'p99'
  unset logscale y
  unset multiplot
  unset output
}
