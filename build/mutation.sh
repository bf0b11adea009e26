#!/usr/bin/env bash
# Mutation testing of the core with Stryker.NET (docs/testing.md, "Mutation"). Not part of .ci/run: a full run takes
# an hour or more on 2 cores, so run it per folder.
#
#   build/mutation.sh                 every core folder (Tasks Executor Integration Channels Timers Scheduling IO)
#   build/mutation.sh Tasks Channels  only these folders of src/LocalExecutor, one Stryker run each
#   build/mutation.sh Timers/TimerHeap.cs   one file (a path under src/LocalExecutor ending in .cs)
#   build/mutation.sh 'Channels/SharedChannel*.cs'   the files a glob matches (quoted: Stryker expands it), one run
#
# Environment:
#   MUTATION_OUT          where reports go (default /tmp/mutation); each folder gets <out>/<Folder>/reports/
#                         mutation-report.html and .json, and <out>/summary.txt gets one line per run.
#   MUTATION_CONCURRENCY  Stryker's parallel test runners (default 1: every test already runs executor threads of
#                         its own, and a second runner on a 2-core machine turns timing into timeouts).
#   MUTATION_NICE         nice level for the run (default 15).
#   MUTATION_TESTS        a dotnet test filter (e.g. FullyQualifiedName~TimerHeapTests): coverage analysis off, and
#                         every mutant runs exactly the tests it selects. Checks a file against its own tests in minutes,
#                         and tells a missing test from per-test coverage that did not book a test to a mutant.
#
# Stryker runs on a copy of the tracked (and untracked, not ignored) files under <out>/.source-*, never on the working
# tree: it writes a mutated LocalExecutor.dll into the test project's output folder. In that copy the tests run one
# at a time (xunit.runner.json): per-test coverage records every mutant hit while a test runs, and with test classes in
# parallel the hits of one test were booked to another, which showed up as mutants with no coverage (the owner-thread
# branch of Send, run by a test that asserts it) and survivors whose killing test was never run. Settings are in
# build/stryker-config.json: per-test coverage, a per-mutant timeout of the initial test time plus 5 s, and the
# timing-sensitive tests (their own collection, measuring CPU shares), the descriptor-exhaustion tests (a child
# process at its descriptor limit) and the deep-recursion stack test left out. That last one sizes a stack for the
# real build: Stryker's instrumented frames overflow it, the test host dies, and Stryker books every mutant whose run
# reached it as a timeout (it did so for 832 of Executor/'s 989 mutants, survivors among them).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

all_folders=(Tasks Executor Integration Channels Timers Scheduling IO)
if [ "$#" -gt 0 ]; then folders=("$@"); else folders=("${all_folders[@]}"); fi
for folder in "${folders[@]}"; do
  folder="${folder%/}"
  if [ ! -d "src/LocalExecutor/$folder" ] && { [[ "$folder" != *.cs ]] || ! compgen -G "src/LocalExecutor/$folder" >/dev/null; }; then
    echo "No folder or file src/LocalExecutor/$folder; the core folders are: ${all_folders[*]}" >&2
    exit 2
  fi
done

concurrency="${MUTATION_CONCURRENCY:-1}"
niceness="${MUTATION_NICE:-15}"
# shellcheck source=build/mutation-common.sh
. build/mutation-common.sh
mutation_prepare "$repo"
mutation_copy_sources source
tests="$source/test/LocalExecutor.Tests"
printf '{ "parallelizeTestCollections": false, "parallelizeAssembly": false }\n' > "$tests/xunit.runner.json"
sed -i 's#</Project>#  <ItemGroup><None Include="xunit.runner.json" CopyToOutputDirectory="PreserveNewest" /></ItemGroup>\n</Project>#' \
  "$tests/LocalExecutor.Tests.csproj"

if [ -n "${MUTATION_TESTS:-}" ]; then
  # Stryker takes these two only from its config file: change them in the copy's (& is special to sed). The selection
  # keeps the config's exclusions: a test left out there crashes or misleads a mutation run whatever else is selected.
  excluded="$(grep -o '"test-case-filter": "[^"]*"' build/stryker-config.json | sed 's/.*: "\(.*\)"/\1/')"
  filter="(${MUTATION_TESTS})&${excluded}"
  filter="${filter//&/\\&}"
  sed -i -e 's#"coverage-analysis": "perTest"#"coverage-analysis": "off"#' \
    -e "s#\"test-case-filter\": \"[^\"]*\"#\"test-case-filter\": \"${filter}\"#" \
    "$source/build/stryker-config.json"
fi

for folder in "${folders[@]}"; do
  folder="${folder%/}"
  name="${folder//\//_}"
  name="${name//\*/_}"
  report="$out/$name"
  pattern="**/$folder/**/*.cs"
  if [[ "$folder" == *.cs ]]; then pattern="**/$folder"; fi
  rm -rf "$report"
  echo "== Mutating src/LocalExecutor/$folder (reports in $report/reports)"
  started=$(date +%s)
  (
    cd "$source/src/LocalExecutor"
    nice -n "$niceness" dotnet tool run dotnet-stryker -- \
      --config-file ../../build/stryker-config.json \
      --mutate "$pattern" \
      --mutate '!**/IO/Native/**/*.cs' \
      --concurrency "$concurrency" \
      --output "$report" \
      --log-to-file \
      --skip-version-check
  ) | tee "$out/$name.log"
  elapsed=$(( $(date +%s) - started ))
  score=$(grep -Eo 'The final mutation score is [0-9.]+ ?%' "$out/$name.log" | tail -1 | grep -Eo '[0-9.]+ ?%' || echo "n/a")
  echo "$(date -u +%FT%TZ) $folder score=$score time=${elapsed}s report=$report/reports/mutation-report.html" | tee -a "$out/summary.txt"
done
