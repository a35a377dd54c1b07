#!/usr/bin/env bash
# run.sh - build every parser column, check they extract identical fields,
# time them side by side and print one table of medians.
#
# usage: ./run.sh [-r REPS] [-t SECONDS] [-c CPU] [-n CG_PASSES] [-W SECS]
#                 [-C] [-p] [COLUMN...]
#   -r REPS       timing rounds, every column once per round (default 3); the
#                 table shows the median over the clean rounds and the
#                 min..max spread of the wall figure
#   -t SECONDS    target length of one timed run (default 2)
#   -c CPU        CPU to pin every run to with taskset (default: the last
#                 one); -c none disables pinning
#   -n CG_PASSES  passes over the corpus under callgrind (default 50)
#   -W SECS       before each timed run, wait up to SECS (default 120) for
#                 the machine to be quiet (other processes < 5% of the CPUs
#                 over 0.5 s); 0 disables the wait
#   -C            skip callgrind (instruction counts)
#   -p            also print a per-message ns/msg matrix (each message timed
#                 in its own loop; optimistic: the branch predictor learns it)
#   COLUMN...     columns to run (default: every column of the Makefile)
#
# Output goes to the terminal and to results/<timestamp>/ (raw RESULT, ALLOC,
# PERMSG lines, verification dumps, callgrind profiles and the table).
set -euo pipefail
cd "$(dirname "$0")"

REPS=3 SECS=2 CPU=auto CGN=50 DO_CG=1 DO_PER=0 QUIET_WAIT=120
while getopts "r:t:c:n:W:Cph" o; do
	case $o in
	r) REPS=$OPTARG ;;
	t) SECS=$OPTARG ;;
	c) CPU=$OPTARG ;;
	n) CGN=$OPTARG ;;
	W) QUIET_WAIT=$OPTARG ;;
	C) DO_CG=0 ;;
	p) DO_PER=1 ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

./deps.sh
make -s all
if [ $# -gt 0 ]; then COLS="$*"; else COLS=$(make -s columns); fi

OUT=${OUT:-results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
NMSG=$(ls corpus/*.sip | wc -l)
NBYTES=$(cat corpus/*.sip | wc -c)

PIN=()
if [ "$CPU" = auto ]; then CPU=$(( $(nproc) - 1 )); fi
if [ "$CPU" != none ] && command -v taskset >/dev/null &&
	taskset -c "$CPU" true 2>/dev/null; then
	PIN=(taskset -c "$CPU")
fi

# Share of the machine other processes used over ${1:-1} second(s) (this
# benchmark measures one core; anything else running makes wall-clock
# figures noisy).
busy_pct() {
	local a b
	a=($(head -1 /proc/stat)); sleep "${1:-1}"; b=($(head -1 /proc/stat))
	local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) tot=0 i
	for i in 1 2 3 4 5 6 7 8; do tot=$(( tot + b[i] - a[i] )); done
	echo $(( tot > 0 ? 100 * (tot - idle) / tot : 0 ))
}

# Wait (at most QUIET_WAIT s) until other processes use < 5% of the CPUs.
wait_quiet() {
	local waited=0 b
	[ "$QUIET_WAIT" -gt 0 ] || return 0
	while b=$(busy_pct 0.5); [ "$b" -ge 5 ]; do
		if [ "$waited" -ge "$QUIET_WAIT" ]; then
			echo "  (machine still ${b}% busy after ${waited}s; running anyway)" >&2
			return 0
		fi
		[ "$waited" -eq 0 ] && echo "  (machine ${b}% busy, waiting for quiet...)" >&2
		sleep 2; waited=$((waited + 2))
	done
}

{
	echo "# sipbench run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host    : $(uname -srm), $(nproc) CPUs," \
		"$(lscpu | sed -n 's/^Model name:[ ]*//p' | head -1)"
	echo "os      : $(. /etc/os-release; echo "$PRETTY_NAME") (debian_version $(cat /etc/debian_version))"
	echo "compiler: $(${CC:-cc} --version | head -1), CFLAGS -O2 -g"
	for p in libre-dev libosip2-dev libsofia-sip-ua-dev valgrind; do
		echo "package : $p $(dpkg-query -W -f='${Version}' $p 2>/dev/null || echo absent)"
	done
	echo "corpus  : $NMSG messages, $NBYTES bytes"
	echo "pinning : ${PIN[*]:-none}"
	echo "busy    : $(busy_pct)% of all CPUs used by other processes (1 s sample before the runs)"
} | tee "$OUT/env.txt"

# Library version of each column, for the summary lines.
for c in $COLS; do
	case $c in
	re | re_norand) v=$(dpkg-query -W -f='${Version}' libre-dev 2>/dev/null) ;;
	osip) v=$(dpkg-query -W -f='${Version}' libosip2-dev 2>/dev/null) ;;
	sofia) v=$(dpkg-query -W -f='${Version}' libsofia-sip-ua-dev 2>/dev/null) ;;
	sipward) v=$(git -C ../.. rev-parse --short HEAD 2>/dev/null) ;;
	*) v= ;;
	esac
	echo "$c ${v:-NA}"
