#!/bin/sh
# Builds fuzz/bin/fuzz-readers with libFuzzer and AddressSanitizer from the reader sources
# of TripletKit and TripletKitIngest (not the whole package), so that it builds in about
# a minute. Usage: fuzz/build.sh (from the repository root).
set -eu
out=fuzz/bin
mkdir -p "$out/COpenCVShim"
# SwiftPM generates this module map for the C++ target; a direct swiftc build needs its own.
cat > "$out/COpenCVShim/module.modulemap" <<MAP
module COpenCVShim {
    header "$(pwd)/Sources/COpenCVShim/include/COpenCVShim.h"
    export *
}
MAP
flags="-sanitize=fuzzer,address -parse-as-library -Onone -gline-tables-only -swift-version 5"
core="Sources/TripletKit/Errors.swift Sources/TripletKit/Random.swift Sources/TripletKit/IO/MappedFile.swift
  Sources/TripletKit/IO/AtomicFile.swift Sources/TripletKit/IO/TemporaryFiles.swift Sources/TripletKit/CLI/Command.swift
  Sources/TripletKit/Data/Gzip.swift Sources/TripletKit/Data/IDX.swift
  Sources/TripletKit/Data/PackedDataset.swift Sources/TripletKit/Data/IDXPacking.swift"

# shellcheck disable=SC2086
swiftc $flags -c -wmo -module-name TripletKit -I Sources/CZlib -emit-module-path "$out/TripletKit.swiftmodule" \
  -o "$out/TripletKit.o" $core
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/COpenCVShim/include -I /usr/include/opencv4 \
  -c Sources/COpenCVShim/shim.cpp -o "$out/shim.o"
# shellcheck disable=SC2086
swiftc $flags -c -wmo -module-name TripletKitIngest -I "$out" -I Sources/CZlib -I Sources/CZip \
  -I "$out/COpenCVShim" -emit-module-path "$out/TripletKitIngest.swiftmodule" \
  -o "$out/TripletKitIngest.o" Sources/TripletKitIngest/*.swift
# shellcheck disable=SC2086
swiftc $flags -I "$out" -I Sources/CZlib -I Sources/CZip -I "$out/COpenCVShim" \
  fuzz/FuzzReaders.swift "$out/TripletKit.o" "$out/TripletKitIngest.o" "$out/shim.o" \
  -lz -lzip -lopencv_imgcodecs -lopencv_imgproc -lopencv_core -lstdc++ -o "$out/fuzz-readers" 2>&1 \
  | grep -v "Cannot export local symbol" || true
test -x "$out/fuzz-readers"
echo "built $out/fuzz-readers"
