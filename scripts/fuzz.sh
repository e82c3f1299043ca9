#!/usr/bin/env bash
# Builds the libFuzzer targets of Tests/Fuzz (the .npy reader, the command-line parser) into .build-fuzz/ and
# runs each for SECONDS_PER_TARGET seconds over a copy of its committed seed corpus. See Tests/Fuzz/README.md.
#   scripts/fuzz.sh [SECONDS_PER_TARGET, default 60]
# Exit status: 0 clean; 1 a target crashed, hung, ran out of memory or broke an invariant (reproducer under
# .build-fuzz/artifacts/); 2 a build failed or bad usage. No network needed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2; }
out=$PWD/.build-fuzz

# ---- What each target compiles: its harness plus the real library sources it needs, by glob. Everything is
# one Swift module named TangentFlow, so the `import TangentFlow` of CommandLineSupport and TangentFlowIO files is
# ignored (a warning) and `package` declarations are visible; the package's other Swift modules they import
# (TangentFlowIO, TangentFlowReporting) are compiled in as sources, and each import is satisfied by an empty
# module of that name in .build-fuzz/modules. C modules: a system library of the package (Sources/<Name>/
# module.modulemap, e.g. CZlib) is found with `-I Sources/<Name>` and links itself; CKernels, if a compiled file
# imports it, is built from CKernels/*.c (plain clang -O2, not instrumented) into .build-fuzz/ckernels and
# linked with OpenBLAS, LAPACKE and libomp as in Package.swift.
shopt -s nullglob
npy_sources=(Tests/Fuzz/NpyFuzz.swift Sources/TangentFlowIO/*.swift Sources/TangentFlow/Matrix/Matrix.swift
             Sources/TangentFlow/Matrix/MatrixView.swift Sources/TangentFlow/Matrix/Matrix+Validation.swift
             Sources/TangentFlow/Errors/TangentFlowError.swift Sources/TangentFlow/Runtime/MemoryBudget.swift)
# (RuntimeInfo reaches C through Kernels/CRuntime.swift, which brings the Kernels folder and its two backends.)
args_sources=(Tests/Fuzz/ArgsFuzz.swift Sources/CommandLineSupport/*.swift Sources/TangentFlow/Models/Activation.swift
              Sources/TangentFlow/Models/MLP.swift
              Sources/TangentFlow/Runtime/TangentFlowVersion.swift Sources/TangentFlow/Kernels/*.swift
              Sources/TangentFlow/Kernels/Swift/*.swift Sources/TangentFlow/Matrix/SymmetricMatrix.swift
              Sources/TangentFlow/LinearAlgebra/NTKSpectrum.swift
              "${npy_sources[@]:1}")
targets=(npy args)
shopt -u nullglob

swift_flags=(-parse-as-library -sanitize=fuzzer,address -O -wmo -g -module-name TangentFlow
             -package-name tangentflow -module-cache-path "$out/module-cache")

# Builds .build-fuzz/ckernels/libCKernels.a and its module map when a C source or header is newer.
ckernels() {
  local dir=$out/ckernels c cc
  cc=$(dirname "$(command -v swiftc)")/clang; [[ -x $cc ]] || cc=clang   # the toolchain's clang, else PATH's
  mkdir -p "$dir"
  printf 'module CKernels {\n    header "%s"\n    export *\n}\n' "$PWD/CKernels/include/ckernels.h" >"$dir/module.modulemap"
  if [[ ! -f $dir/libCKernels.a ]] || [[ -n $(find CKernels -name '*.[ch]' -newer "$dir/libCKernels.a") ]]; then
    echo "fuzz.sh: building CKernels (C kernels, for the files that import it)"
    rm -f "$dir"/*.o "$dir/libCKernels.a"
    for c in CKernels/*.c; do
      "$cc" -O2 -g -fPIC -I CKernels/include -c "$c" -o "$dir/$(basename "$c" .c).o" 2>>"$dir/build.log" \
        || { echo "fuzz.sh: BUILD FAILED: CKernels ($c; log: $dir/build.log)" >&2; cat "$dir/build.log" >&2; exit 2; }
    done
    ar rcs "$dir/libCKernels.a" "$dir"/*.o
  fi
}

# An empty Swift module named $1 in .build-fuzz/modules, standing in for a package module whose sources are
# compiled into the one fuzz module (so `import TangentFlowIO` resolves and changes nothing).
empty_module() {
  local dir=$out/modules
  mkdir -p "$dir"
  [[ -f $dir/$1.swiftmodule ]] && return 0
  : >"$dir/empty.swift"
  swiftc -parse-as-library -emit-module -module-name "$1" -module-cache-path "$out/module-cache" "$dir/empty.swift" \
    -emit-module-path "$dir/$1.swiftmodule" \
    || { echo "fuzz.sh: BUILD FAILED: empty module $1" >&2; exit 2; }
}

# Compiles target $1 from the listed files. If the library grew a dependency (a symbol the compiler cannot
# find), the file of Sources/TangentFlow (or TangentFlowIO, TangentFlowReporting) declaring it is added and the build retried (at most 6 rounds); each
# addition is printed so the list above can be updated.
build() {
  local name=$1; shift
  local files=("$@") log="$out/build-$name.log" round added sym decl f m extra
  for round in 1 2 3 4 5 6 7; do
    extra=()
    for m in $(sed -nE 's/^[[:space:]]*(@_implementationOnly |internal |package |public )?import ([A-Za-z0-9_]+).*/\2/p' \
               "${files[@]}" | sort -u); do
      if [[ $m == CKernels ]]; then
        ckernels
        extra+=(-I "$out/ckernels" -L "$out/ckernels" -lCKernels -lopenblas -llapacke -lomp5 -larpack -lmvec -lm)
      elif [[ -f Sources/$m/module.modulemap ]]; then
        extra+=(-I "Sources/$m")
      elif [[ $m == TangentFlow?* && -d Sources/$m ]]; then
        empty_module "$m"
        extra+=(-I "$out/modules")
      fi
    done
    if swiftc "${swift_flags[@]}" "${extra[@]}" "${files[@]}" -o "$out/fuzz-$name" >"$log" 2>&1; then
      echo "fuzz.sh: built $name from ${#files[@]} files (log: ${log#"$PWD"/})"
      return 0
    fi
    [[ $round == 7 ]] && break
    added=0
    for sym in $(grep -oE "cannot find (type )?'[A-Za-z_][A-Za-z0-9_]*' in scope|has no member '[A-Za-z_][A-Za-z0-9_]*'" "$log" \
                 | grep -oE "'[^']+'" | tr -d "'" | sort -u); do
      decl=$(grep -rlE "^[[:space:]]*([a-z@()]+[[:space:]]+)*(func|var|let|enum|struct|class|actor|protocol|typealias|case)[[:space:]]+$sym\b" \
             Sources/TangentFlow Sources/TangentFlowIO Sources/TangentFlowReporting --include='*.swift' | sort)
      (( $(wc -w <<<"$decl") <= 3 )) || continue   # a common name ('count', 'name'): not a missing file
      for f in $decl; do
        [[ " ${files[*]} " == *" $f "* ]] && continue
        echo "fuzz.sh: $name: also compiling $f (declares '$sym'); add it to ${name}_sources in scripts/fuzz.sh"
        files+=("$f"); added=1
      done
    done
    [[ $added == 1 ]] || break
  done
  echo "fuzz.sh: BUILD FAILED for target '$name' (full log: $log):" >&2
  grep -E "error:" "$log" | sort -u | head -n 30 >&2
  exit 2
}

