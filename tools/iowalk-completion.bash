# bash completion for iowalk (installed as share/bash-completion/completions/iowalk).
_iowalk()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "run trace sweep compare gate sensitivity --help --version" -- "$cur"))
		return
	fi
	case "$cmd" in
	run) COMPREPLY=($(compgen -W "--strategy --preset --config --set --check --warmup --no-drain --amortize-over --json --csv --cdf --figure --outdir --quiet --progress --tag --print-config --list-strategies --list-counters --selfperf --help" -- "$cur")) ;;
	trace)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "cat pack stat validate gen convert" -- "$cur"))
			return
		fi
		COMPREPLY=($(compgen -W "--help --json --zstd --name --binary -o --from --strict --seed --ops --progress --functions --function" -- "$cur")) ;;
	sweep) COMPREPLY=($(compgen -W "--output --jobs --emit-jobs --merge --quiet --help" -- "$cur")) ;;
	compare) COMPREPLY=($(compgen -W "--markdown --latex --json --all --help" -- "$cur")) ;;
	gate) COMPREPLY=($(compgen -W "--baseline --tolerance --exact --quiet --junit --accept-config --help" -- "$cur")) ;;
	sensitivity) COMPREPLY=($(compgen -W "--strategy --samples --seed --jobs --preset --config --set --json --csv --tornado --quiet --help" -- "$cur")) ;;
	esac
	[ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _iowalk iowalk
