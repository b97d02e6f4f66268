# style.gp: shared look of iowalk figures: Okabe-Ito colours (colour-blind safe), one per strategy,
# readable fonts. Loaded by the other scripts.
set datafile separator ','
# NaN marks rows a plot filters out: missing, so lines join across them instead of breaking.
set datafile missing NaN
set grid ytics lc rgb '#dddddd'
set border lc rgb '#444444'
set key noenhanced
set xtics noenhanced
# The strategies, in the registry's (report) order, come from the caller: `iowalk run --list-strategies`
# (bench/experiments/run-figures passes them). Each gets a colour and a marker by its position, so a
# strategy keeps its look in every figure and a new one needs no change here.
if (!exists("strategies")) { print "style.gp: set strategies (the names of iowalk run --list-strategies)"; exit status 1 }
palette = "#D55E00 #0072B2 #009E73 #CC79A7 #E69F00 #56B4E9 #F0E442 #000000"
markers = "7 5 9 11 13 15 4 6"
sindex(s) = sum [k=1:words(strategies)] (word(strategies, k) eq s ? k : 0)
sslot(s) = (sindex(s) - 1) % words(palette) + 1
scolour(s) = sindex(s) > 0 ? word(palette, sslot(s)) : '#777777'
spoint(s) = sindex(s) > 0 ? int(word(markers, sslot(s))) : 1
sdash(s) = sindex(s) > 0 ? sslot(s) : 1  # a dash pattern per strategy: the second channel besides colour

# Sized for a paper: column=1 (single column: 3.4 in wide, 8 pt) or column=2 (double column: 7 in, 9 pt)
# draws only a vector PDF of that width, keeping the figure's proportions; a two-panel figure stacks its
# panels in a single column. Without column, each figure has its own screen size, PNG and PDF.
if (!exists("column")) column = 0
if (column != 0 && column != 1 && column != 2) { print "style.gp: column must be 1 (single) or 2 (double)"; exit status 1 }
formats = column == 0 ? "png pdf" : "pdf"
# The PDF's name: OUTBASE.pdf for the screen, OUTBASE-col1.pdf / OUTBASE-col2.pdf for a paper (so a paper
# PDF never replaces the screen one; the same names `iowalk run --figure` writes).
pdf_out = !exists("outbase") ? '' : column == 0 ? outbase.'.pdf' : outbase.'-col'.column.'.pdf'
paper_w = column == 1 ? 3.4 : 7.0
pdf_font = column == 0 ? 'DejaVu Sans,10' : (column == 1 ? 'DejaVu Sans,8' : 'DejaVu Sans,9')
stacked(panels) = column == 1 && panels == 2
pdf_w(w) = column == 0 ? w : paper_w
pdf_h(w, h, panels) = column == 0 ? h : (stacked(panels) ? 2 * paper_w * h / (w / 2.0) : paper_w * h / w)
mp_rows(panels) = stacked(panels) ? 2 : 1
mp_cols(panels) = stacked(panels) ? 1 : panels
