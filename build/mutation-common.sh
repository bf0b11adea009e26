# Sourced by build/mutation.sh and build/mutation-systematic.sh, not run on its own: the output folder, the tools and
# the clean copy of the sources both scripts work in.

# Sets `out` to the absolute output folder (MUTATION_OUT, default /tmp/mutation), which must lie outside the repository
# at $1, and restores the tool manifest's tools.
mutation_prepare() {
  out="${MUTATION_OUT:-/tmp/mutation}"
  case "$out" in
    "$1"|"$1"/*) echo "MUTATION_OUT must be outside the repository (got $out)." >&2; exit 2 ;;
  esac
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  dotnet tool restore >/dev/null
}

# Sets `source` to a new folder under $out, named after $1, holding what git tracks plus new files not yet added (so
# uncommitted tests count); it is removed when the script exits. One per invocation, so two runs can go side by side.
mutation_copy_sources() {
  source="$(mktemp -d "$out/.$1-XXXXXX")"
  trap 'rm -rf "$source"' EXIT
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$source"
}
