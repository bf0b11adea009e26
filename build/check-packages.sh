#!/usr/bin/env bash
# Checks the packages `dotnet pack` made: build/check-packages.sh <folder with the .nupkg/.snupkg files>.
# Each package (LocalExecutor, LocalExecutor.Hosting, LocalExecutor.AspNetCore) must hold its README, the MIT license
# expression, tags, the repository (address and commit), the assembly and its XML docs; the two beside LocalExecutor
# depend on it at the same version, and the Kestrel transport names the ASP.NET Core shared framework. Its symbols
# package must hold a PDB whose sources are mapped to /_/ (no path of this machine) and that carries SourceLink.
# Exits non-zero naming every problem.
set -euo pipefail
cd "$(dirname "$0")/.."
packages="${1:?usage: build/check-packages.sh <package folder>}"
root="$(pwd)"
version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' build/Version.props)"
failures=0
fail() { echo "FAIL $1" >&2; failures=$((failures + 1)); }

dotnet build build/check-pdb -c Release --nologo -v quiet >/dev/null

ids=(LocalExecutor LocalExecutor.Hosting LocalExecutor.AspNetCore)
for id in "${ids[@]}"; do
  nupkg="$packages/$id.$version.nupkg"
  snupkg="$packages/$id.$version.snupkg"
  [[ -f "$nupkg" ]] || { fail "$nupkg is missing"; continue; }
  [[ -f "$snupkg" ]] || { fail "$snupkg is missing"; continue; }
  echo "== $id $version"
  unzip -l "$nupkg" | awk 'NR>3 && $4 != "" {print "   " $4}' | grep -v -e '^   -' -e '_rels' -e 'Content_Types' -e 'psmdcp' || true

  listing="$(unzip -Z1 "$nupkg")"
  for file in README.md "lib/net10.0/$id.dll" "lib/net10.0/$id.xml"; do
    grep -qx "$file" <<<"$listing" || fail "$id: $file is not in the package"
  done

  nuspec="$(unzip -p "$nupkg" "$id.nuspec")"
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "$id: no MIT license expression"
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || fail "$id: the README is not declared"
  grep -q '<tags>.*thread-per-core.*</tags>' <<<"$nuspec" || fail "$id: no tags"
  grep -Eq '<repository type="git" url="https://[^"]+"( [a-z]+="[^"]*")* commit="[0-9a-f]{40}"' <<<"$nuspec" || fail "$id: no repository address and commit"
  grep -q "$root" <<<"$nuspec" && fail "$id: the nuspec names this machine's path $root"
  if [[ $id != LocalExecutor ]]; then
    grep -q "<dependency id=\"LocalExecutor\" version=\"$version\"" <<<"$nuspec" || fail "$id: no dependency on LocalExecutor $version"
  fi
  if [[ $id == LocalExecutor.AspNetCore ]]; then
    grep -q '<frameworkReference name="Microsoft.AspNetCore.App"' <<<"$nuspec" || fail "$id: no framework reference to Microsoft.AspNetCore.App"
  fi

  work="$(mktemp -d)"
  unzip -q "$nupkg" -d "$work"
  unzip -q -o "$snupkg" -d "$work"
  [[ -f "$work/lib/net10.0/$id.pdb" ]] || fail "$id: the symbols package has no PDB"
  if ! dotnet build/check-pdb/bin/Release/net10.0/check-pdb.dll "$work/lib/net10.0/$id.dll" "$work/lib/net10.0/$id.pdb" "$root"; then
    fail "$id: the PDB check failed"
  fi
  if grep -aq "$root" "$work/lib/net10.0/$id.dll" "$work/lib/net10.0/$id.pdb"; then
    fail "$id: the assembly or PDB bytes contain this machine's path $root"
  fi
  rm -rf "$work"
done

if ((failures > 0)); then
  echo "$failures package problem(s)." >&2
  exit 1
fi
printf -v names '%s, ' "${ids[@]}"
echo "Packages checked: ${names%, } $version."
