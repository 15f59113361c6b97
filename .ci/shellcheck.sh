#!/usr/bin/env bash
# .ci/shellcheck.sh: runs shellcheck on every shell script of the repository, all severities
# (style included), following the files they source. The scripts are the tracked *.sh files and
# every tracked file whose first line is a sh or bash shebang (.ci/run).
#   bash .ci/shellcheck.sh [FILE...]       (no argument: all of them)
set -euo pipefail
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs shellcheck
if [ "$#" -gt 0 ]; then
    scripts=("$@")
else
    scripts=()
    while IFS= read -r -d '' file; do
        [ -f "$file" ] || continue # deleted in the work tree but not yet in the index
        case "$file" in
        *.sh) scripts+=("$file") ;;
        *) head -n 1 "$file" | grep -Eq '^#!.*[/ ](ba)?sh([[:space:]]|$)' && scripts+=("$file") ;;
        esac
    done < <(git ls-files -z)
fi
[ "${#scripts[@]}" -gt 0 ] || { echo "shellcheck: no shell script found" >&2; exit 1; }
# -x: follow `. file` (the `# shellcheck source=` paths are relative to the repository root).
shellcheck --version | sed -n 's/^version: /== shellcheck /p'
if shellcheck -x "${scripts[@]}"; then
    echo "== shellcheck: ${#scripts[@]} scripts clean: ${scripts[*]}"
else
    printf '\n== shellcheck: FAILED (see above)\n' >&2
    exit 1
fi
