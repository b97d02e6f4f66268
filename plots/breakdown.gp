# breakdown.gp: where every cycle went, per strategy, normalized per DMA page translation, stacked by
# component. Input: an `iowalk run --csv` file. Variables: datafile, outbase, title.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("title")) title = ''  # figures carry no title by default: captions live in docs/figures.md
array comps[13] = ['intercept','sw','guest_read','memslot','host_walk','pin','unpin','root_walk','shadow_write','rpcit','iotlb','device_walk','queue']
array colours[13] = ['#E69F00','#56B4E9','#009E73','#F0E442','#0072B2','#D55E00','#CC79A7','#999999','#000000','#8C510A','#01665E','#762A83','#DDDDDD']
do for [fmt in formats] {
  if (fmt eq "png") { set terminal pngcairo size 900,600 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size pdf_w(6.5),pdf_h(6.5, column == 0 ? 4.3 : 6.2, 1) font pdf_font; set output pdf_out }
  set title title noenhanced
  set style data histograms
  set style histogram rowstacked
  set style fill solid 0.9 border lc rgb '#333333'
  set boxwidth 0.6
  if (column == 0) { set key outside right top font ',10' } else { set key below horizontal maxrows 4 }  # a paper column has no room beside
  set ylabel column == 0 ? 'cycles per DMA page translation (both paths)' : 'cycles per translation'
  set yrange [0:*]
  plot for [i=1:13] datafile using (column(comps[i])/column('translations')):xtic(1) title comps[i] lc rgb colours[i]
  unset output
}
