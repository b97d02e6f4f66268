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
