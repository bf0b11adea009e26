#!/usr/bin/env bash
# Replays the survivors of a Stryker run against the systematic (Coyote) tests (docs/testing.md, "Mutation").
#
#   build/mutation-systematic.sh REPORT.json [REPORT.json ...]
#
# Stryker runs the unit suite only: the protocols that LocalExecutor.SystematicTests compiles from source (its
# <Compile Include> items: the parker, the continuation slot and list, the channels' waiting words and wait state, the
# MPSC channel's ring, the shutdown gate, the drain count) are explored there, under Coyote, and their race-only mutants (a compare-and-swap
# retry that gives up, a fence moved) cannot fail a unit test that runs one interleaving. This script takes every
# mutant a report lists as Survived or NoCoverage in one of those files, writes it into a clean copy of the sources
# (exactly Stryker's replacement text over Stryker's range), builds and runs the systematic tests, and books it:
# Killed (a test failed), Timeout (the run passed MUTATION_REPLAY_TIMEOUT), CompileError (Stryker's replacement does not
# build as plain C#) or Survived. The working tree is never touched.
#
# Environment:
#   MUTATION_OUT             where the results go (default /tmp/mutation): <out>/systematic-replay.txt gets one line per
#                            mutant and a total per file.
#   MUTATION_REPLAY_TIMEOUT  seconds per mutant, build included (default 600).
#   MUTATION_NICE            nice level (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
if [ "$#" -eq 0 ]; then
  echo "usage: build/mutation-systematic.sh REPORT.json [REPORT.json ...] (the mutation-report.json of build/mutation.sh runs)" >&2
  exit 2
fi
for report in "$@"; do
  [ -f "$report" ] || { echo "No report $report" >&2; exit 2; }
done

# shellcheck source=build/mutation-common.sh
. build/mutation-common.sh
mutation_prepare "$repo"
mutation_copy_sources replay

MUTATION_SOURCE="$source" MUTATION_OUT="$out" MUTATION_REPLAY_TIMEOUT="${MUTATION_REPLAY_TIMEOUT:-600}" \
  MUTATION_NICE="${MUTATION_NICE:-15}" python3 - "$@" <<'PY'
import json, os, re, subprocess, sys, time

source = os.environ["MUTATION_SOURCE"]
out = os.environ["MUTATION_OUT"]
timeout = int(os.environ["MUTATION_REPLAY_TIMEOUT"])
niceness = os.environ["MUTATION_NICE"]
project = os.path.join(source, "test/LocalExecutor.SystematicTests/LocalExecutor.SystematicTests.csproj")

# The shipped files the systematic project compiles, as paths under src/LocalExecutor.
linked = re.findall(r'<Compile Include="\.\./\.\./src/LocalExecutor/([^"]+)"', open(project).read())

def under_core(path):
    marker = "/src/LocalExecutor/"
    return path.split(marker, 1)[1] if marker in path else None

mutants = {}  # (file, range, replacement) -> mutant: one entry per mutant even when two reports list it
for report in sys.argv[1:]:
    for path, data in json.load(open(report))["files"].items():
        relative = under_core(path)
        left = [m for m in data["mutants"] if m["status"] in ("Survived", "NoCoverage")]
        if relative not in linked or not left:
            continue
        current = open(os.path.join(source, "src/LocalExecutor", relative)).read()
        if data["source"] != current:
            # Stryker's ranges are into the source it mutated: on a changed file they would land on other code.
            sys.exit(f"{relative} changed since {report} was written; run build/mutation.sh on it again first.")
        for mutant in left:
            loc = mutant["location"]
            key = (relative, loc["start"]["line"], loc["start"]["column"], loc["end"]["line"], loc["end"]["column"], mutant.get("replacement", ""))
            mutants[key] = mutant

def offset(lines, line, column):
    # Stryker's locations are 1-based lines and columns.
    return sum(len(l) for l in lines[: line - 1]) + column - 1

def first_failure(output):
    # The first failed test and the first line of its message: what a reader checks a kill by (a lost wake-up shows
    # as Coyote's deadlock report, an assertion as its text).
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("Failed ") and "[" in line:
            message = next((l.strip() for l in lines[i + 1 : i + 6] if l.strip() and "Error Message" not in l), "")
            return f"{line.strip().split(' [')[0][7:]}: {message[:160]}"
    return ""

def run_tests():
    started = time.time()
    try:
        build = subprocess.run(["nice", "-n", niceness, "dotnet", "build", project, "-v", "q", "-nologo"],
                               capture_output=True, text=True, timeout=timeout)
        if build.returncode != 0:
            return "CompileError", time.time() - started, ""
        test = subprocess.run(["nice", "-n", niceness, "dotnet", "test", project, "--no-build", "-nologo"],
                              capture_output=True, text=True, timeout=max(1, timeout - (time.time() - started)))
        if test.returncode == 0:
            return "Survived", time.time() - started, ""
        return "Killed", time.time() - started, first_failure(test.stdout)
    except subprocess.TimeoutExpired:
        return "Timeout", time.time() - started, ""

log = open(os.path.join(out, "systematic-replay.txt"), "a")
def say(text):
    print(text, flush=True)
    log.write(text + "\n")
    log.flush()

say(f"== {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} replaying {len(mutants)} mutants of {', '.join(sys.argv[1:])}")
status, seconds, failure = run_tests()
if status != "Survived":
    sys.exit(f"The systematic tests do not pass on the unmutated sources ({status}{': ' + failure if failure else ''}); fix that first.")

totals = {}
for key in sorted(mutants):
    relative, line, column, end_line, end_column, replacement = key
    mutant = mutants[key]
    path = os.path.join(source, "src/LocalExecutor", relative)
    original = open(path).read()
    lines = original.splitlines(keepends=True)
    start, end = offset(lines, line, column), offset(lines, end_line, end_column)
    open(path, "w").write(original[:start] + replacement + original[end:])
    try:
        status, seconds, failure = run_tests()
    finally:
        open(path, "w").write(original)
    totals.setdefault(relative, {}).setdefault(status, 0)
    totals[relative][status] += 1
    say(f"{relative}:{line} {status} ({seconds:.0f} s) {mutant['mutatorName']}: {original[start:end].strip()!r} -> {replacement!r}"
        + (f" | {failure}" if failure else ""))

for relative, counts in sorted(totals.items()):
    say(f"total {relative}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
PY
