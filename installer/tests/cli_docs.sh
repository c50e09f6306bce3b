#!/usr/bin/env bash
# The hand-written man page and bash completion of loopsnapctl cover what the program offers:
# every command and subcommand `loopsnapctl --help` lists and every option each command's
# --help lists must appear in the man page, and the completion must offer each of them.
#   cli_docs.sh LOOPSNAPCTL INSTALLER_DIR
set -uo pipefail
ctl=$1
dir=$2
man_page=$dir/loopsnapctl.1
completion=$dir/loopsnapctl.bash-completion
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

bash_completion=/usr/share/bash-completion/bash_completion
[ -r "$bash_completion" ] || { echo "FAIL: $bash_completion missing (package bash-completion)"; exit 1; }

# The man page's text as a reader sees the words: troff escapes and font changes removed.
man_text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/"//g' "$man_page")

# What the completion offers after the given words (the last one is the word being completed).
complete_words() {
    bash -c '
        source "$1"; source "$2"; shift 2
        COMP_WORDS=(loopsnapctl "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
        _loopsnapctl loopsnapctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_completion" "$completion" "$@"
}

top_help=$("$ctl" --help) || { echo "FAIL: loopsnapctl --help failed"; exit 1; }

top_offered=$(complete_words "")

# Global options from the usage line, e.g. "Usage: loopsnapctl [--json] COMMAND".
for opt in $(grep -m1 '^Usage:' <<<"$top_help" | grep -o '\[--[a-z-]*\]' | tr -d '[]'); do
    grep -q -- "$opt" <<<"$man_text" || fail "man page lacks global option $opt"
    grep -qx -- "$opt" <<<"$top_offered" || fail "completion does not offer global option $opt"
done

# "  snapshot   create | status | read | write  a snapshot ..." -> snapshot: create status read write
commands=()
while IFS= read -r line; do
    name=$(awk '{print $1}' <<<"$line")
    rest=$(sed -E 's/^  [^ ]+ +//' <<<"$line")
    subs=$(grep -oE '^([a-z-]+ \| )*[a-z-]+(:|  )' <<<"$rest" | sed -E 's/(:|  )$//; s/ \| / /g')
    commands+=("$name|$subs")
done < <(sed -n '/^Commands:/,/^$/p' <<<"$top_help" | grep -E '^  [a-z]')
[ ${#commands[@]} -ge 5 ] || fail "could not read the command list from loopsnapctl --help"

checked_options=0
for entry in "${commands[@]}"; do
    command=${entry%%|*}
    subs=${entry#*|}
    grep -qx -- "$command" <<<"$top_offered" || fail "completion does not offer command '$command'"
    if [ -z "$subs" ]; then
        leaves=("$command")
    else
        offered=$(complete_words "$command" "")
        leaves=()
        for sub in $subs; do
            grep -qx -- "$sub" <<<"$offered" || fail "completion does not offer '$command $sub'"
            leaves+=("$command $sub")
        done
    fi
    for leaf in "${leaves[@]}"; do
        grep -qE -- "(^| )$leaf( |\$)" <<<"$man_text" || grep -qE -- "(^| )${leaf%% *}( |\$).*\b${leaf#* }\b" <<<"$man_text" \
            || fail "man page lacks '$leaf'"
        # shellcheck disable=SC2086
        help=$("$ctl" $leaf --help 2>&1) || fail "'loopsnapctl $leaf --help' failed"
        options=$(sed -n '/^Options:/,/^$/p' <<<"$help" | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' \
                  | grep -oE -- '--[a-z-]+' | grep -vxE -- '--help|--help-all')
        # shellcheck disable=SC2086
        offered=$(complete_words $leaf "--")
        for opt in $options; do
            checked_options=$((checked_options + 1))
            grep -q -- "$opt" <<<"$man_text" || fail "man page lacks $opt of '$leaf'"
            grep -qx -- "$opt" <<<"$offered" || fail "completion does not offer $opt after '$leaf'"
        done
    done
done
[ $checked_options -ge 20 ] || fail "only $checked_options options read from the commands' --help"

# The man page renders without troff warnings.
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$man_page" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "man page warnings: $warnings"

echo "checked ${#commands[@]} commands and $checked_options options"
[ $failures -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
