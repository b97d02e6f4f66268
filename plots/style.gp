# style.gp: shared look of iowalk figures: Okabe-Ito colours (colour-blind safe), one per strategy,
# readable fonts. Loaded by the other scripts.
set datafile separator ','
# NaN marks rows a plot filters out: missing, so lines join across them instead of breaking.
set datafile missing NaN
set grid ytics lc rgb '#dddddd'
set border lc rgb '#444444'
set key noenhanced
set xtics noenhanced
strategies = "kvm-gfn root-pfn nested qemu"
scolour(s) = s eq "kvm-gfn" ? '#D55E00' : s eq "root-pfn" ? '#0072B2' : s eq "nested" ? '#009E73' : '#CC79A7'
spoint(s) = s eq "kvm-gfn" ? 7 : s eq "root-pfn" ? 5 : s eq "nested" ? 9 : 11