done >"$OUT/versions.txt"

# ---- 1. the columns must agree on every extracted field ------------------
echo
# expected_fields.txt is the -V output all three libraries agree on;
# without it the first column is the reference.
echo "== verification (fields extracted by each column, diffed)"
REF=
if [ -f expected_fields.txt ]; then
	REF=expected_fields.txt
	echo "  reference: $REF"
fi
for c in $COLS; do
	[ "$c" = null ] && continue
	./bin/parse_"$c" -V | tail -n +2 > "$OUT/verify_$c.txt"
	if [ -z "$REF" ]; then
		REF=$OUT/verify_$c.txt
		echo "  $c: reference"
	elif diff -q "$REF" "$OUT/verify_$c.txt" >/dev/null; then
		echo "  $c: identical"
	else
		echo "  $c: DIFFERS from $REF (first lines of the diff below)"
		diff "$REF" "$OUT/verify_$c.txt" | head -20 || true
	fi
done

# ---- 2. timing: REPS rounds, every column once per round ------------------
echo
echo "== timing: $REPS rounds x ${SECS}s per column, ${PIN[*]:-unpinned}"
: > "$OUT/timing.txt"
for r in $(seq 1 "$REPS"); do
	for c in $COLS; do
		wait_quiet
		line=$("${PIN[@]}" ./bin/parse_"$c" -t "$SECS" -q | grep '^RESULT')
		echo "$line rep=$r" | tee -a "$OUT/timing.txt"
	done
done

# ---- 3. allocations per message --------------------------------------------
: > "$OUT/alloc.txt"
for c in $COLS; do
	./bin/parse_"$c"_alloc -A >> "$OUT/alloc.txt"
done

# ---- 4. instructions per message (callgrind) -------------------------------
: > "$OUT/callgrind.txt"
if [ "$DO_CG" = 1 ] && command -v valgrind >/dev/null; then
	echo
	echo "== callgrind: $CGN passes x $NMSG messages per column"
	for c in $COLS; do
		valgrind --tool=callgrind --collect-atstart=no \
			--toggle-collect=sb_measured_passes \
			--callgrind-out-file="$OUT/cg_$c.out" \
			./bin/parse_"$c" -n "$CGN" -w 2 -q > /dev/null 2> "$OUT/cg_$c.log"
		ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/cg_$c.log")
		echo "CG name=$c ir=$ir parses=$((CGN * NMSG))" | tee -a "$OUT/callgrind.txt"
		callgrind_annotate --inclusive=yes "$OUT/cg_$c.out" 2>/dev/null |
			sed -n '/^Ir /,$p' | head -40 > "$OUT/cg_$c.top.txt" || true
		rm -f "$OUT/cg_$c.out"
	done
fi

# ---- 5. optional per-message matrix ----------------------------------------
if [ "$DO_PER" = 1 ]; then
	: > "$OUT/permsg.txt"
	for c in $COLS; do
		wait_quiet
		"${PIN[@]}" ./bin/parse_"$c" -t "$SECS" -p -q | grep '^PERMSG' >> "$OUT/permsg.txt"
	done
fi

