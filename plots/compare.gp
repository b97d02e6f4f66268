# compare.gp: the strategy comparison figure from an `iowalk run --csv` file (embedded in iowalk for
# `run --figure`). Variables (set with -e or before loading): datafile, outbase; pngfile, pdffile,
# col1file and col2file name the outputs exactly when given (default outbase.png, outbase.pdf,
# outbase-col1.pdf, outbase-col2.pdf): a screen PNG and PDF, and vector PDFs sized for a paper's single
# column (3.4 in, 8 pt, panels stacked) and double column (7 in, 9 pt). No title: captions belong to
# the text.
# Left: cycles of both paths per DMA page translation, stacked by component (linear axis). Right:
# cycles per guest IOPTE update on the RPCIT path, mean, p50 and p99 as markers (log axis, no bars); a
# strategy with no RPCIT-path cost (its guest issues no RPCIT) is marked 0 at the axis floor.
# Okabe-Ito based colours (colour-blind safe), one per component; markers differ in shape too.
if (!exists("datafile")) datafile = 'results.csv'
if (!exists("outbase")) outbase = 'compare'
if (!exists("pngfile")) pngfile = outbase.'.png'
if (!exists("pdffile")) pdffile = outbase.'.pdf'
if (!exists("col1file")) col1file = outbase.'-col1.pdf'
if (!exists("col2file")) col2file = outbase.'-col2.pdf'

set datafile separator ','
array comps[13] = ['intercept','sw','guest_read','memslot','host_walk','pin','unpin','root_walk','shadow_write','rpcit','iotlb','device_walk','queue']
array colours[13] = ['#E69F00','#56B4E9','#009E73','#F0E442','#0072B2','#D55E00','#CC79A7','#999999','#000000','#8C510A','#01665E','#762A83','#BF812D']
floor = 1.0
pos(v) = v >= floor ? v : NaN
stats datafile using 0 nooutput
nstrat = STATS_records
# The left panel's scale: when one strategy costs over 3 times the next (qemu), its bar is cut at 1.3
# times the next and labelled with its value, so the others' differences (kvm-gfn against root-pfn) show.
stats datafile using (column('all_per_xlat')) nooutput name 'ALL'
top = ALL_max
stats datafile using (column('all_per_xlat') < top ? column('all_per_xlat') : NaN) nooutput name 'NEXT'
clip = (ALL_records > 1 && NEXT_records > 0 && top > 3 * NEXT_max) ? 1.3 * NEXT_max : 0

do for [fmt in "png pdf col1 col2"] {
  if (fmt eq "png") { set terminal pngcairo size 1400,600 enhanced font 'DejaVu Sans,12'; set output pngfile }
  if (fmt eq "pdf") { set terminal pdfcairo size 11in,4.7in enhanced font 'DejaVu Sans,10'; set output pdffile }
  if (fmt eq "col1") { set terminal pdfcairo size 3.4in,5.2in enhanced font 'DejaVu Sans,8'; set output col1file }
  if (fmt eq "col2") { set terminal pdfcairo size 7in,3.0in enhanced font 'DejaVu Sans,9'; set output col2file }
  small = fmt eq "col1" || fmt eq "col2"
  if (fmt eq "col1") { set multiplot layout 2,1 } else { set multiplot layout 1,2 }

  set style data histograms
  set style histogram rowstacked
  set style fill solid 0.9 border lc rgb '#333333'
  set boxwidth 0.6
  unset logscale y
  set xrange [*:*]
  if (small) { set key outside right top vertical font ',7' noenhanced samplen 1 spacing 0.8 } else { set key outside right top vertical font ',9' noenhanced }
  set ylabel 'cycles per DMA page translation'
  set xlabel 'strategy'
  set grid ytics lc rgb '#dddddd'
  if (clip > 0) { set yrange [0:clip] } else { set yrange [0:*] }
  set xtics noenhanced rotate by -30
  plot for [i=1:13] datafile using (column(comps[i])/column('translations')):xtic(1) title comps[i] lc rgb colours[i], \
       '' using 0:(clip > 0 && column('all_per_xlat') > clip ? 0.93 * clip : NaN):(sprintf('%.0f, cut', column('all_per_xlat'))) \
          with labels font (small ? ',7' : ',9') notitle

  set style data points
  set ylabel 'cycles per IOPTE update (RPCIT path)'
  set logscale y
  set yrange [floor/2:*]
  set xrange [-0.6:nstrat - 0.4]
  if (small) { set key below horizontal font ',7' noenhanced samplen 1 width -2 } else { set key below horizontal font ',9' noenhanced }
  psz = small ? 0.4 : 1.0
  if (small) { unset xlabel }
  plot datafile using 0:(pos(column('upd_mean'))):xtic(1) with points pt 5 ps 1.3*psz lc rgb '#0072B2' title 'mean', \
       '' using 0:(pos(column('upd_p50'))) with points pt 7 ps 1.1*psz lc rgb '#E69F00' title 'p50', \
       '' using 0:(pos(column('upd_p99'))) with points pt 9 ps 1.3*psz lc rgb '#D55E00' title 'p99', \
       '' using 0:(column('upd_mean') < floor ? floor : NaN) with points pt 4 ps 1.3*psz lc rgb '#0072B2' title 'mean < 1 (no RPCIT cost)', \
       '' using 0:(column('upd_mean') < floor ? floor : NaN):(sprintf('%.1f', column('upd_mean'))) with labels offset 0,0.9 notitle
  unset logscale y
  unset multiplot
  unset output
}
