#!/usr/bin/env bash
# Builds roofprof's libraries for a target architecture Debian does not package them for
# (riscv64: not a release architecture of Debian 12) from Debian's own source packages of the
# same versions the native build uses, as static libraries in a local prefix.
#
# Usage: scripts/cross-deps.sh TRIPLET PREFIX     e.g. riscv64-linux-gnu build/cross-deps/...
#
# Sources come through apt-get source with a private apt state under PREFIX/.. (deb-src
# entries derived from this system's own Debian entries; /etc/apt is not changed, no root
# needed). Each library is rebuilt only when its stamp (package version) is missing.
# PAPI 7.0.0 has no RISC-V port upstream; scripts/cross/papi-7.0.0-riscv64.patch adds the
# three architecture hooks it needs (read barrier, interrupted PC, time counter).
set -euo pipefail

usage() { echo "usage: $0 TRIPLET PREFIX" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
triplet=$1
mkdir -p "$2"
prefix=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
base=$(dirname "$prefix")
src=$base/src
work=$base/work
aptdir=$base/apt
jobs=${ROOFPROF_CROSS_JOBS:-2}
toolchain=$top/cmake/toolchains/$triplet.cmake
[[ -f $toolchain ]] || { echo "no toolchain file $toolchain" >&2; exit 2; }
command -v "$triplet-g++" > /dev/null || { echo "missing $triplet-g++" >&2; exit 1; }
command -v dpkg-source > /dev/null || { echo "missing dpkg-source (package dpkg-dev)" >&2; exit 1; }

log() { echo "[cross-deps $triplet] $*"; }

# --- Debian sources -------------------------------------------------------------------------
apt_opts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
          -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")

# deb-src lines for this system's Debian suites (codename, -updates, -security), taken from
# its deb822 and one-line source lists.
write_source_list() {
  local codename
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  python3 - "$codename" > "$aptdir/sources.list" <<'PY'
import glob, re, sys
codename = sys.argv[1]
wanted = re.compile(r"^%s(-updates|-security)?$" % re.escape(codename))
out = []
def add(uri, suite, comps):
    if wanted.match(suite):
        out.append("deb-src %s %s %s" % (uri, suite, " ".join(comps)))
for path in glob.glob("/etc/apt/sources.list.d/*.sources"):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        f = {}
        for line in stanza.splitlines():
            m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
            if m:
                f[m.group(1).lower()] = m.group(2).split()
        if "deb" not in f.get("types", []) or f.get("enabled", ["yes"])[0] == "no":
            continue
        for uri in f.get("uris", []):
            for suite in f.get("suites", []):
                add(uri, suite, f.get("components", ["main"]))
for path in ["/etc/apt/sources.list"] + glob.glob("/etc/apt/sources.list.d/*.list"):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        parts = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
        if len(parts) >= 3 and parts[0] == "deb":
            add(parts[1], parts[2], parts[3:] or ["main"])
print("\n".join(sorted(set(out))))
PY
  [[ -s $aptdir/sources.list ]] || { echo "no Debian $codename entries in /etc/apt" >&2; exit 1; }
}

fetched_index=0
fetch_source() {  # fetch_source PACKAGE -> sets $dir to the unpacked source tree
  local pkg=$1
  mkdir -p "$src"
  dir=$(find "$src" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -1)
  [[ -n $dir ]] && return 0
  if [[ $fetched_index -eq 0 ]]; then
    mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
    write_source_list
    log "apt-get update (private source index)"
    apt-get "${apt_opts[@]}" -qq update
    fetched_index=1
  fi
  log "apt-get source $pkg"
  (cd "$src" && apt-get "${apt_opts[@]}" -qq source "$pkg" > /dev/null)
  dir=$(find "$src" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -1)
  [[ -n $dir ]] || { echo "apt-get source $pkg unpacked nothing" >&2; exit 1; }
}

done_already() { [[ -f $prefix/.stamp-$1 ]]; }
mark_done() { touch "$prefix/.stamp-$1"; }

cmake_dep() {  # cmake_dep NAME SOURCE_DIR [cmake args...]
  local name=$1 dir=$2
  shift 2
  log "building $name"
  cmake -S "$dir" -B "$work/$name" -G "Unix Makefiles" --log-level=WARNING \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DROOFPROF_CROSS_PREFIX="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DBUILD_SHARED_LIBS=OFF "$@" > "$work/$name.log" 2>&1 ||
    { tail -30 "$work/$name.log"; exit 1; }
  cmake --build "$work/$name" -j "$jobs" >> "$work/$name.log" 2>&1 ||
    { tail -30 "$work/$name.log"; exit 1; }
  cmake --install "$work/$name" >> "$work/$name.log" 2>&1 || { tail -30 "$work/$name.log"; exit 1; }
}

mkdir -p "$work" "$prefix/lib" "$prefix/include"

# --- libpfm4 (PAPI's event tables; generic perf_event events only on riscv64) ----------------
if ! done_already libpfm4; then
  fetch_source libpfm4
  log "building libpfm4"
  arch=${triplet%%-*}
  make -C "$dir/lib" -j "$jobs" ARCH="$arch" CC="$triplet-gcc" CONFIG_PFMLIB_SHARED=n \
    CONFIG_PFMLIB_NOPYTHON=y DBG= > "$work/libpfm4.log" 2>&1 || { tail -30 "$work/libpfm4.log"; exit 1; }
  cp "$dir/lib/libpfm.a" "$prefix/lib/"
  mkdir -p "$prefix/include/perfmon"
  cp "$dir"/include/perfmon/*.h "$prefix/include/perfmon/"
  mark_done libpfm4
fi

# --- PAPI 7 with libsde (static) -----------------------------------------------------------
if ! done_already papi; then
  fetch_source papi
  if [[ ! -f $dir/.roofprof-patched ]]; then
    patch -d "$dir" -p1 < "$top/scripts/cross/papi-7.0.0-riscv64.patch" > /dev/null
    touch "$dir/.roofprof-patched"
  fi
  log "building papi"
  rm -rf "$work/papi" && cp -a "$dir" "$work/papi"
  (
    cd "$work/papi/src"
    # Cross builds cannot run configure's test programs: state what they would find.
    ./configure --host="$triplet" --prefix="$prefix" --with-ffsll --with-tls=__thread \
      --with-walltimer=gettimeofday --with-virtualtimer=times --with-nativecc=gcc \
      --with-CPU="${triplet%%-*}" --with-perf-events --with-pfm-incdir="$prefix/include" \
      --with-pfm-libdir="$prefix/lib" --with-components=sde --with-static-lib=yes \
      --with-shared-lib=no --with-static-tools CC="$triplet-gcc" CXX="$triplet-g++"
    make -j "$jobs" libpapi.a libsde
    make install-lib install-pkgconf
  ) > "$work/papi.log" 2>&1 || { tail -40 "$work/papi.log"; exit 1; }
  # libsde is built shared regardless of --with-shared-lib: keep the prefix static-only so
  # the emulated binaries need no library path into it.
  rm -f "$prefix"/lib/libsde.so*
  mark_done papi
fi

# --- hwloc (static, no I/O discovery plugins) ----------------------------------------------
if ! done_already hwloc; then
  fetch_source hwloc
  log "building hwloc"
  rm -rf "$work/hwloc" && mkdir -p "$work/hwloc"
  (
    cd "$work/hwloc"
    "$dir/configure" --host="$triplet" --prefix="$prefix" --enable-static --disable-shared \
      --disable-io --disable-libxml2 --disable-cairo --disable-libudev --disable-plugins \
      --disable-readme --disable-doxygen CC="$triplet-gcc"
    make -j "$jobs" -C hwloc install
    make -C include install
    mkdir -p "$prefix/lib/pkgconfig"
    cp hwloc.pc "$prefix/lib/pkgconfig/"
  ) > "$work/hwloc.log" 2>&1 || { tail -40 "$work/hwloc.log"; exit 1; }
  mark_done hwloc
fi

# --- Highway (library + contrib; tests and examples off) -----------------------------------
if ! done_already highway; then
  fetch_source highway
  cmake_dep highway "$dir" -DHWY_ENABLE_TESTS=OFF -DHWY_ENABLE_EXAMPLES=OFF \
    -DHWY_ENABLE_CONTRIB=ON -DHWY_ENABLE_INSTALL=ON -DHWY_WARNINGS_ARE_ERRORS=OFF
  mark_done highway
fi

# --- fmt -----------------------------------------------------------------------------------
if ! done_already fmt; then
  fetch_source fmtlib
  cmake_dep fmt "$dir" -DFMT_TEST=OFF -DFMT_DOC=OFF -DFMT_INSTALL=ON
  mark_done fmt
fi

# --- GoogleTest: Debian ships its source as the architecture-independent googletest package --
if ! done_already googletest; then
  [[ -d /usr/src/googletest ]] || { echo "missing /usr/src/googletest (package googletest)" >&2; exit 1; }
  cmake_dep googletest /usr/src/googletest -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON
  mark_done googletest
fi

# Static-only prefix: a library's private link dependencies (libpapi.a needs libpfm.a) are
# needed by every consumer, so fold Libs.private into Libs for pkg-config users.
for pc in "$prefix"/lib/pkgconfig/*.pc; do
  python3 - "$pc" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
priv = re.search(r"^Libs\.private:(.*)$", text, re.M)
if priv and priv.group(1).strip():
    text = re.sub(r"^Libs\.private:.*\n?", "", text, flags=re.M)
    text = re.sub(r"^(Libs:.*)$", lambda m: m.group(1).rstrip() + " " + priv.group(1).strip(),
                  text, count=1, flags=re.M)
    open(path, "w").write(text)
PY
done

log "libraries ready in $prefix"