mkdir -p "$out"
for t in "${targets[@]}"; do
  declare -n list="${t}_sources"
  build "$t" "${list[@]}"
  unset -n list
done

# ---- Run each target over a fresh copy of its seed corpus (the committed corpus never grows).
export SWIFT_BACKTRACE=enable=no   # let libFuzzer, not the Swift backtracer, handle a trap and save the input
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
status=0
summary=()
for t in "${targets[@]}"; do
  work=$out/run/$t
  rm -rf "$work" && mkdir -p "$work/corpus" "$out/artifacts/$t"
  cp Tests/Fuzz/corpus/"$t"/* "$work/corpus/"
  seeds=$(ls "$work/corpus" | wc -l)
  dict=(); [[ -f Tests/Fuzz/$t.dict ]] && dict=(-dict="Tests/Fuzz/$t.dict")
  echo "fuzz.sh: running $t for ${seconds}s over $seeds seeds (log: ${work#"$PWD"/}/fuzz.log)"
  rc=0
  "$out/fuzz-$t" "$work/corpus" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" >"$work/fuzz.log" 2>&1 || rc=$?
  log=$work/fuzz.log
  execs=$(grep -oE 'stat::number_of_executed_units:[[:space:]]+[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  [[ -n $execs ]] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  rss=$(grep -oE 'stat::peak_rss_mb:[[:space:]]+[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  line="$t: ${execs:-?} execs in ${seconds}s, cov ${cov:-?} edges, ft ${ft:-?}, corpus $seeds -> ${corp:-?}, peak rss ${rss:-?} MB"
  if [[ $rc == 0 ]]; then
    summary+=("OK    $line")
  else
    status=1
    kind=$(grep -m1 -oE 'Swift runtime failure: [A-Za-z ]+|Fatal error: .{0,160}|ERROR: AddressSanitizer: [a-z-]+|ALARM: working on the last Unit for [0-9]+ seconds|out-of-memory \([^)]*\)|ERROR: libFuzzer: [a-z -]+' "$log" || true)
    art=$(grep -m1 -oE "Test unit written to .*" "$log" | sed 's/Test unit written to //' || true)
    summary+=("FAIL  $line; exit $rc: ${kind:-see log}; reproducer: ${art:-none}; log: $log")
  fi
done
echo
printf '%s\n' "${summary[@]}"
exit $status
