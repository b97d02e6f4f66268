# bash completion for iowalk (installed as share/bash-completion/completions/iowalk): commands, options,
# and their values (strategies, parameters, presets, generator kinds, capture formats, policies), taken
# from the iowalk being completed so they are never out of date; files elsewhere.
_iowalk_values()
{
	# The values of option $1 for command $2 (empty: complete files).
	local self=$3
	case "$1" in
	--strategy|-s) echo all; "$self" run --list-strategies 2>/dev/null | cut -d' ' -f1 ;;
	--set|-S) "$self" run --print-config 2>/dev/null |
		awk '/^\[/ { s = substr($1, 2, length($1) - 2) } /^[a-z_0-9.]+ *=/ { print s "." $1 "=" }' ;;
	--preset|-p) "$self" run --help 2>/dev/null | sed -n 's/.*--preset NAME *[^:]*preset: //p' | sed 's/ (default)//g; s/,/ /g' ;;
	--from) echo ftrace kprobe ;;
	--rpcit) [ "$2" = convert ] && echo auto captured strict lazy: || echo strict lazy: ;;
	--levels) echo 3 4 5 ;;
	--metric) echo cycles_total cycles_per_update.mean cycles_per_translation.mean cycles_per_translation_all 'breakdown.*' 'ops.*' ;;
	esac
}

_iowalk()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=${COMP_WORDS[1]} self=${COMP_WORDS[0]}
	local sub=${COMP_WORDS[2]}
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "run trace sweep compare gate sensitivity mrc --help --version" -- "$cur"))
		return
	fi
	# The value of the option before the cursor.
	local vals
	vals=$(_iowalk_values "$prev" "$sub" "$self")
	if [ -n "$vals" ]; then
		if [ "$prev" = --strategy ] || [ "$prev" = -s ]; then
			# A comma-separated list: complete its last element.
			local head=${cur%,*} last=${cur##*,}
			[ "$head" = "$cur" ] && head="" || head="$head,"
			COMPREPLY=($(compgen -P "$head" -W "$vals" -- "$last"))
		else
			COMPREPLY=($(compgen -W "$vals" -- "$cur"))
		fi
		[ "$prev" = --set ] || [ "$prev" = -S ] || [ "$prev" = --rpcit ] && compopt -o nospace 2>/dev/null
		return
	fi
	case "$cmd" in
	run) COMPREPLY=($(compgen -W "--strategy --preset --config --set --check --warmup --no-drain --amortize-over --json --csv --cdf --figure --outdir --quiet --progress --tag --print-config --list-strategies --list-counters --selfperf --help" -- "$cur")) ;;
	trace)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "cat pack stat validate gen convert" -- "$cur"))
			return
		fi
		if [ "$sub" = gen ] && [ "$COMP_CWORD" -eq 3 ]; then
			COMPREPLY=($(compgen -W "nic-ring nvme stream random churn vm" -- "$cur"))
			return
		fi
		case "$sub" in
		gen) COMPREPLY=($(compgen -W "--seed --ops --guest-ram --memslots --ioat-origin --levels --rpcit --interval --name --binary --zstd --progress --ring --rx-percent --buf-size --working-set --dma-size --zipf --devices --functions -o --help" -- "$cur")) ;;
		convert) COMPREPLY=($(compgen -W "--from --clock-ghz --rpcit --dma-accesses --guest-ram --ioat-origin --function --name --strict --levels --accept-lost-events --accept-policy-mismatch -o --help" -- "$cur")) ;;
		pack) COMPREPLY=($(compgen -W "--zstd --name --help" -- "$cur")) ;;
		stat) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
		esac ;;
	sweep) COMPREPLY=($(compgen -W "--output --jobs --emit-jobs --merge --quiet --help" -- "$cur")) ;;
	compare) COMPREPLY=($(compgen -W "--markdown --latex --metric --json --all --help" -- "$cur")) ;;
	gate) COMPREPLY=($(compgen -W "--baseline --tolerance --exact --strict --metric --all --quiet --junit --accept-config --help" -- "$cur")) ;;
	sensitivity) COMPREPLY=($(compgen -W "--strategy --samples --seed --jobs --preset --config --set --json --csv --tornado --quiet --help" -- "$cur")) ;;
	mrc) COMPREPLY=($(compgen -W "--strategy --preset --config --set --max-entries --json --csv --figure --quiet --help" -- "$cur")) ;;
	esac
	# Options only when the word begins like one; files otherwise (traces, reports, specs, outputs).
	if [ "${cur#-}" = "$cur" ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _iowalk iowalk
