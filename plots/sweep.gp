# sweep.gp: one metric against one swept parameter, one line per strategy, from an `iowalk sweep` CSV.
# Variables: datafile, outbase, xcol (a grid column), ycol (a metric column), xlabel, ylabel, title,
# and optionally logx = 1, logy = 1, filter_col/filter_val to keep rows whose column equals a value.
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("logx")) logx = 0
if (!exists("logy")) logy = 0
if (!exists("filter_col")) filter_col = ''
keep(s) = strcol('strategy') eq s && (filter_col eq '' || strcol(filter_col) eq filter_val)
do for [fmt in formats] {
  if (fmt eq "png") { set terminal pngcairo size 900,560 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size pdf_w(6.5),pdf_h(6.5,4,1) font pdf_font; set output pdf_out }
  if (exists("title")) { set title title noenhanced } else { unset title }
  set xlabel xlabel
  set ylabel ylabel
  if (logx) { set logscale x 2 } else { unset logscale x }
  # On the screen the key sits in the plot's top left; in a paper column there is no corner to spare
  # (it covered the top line): below the axes.
  if (column == 0) { set key top left } else { set key below horizontal samplen 2 font ',7' }
  if (logy) { set logscale y; set yrange [*:*] } else { unset logscale y; set yrange [0:*] }
  # Rows of other strategies are NaN, i.e. missing (style.gp), so each line joins one strategy's points;
  # smooth unique sorts them by x (sweep rows come in completion order).
  plot for [s in strategies] datafile using (keep(s) ? column(xcol) : NaN):(column(ycol)) smooth unique \
       with linespoints lw (column == 0 ? 2 : 1.5) pt spoint(s) ps (column == 0 ? 1.2 : 0.6) lc rgb scolour(s) title s
  unset output
}