# ---- 6. the table ------------------------------------------------------------
awk -v nbytes="$NBYTES" -v nmsg="$NMSG" -v cols="$COLS" -v summary_file="$OUT/summary.txt" '
function kv(line, key,   i, n, a, b) {
	n = split(line, a, " ")
	for (i = 1; i <= n; i++) { split(a[i], b, "="); if (b[1] == key) return b[2] }
	return ""
}
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function minmax(list,   n, a, i, lo, hi) {
	n = split(list, a, " "); lo = hi = a[1]
	for (i = 2; i <= n; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
	return sprintf("%.0f..%.0f", lo, hi)
}
FILENAME ~ /timing/ && /^RESULT/ {
	c = kv($0, "name"); ns = kv($0, "ns_per_msg")
	cpu = kv($0, "cpu_s") / kv($0, "wall_s") * ns
	wall[c] = wall[c] " " ns; cpuns[c] = cpuns[c] " " cpu; nall[c]++
	if (kv($0, "cpu_s") / kv($0, "wall_s") >= 0.97) { clean[c] = clean[c] " " ns; nclean[c]++ }
}
FILENAME ~ /versions/ { ver[$1] = $2 }
FILENAME ~ /alloc/ && /^ALLOC/ {
	c = kv($0, "name"); al[c] = kv($0, "allocs_per_msg"); ab[c] = kv($0, "bytes_per_msg")
}
FILENAME ~ /callgrind/ && /^CG/ {
	c = kv($0, "name"); if (kv($0, "ir") != "") ir[c] = kv($0, "ir") / kv($0, "parses")
}
END {
	printf "\n%-10s %9s %11s %8s %9s %13s %5s %9s %7s %8s %9s\n", "column", "ns/msg", "msgs/s", "MB/s",
		"cpu ns", "wall min..max", "clean", "Ir/msg", "Ir/B", "allocs", "alloc B"
	n = split(cols, cl, " ")
	for (k = 1; k <= n; k++) {
		c = cl[k]; if (!(c in wall)) continue
		m = nclean[c] ? median(clean[c]) : median(wall[c])
		printf "%-10s %9.0f %11.0f %8.1f %9.0f %13s %5s %9s %7s %8s %9s\n", c, m, 1e9 / m,
			nbytes / nmsg / m * 1e3, median(cpuns[c]), minmax(wall[c]),
			sprintf("%d/%d", nclean[c], nall[c]),
			(c in ir) ? sprintf("%.0f", ir[c]) : "-",
			(c in ir) ? sprintf("%.1f", ir[c] * nmsg / nbytes) : "-",
			(c in al) ? al[c] : "-", (c in ab) ? sprintf("%.0f", ab[c]) : "-"
		summary = summary sprintf("PARSER name=%s wall_ns=%.0f cpu_ns=%.0f ir_per_msg=%s allocs_per_msg=%s alloc_bytes_per_msg=%s version=%s\n",
			c, m, median(cpuns[c]), (c in ir) ? sprintf("%.0f", ir[c]) : "NA",
			(c in al) ? al[c] : "NA", (c in ab) ? sprintf("%.0f", ab[c]) : "NA",
			(c in ver) ? ver[c] : "NA")
	}
	printf "\nns/msg, msgs/s, MB/s: median wall clock of the mix over the clean rounds (all rounds if none is clean);\n"
	printf "clean: rounds whose CPU time was >= 97%% of their wall time (not descheduled by other load);\n"
	printf "cpu ns: median over all rounds of the process CPU time per message; wall min..max: all rounds;\n"
	printf "Ir/msg: instructions per message under callgrind (incl. the harness, see column null);"
	printf " Ir/B: per input byte;\nallocs, alloc B: malloc/calloc/realloc calls and bytes requested per message.\n"
	# one machine-readable line per column (bench/all.sh reads them)
	printf "\n%s", summary
	printf "%s", summary > summary_file
}' "$OUT/versions.txt" "$OUT/timing.txt" "$OUT/alloc.txt" "$OUT/callgrind.txt" | tee "$OUT/table.txt"

if [ "$DO_PER" = 1 ]; then
	awk -v cols="$COLS" '
	function kv(line, key,   i, n, a, b) {
		n = split(line, a, " ")
		for (i = 1; i <= n; i++) { split(a[i], b, "="); if (b[1] == key) return b[2] }
		return ""
	}
	/^PERMSG/ { m = kv($0, "msg"); c = kv($0, "name"); v[m, c] = kv($0, "ns_per_msg")
		if (!(m in seen)) { seen[m] = 1; order[++nm] = m; sz[m] = kv($0, "bytes") } }
	END {
		n = split(cols, cl, " ")
		printf "\nper message, ns/msg (each message in its own loop)\n%-30s %6s", "message", "bytes"
		for (k = 1; k <= n; k++) printf " %10s", cl[k]
		printf "\n"
		for (i = 1; i <= nm; i++) {
			printf "%-30s %6s", order[i], sz[order[i]]
			for (k = 1; k <= n; k++) printf " %10.0f", v[order[i], cl[k]]
			printf "\n"
		}
	}' "$OUT/permsg.txt" | tee "$OUT/permsg_table.txt"
fi

echo
echo "busy after: $(busy_pct)% of all CPUs used by other processes" | tee -a "$OUT/env.txt"
echo "raw results: $OUT/"
