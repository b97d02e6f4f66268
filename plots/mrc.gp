# mrc.gp: the IOTLB's miss ratio against its size, one line per associativity (fully associative, 4 ways,
# 1 way), from an `iowalk mrc --csv` file (embedded in iowalk for `mrc --figure`). Variables: datafile,
# outbase; pngfile and pdffile name the outputs exactly when given (default outbase.png, outbase.pdf).
# Log-2 x axis of entries; no title: captions belong to the text. Okabe-Ito colours, a marker and a dash
# pattern each.
if (!exists("datafile")) datafile = 'mrc.csv'
if (!exists("outbase")) outbase = 'mrc'
if (!exists("pngfile")) pngfile = outbase.'.png'
if (!exists("pdffile")) pdffile = outbase.'.pdf'
set datafile separator ','
set key bottom left noenhanced
set grid ytics lc rgb '#dddddd'
set border lc rgb '#444444'
set logscale x 2
set format x '%.0f'
set xlabel 'IOTLB entries'
set ylabel 'miss ratio'
set yrange [0:*]
sel(w) = sprintf("< awk -F, 'NR > 1 && $1 == \"iotlb\" && $2 == %d { print $3, $6 }' '%s'", w, datafile)
do for [fmt in "png pdf"] {
  if (fmt eq "png") { set terminal pngcairo size 800,500 font 'DejaVu Sans,11'; set output pngfile }
  if (fmt eq "pdf") { set terminal pdfcairo size 5in,3.2in font 'DejaVu Sans,9'; set output pdffile }
  set datafile separator whitespace
  plot sel(0) using 1:2 with linespoints lw 2 pt 7 dt 1 lc rgb '#0072B2' title 'fully associative', \
       sel(4) using 1:2 with linespoints lw 2 pt 5 dt 2 lc rgb '#D55E00' title '4 ways', \
       sel(1) using 1:2 with linespoints lw 2 pt 9 dt 3 lc rgb '#009E73' title '1 way (direct mapped)'
  set output
}
