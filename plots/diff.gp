# diff.gp: the difference between strategies, drawn directly: for each cost component, a strategy's cycles
# minus the baseline strategy's, per guest IOPTE update for the RPCIT-path components (left) and per DMA
# page translation for the DMA-path components (right), with the path's total as the last group. A bar
# below zero is a saving over the baseline. On a linear axis, so that the few hundred cycles between two
# strategies are not hidden under the intercept that both pay (as they are in the stacked breakdown).
# Input: an `iowalk run --csv` file. Variables: datafile, outbase, title; base (the baseline strategy,
# default the first of strategies); show (the strategies to draw against it, default all others).
# style.gp beside this script, from any directory (ARG0 is this script's path).
plotsdir = ARG0; i = strlen(plotsdir); while (i > 0 && plotsdir[i:i] ne '/') { i = i - 1 }
plotsdir = i > 0 ? plotsdir[1:i] : './'
load plotsdir.'style.gp'
if (!exists("title")) title = ''  # figures carry no title by default: captions live in docs/figures.md
if (!exists("base")) base = word(strategies, 1)
if (!exists("show")) { show = ''; do for [s in strategies] { if (s ne base) { show = show.' '.s } } }
if (sindex(base) == 0) { print "diff.gp: base='".base."' is not one of strategies"; exit status 1 }
do for [s in show] { if (sindex(s) == 0) { print "diff.gp: '".s."' in show is not one of strategies"; exit status 1 } }
if (words(show) == 0) { print "diff.gp: nothing to draw against base='".base."' (set show)"; exit status 1 }

# The components of each path (the columns of the breakdown), then the path's total.
array rp[11] = ['intercept','sw','guest_read','memslot','host_walk','pin','unpin','root_walk','shadow_write','rpcit','cycles_rpcit_path']
array dp[4] = ['iotlb','device_walk','queue','cycles_dma_path']
array rplab[11] = ['intercept','sw','guest read','memslot','host walk','pin','unpin','root walk','shadow write','rpcit','total']
array dplab[4] = ['iotlb','device walk','queue','total']

# The baseline's value of a column, by strategy name (one-column stats: the baseline's row only).
base_cmd = "set yrange [*:*]; stats datafile using (strcol(1) eq base ? column(BCOL) : NaN) nooutput name 'B'"
basecol(col) = (BCOL = col, base_cmd)

array rpb[11]; array dpb[4]
do for [c=1:11] { eval basecol(rp[c]); rpb[c] = B_max }
do for [c=1:4] { eval basecol(dp[c]); dpb[c] = B_max }
eval basecol('iopte_updates'); base_upd = B_max
eval basecol('translations'); base_xl = B_max
if (base_upd <= 0 || base_xl <= 0) { print "diff.gp: the baseline has no IOPTE updates or no translations"; exit status 1 }

# A path on which no shown strategy differs from the baseline gets a note instead of an empty panel.
in_show(s) = sum [k=1:words(show)] (word(show, k) eq s ? 1 : 0)
stats datafile using (in_show(strcol(1)) ? abs(column('cycles_rpcit_path') / column('iopte_updates') - rpb[11] / base_upd) : NaN) nooutput name 'RZ'
stats datafile using (in_show(strcol(1)) ? abs(column('cycles_dma_path') / column('translations') - dpb[4] / base_xl) : NaN) nooutput name 'DZ'
rp_same = RZ_max < 1e-9
dp_same = DZ_max < 1e-9

K = words(show)
w = 0.8 / K                         # bar width: the group of K bars spans 0.8
xpos(c, k) = c + (k - (K + 1) / 2.0) * w
do for [fmt in formats] {
  if (fmt eq "png") { set terminal pngcairo size 1200,520 font 'DejaVu Sans,12'; set output outbase.'.png' }
  if (fmt eq "pdf") { set terminal pdfcairo size pdf_w(9),pdf_h(9,3.9,2) font pdf_font; set output pdf_out }
  set multiplot layout mp_rows(2),mp_cols(2) title title noenhanced
  set style fill solid 0.85 border lc rgb '#333333'
  set boxwidth w absolute
  set xzeroaxis lt 1 lc rgb '#444444'
  if (column == 1) { set key below horizontal maxcols 2 } else { set key below horizontal }
  set xtics rotate by 40 right nomirror
  set autoscale y

  set xtics () ; do for [c=1:11] { set xtics add (rplab[c] c) }
  set xrange [0.4:11.6]
  set ylabel (column == 0 ? 'cycles per guest IOPTE update, minus ' : 'cycles/update, minus ').base noenhanced
  if (rp_same) { set label 99 'the same cost as '.base.' on this path' at graph 0.5, graph 0.7 center noenhanced } else { unset label 99 }
  plot for [k=1:K] for [c=1:11] datafile \
       using (strcol(1) eq word(show, k) ? xpos(c, k) : NaN):(column(rp[c]) / column('iopte_updates') - rpb[c] / base_upd) \
       with boxes lc rgb scolour(word(show, k)) title (c == 1 ? word(show, k) : ''), \
       for [v in "-1 1"] v + 0 with lines lc rgb '#FF000000' notitle  # invisible: the y range is never empty

  set xtics () ; do for [c=1:4] { set xtics add (dplab[c] c) }
  set xrange [0.4:4.6]
  set ylabel (column == 0 ? 'cycles per DMA page translation, minus ' : 'cycles/translation, minus ').base noenhanced
  if (dp_same) { set label 99 'the same cost as '.base.' on this path' at graph 0.5, graph 0.7 center noenhanced } else { unset label 99 }
  plot for [k=1:K] for [c=1:4] datafile \
       using (strcol(1) eq word(show, k) ? xpos(c, k) : NaN):(column(dp[c]) / column('translations') - dpb[c] / base_xl) \
       with boxes lc rgb scolour(word(show, k)) title (c == 1 ? word(show, k) : ''), \
       for [v in "-1 1"] v + 0 with lines lc rgb '#FF000000' notitle  # invisible: the y range is never empty
  unset label 99
  unset multiplot
  unset output
}
