#!/usr/bin/env bash
# Portability guard: architecture-specific code only in per-architecture files (src/arch/),
# operating-system-specific calls only in src/platform_linux.cc (behind src/platform.h).
# Everything else must build for x86, Arm (NEON/SVE) and RISC-V through Highway and standard
# C++. Prints each offending line with the rule it breaks; exits 1 if there is any.
#
# Usage: scripts/check-portability.sh [DIR...]      (default: src probes kernels tests)
#
# Linux-specific code is allowed in src/platform_linux.cc and other src/**/<name>_linux.cc
# files that a portable interface selects per OS. Allowed anywhere: an empty asm statement used as a compiler barrier, e.g.
# __asm__ volatile("" : "+r"(x)) or __asm__ __volatile__("" ::: "memory"): it emits no
# instruction on any architecture. Comments are ignored.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dirs=("$@")
[[ ${#dirs[@]} -gt 0 ]] || dirs=(src probes kernels tests)

mapfile -t files < <(find "${dirs[@]}" -type f \
  \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' -o -name '*.c' \) | sort)
[[ ${#files[@]} -gt 0 ]] || { echo "check-portability: no sources under ${dirs[*]}" >&2; exit 2; }

# Each rule: name, Perl regex, and the files allowed to match it (regex on the path).
exec perl -e '
use strict;
use warnings;
# Linux implementation files: src/platform_linux.cc, or another src/**/<name>_linux.cc that a
# portable interface selects per operating system.
my $linux_files = qr{^src/(.*/)?[a-z0-9_]+_linux\.cc$};
# The fourth field says what a rule looks at: "strings" = code with string literals, "code" =
# code with string literals emptied (so messages that name a call are not calls).
my @rules = (
  ["x86 intrinsics header",
   qr/#\s*include\s*[<"](x86|imm|xmm|emm|pmm|tmm|smm|nmm|wmm|amm|zmm|ia32|x86gpr)intrin\.h/,
   qr{^src/arch/cpu_x86}, "strings"],
  ["x86 cpuid header or builtin",
   qr/#\s*include\s*[<"]cpuid\.h|\b__(get_)?cpuid(_count)?\s*\(/, qr{^src/arch/cpu_x86}, "strings"],
  ["x86 vector type", qr/\b__m(64|128|256|512)[a-z]*\b/, qr{^src/arch/cpu_x86}, "code"],
  ["x86 intrinsic call", qr/\b_mm(256|512)?_[a-z0-9_]+\s*\(|\b__builtin_ia32_|\b_?_rdtscp?\s*\(/,
   qr{^src/arch/cpu_x86}, "code"],
  ["Arm intrinsics header", qr/#\s*include\s*[<"]arm_(neon|sve|acle|fp16|bf16)\.h/,
   qr{^src/arch/cpu_arm}, "strings"],
  ["RISC-V intrinsics header", qr/#\s*include\s*[<"]riscv_vector\.h/, qr{^src/arch/cpu_riscv}, "strings"],
  ["target attribute or pragma (use Highway targets)",
   qr/__attribute__\s*\(\(\s*(__)?target(_clones)?(__)?\s*\(|#\s*pragma\s+GCC\s+target/,
   qr{^src/arch/}, "code"],
  ["Linux-only call (put it behind src/platform.h)",
   qr{\b(sched_(set|get)affinity|pthread_(set|get)affinity_np|CPU_(SET|ZERO|ISSET)|cpu_set_t|perf_event_open|getauxval|madvise|MADV_[A-Z]+|syscall)\b|#\s*include\s*<(sched\.h|sys/(mman|auxv|syscall|sysinfo)\.h|linux/[a-z_/]+\.h)>},
   $linux_files, "code"],
  ["Linux /proc or /sys path (put it behind src/platform.h)", qr{"/(proc|sys)/}, $linux_files,
   "strings"],
);
# Inline asm with instructions: an asm statement whose first string is not empty.
my $asm = qr/\b(__asm__|__asm|asm)\b(\s+(__volatile__|volatile|goto|inline))*\s*\(/;
my $empty_asm = qr/\b(__asm__|__asm|asm)\b(\s+(__volatile__|volatile))*\s*\(\s*""/;
my $bad = 0;
for my $f (@ARGV) {
  open(my $fh, "<", $f) or die "$f: $!";
  local $/;
  my $code = <$fh>;
  # Blank out comments, keeping line numbers; string literals are left alone.
  $code =~ s{/\*.*?\*/}{ (my $c = $&) =~ s/[^\n]//g; $c }gse;
  $code =~ s{//[^\n]*}{}g;
  my @lines = split /\n/, $code, -1;
  my $n = 0;
  for my $line (@lines) {
    $n++;
    (my $bare = $line) =~ s/\x27(?:\\.|[^\x27\\])*\x27/\x27\x27/g;
    $bare =~ s/"(?:\\.|[^"\\])*"/""/g;
    my @why;
    for my $r (@rules) {
      my $text = $r->[3] eq "code" ? $bare : $line;
      push @why, $r->[0] if $text =~ $r->[1] && $f !~ $r->[2];
    }
    push @why, "inline assembly with instructions (only in src/arch/)"
      if $line =~ $asm && $line !~ $empty_asm && $f !~ m{^src/arch/};
    for my $w (@why) {
      (my $t = $line) =~ s/^\s+//;
      print "$f:$n: $w\n    $t\n";
      $bad = 1;
    }
  }
}
if (!$bad) {
  print "check-portability: " . scalar(@ARGV) . " files: no architecture- or OS-specific " .
        "code outside src/arch/ and src/**/*_linux.cc\n";
}
exit $bad;
' -- "${files[@]}"
