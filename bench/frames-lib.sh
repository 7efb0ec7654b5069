# Shared by frames-host.sh (L1) and frames-guest.sh (L2), sourced after
# tests/vm/lib.sh: what a side of tools/bench counts, and how.
#
# Each side's processes run in a cgroup of their own (cgroup v2): its
# cpu.stat counts the whole process tree, children included (waypipe's
# per-connection processes). Kernel threads that work for a side are
# charged to it by their schedstat run time. Syscalls come from a
# histogram trigger on raw_syscalls:sys_enter keyed by thread, context
# switches from each thread's status.

TRACING=/sys/kernel/tracing
SYSCALL_EVENT=$TRACING/events/raw_syscalls/sys_enter

# bench_cgroup NAME: makes cgroup NAME (cgroup2 mounted if it is not) and
# prints its directory.
bench_cgroup() {
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup ||
		fail "no cgroup2"
	mkdir -p "/sys/fs/cgroup/$1" || fail "no cgroup $1"
	echo "/sys/fs/cgroup/$1"
}

# in_cgroup DIR CMD...: runs CMD in cgroup DIR (exec: $! of "in_cgroup ... &"
# is not CMD's pid in every shell, "$IN_CGROUP DIR CMD &" is).
IN_CGROUP=${0%/*}/frames-cgroup-exec

# Counts every thread's syscalls from now on (a fresh histogram).
syscall_hist_start() {
	mountpoint -q "$TRACING" || mount -t tracefs nodev "$TRACING"
	echo '!hist:keys=common_pid:vals=hitcount:size=16384' >"$SYSCALL_EVENT/trigger" 2>/dev/null
	echo 'hist:keys=common_pid:vals=hitcount:size=16384' >"$SYSCALL_EVENT/trigger" ||
		fail "no raw_syscalls histogram"
}

# hist_sums KVM_EVENTS TID...: vm_exits=, exit.REASON= (kvm_exit's code)
# and injected_interrupts=, the hits of the kvm_exit and kvm_inj_virq
# histograms (keyed by common_pid, kvm_exit's also by exit_reason) summed
# over threads TID.
hist_sums() {
	_dir=$1
	shift
	awk -v tids="$*" -v dir="$_dir" 'BEGIN {
		n = split(tids, t, " ")
		for (i = 1; i <= n; i++)
			want[t[i]] = 1
		split("kvm_exit vm_exits kvm_inj_virq injected_interrupts", ev, " ")
		for (e = 1; e < 4; e += 2) {
			sum = 0
			path = dir "/" ev[e] "/hist"
			while ((getline line <path) > 0) {
				if (index(line, "{ common_pid:") != 1)
					continue
				gsub(/[{},]/, " ", line)
				k = split(line, a, " ")
				if (!(a[2] in want))
					continue
				sum += a[k]
				if (a[3] == "exit_reason:")
					reason[a[4]] += a[k]
			}
			close(path)
			print ev[e + 1] "=" sum
		}
		for (r in reason)
			print "exit." r "=" reason[r]
	}'
}

# counters CGROUP_DIR [KTHREAD_TID...]: key=value lines: the cgroup's CPU
# (cpu_us), each kernel thread's run time (kt.TID, ns), and per process
# name of the cgroup its threads' syscalls (syscalls.NAME), context
# switches (ctxt.NAME, voluntary and not) and bytes read and written
# through system calls (rchar.NAME, wchar.NAME: /proc/PID/io). KTHREAD_TID "all": every kernel
# thread (kthreadd's children). One awk reads it all: under TCG, and in L2
# nested in it, every process started costs.
counters() {
	_cg=$1
	shift
	awk -v cg="$_cg" -v kts="$*" -v hist="$SYSCALL_EVENT/hist" '
	function first(path,   line) {
		line = ""
		getline line <path
		close(path)
		return line
	}
	BEGIN {
		while ((getline line <(cg "/cpu.stat")) > 0)
			if (split(line, a, " ") == 2 && a[1] == "usage_usec")
				print "cpu_us=" a[2]
		if (kts == "all")
			kts = "2 " first("/proc/2/task/2/children")
		n = split(kts, kt, " ")
		for (i = 1; i <= n; i++)
			if (split(first("/proc/" kt[i] "/schedstat"), a, " ") >= 1)
				print "kt." kt[i] "=" a[1]
		while ((getline line <hist) > 0)
			if (index(line, "{ common_pid:") == 1) {
				gsub(/[{}]/, "", line)
				split(line, a, " ")
				sc[a[2]] = a[4]
			}
		while ((getline tid <(cg "/cgroup.threads")) > 0) {
			tgid = ""
			sw = 0
			path = "/proc/" tid "/status"
			while ((getline line <path) > 0) {
				split(line, a, /[ \t]+/)
				if (a[1] == "Tgid:")
					tgid = a[2]
				else if (a[1] ~ /ctxt_switches:$/)
					sw += a[2]
			}
			close(path)
			if (tgid == "")
				continue
			if (!(tgid in name)) {
				name[tgid] = first("/proc/" tgid "/comm")
				gsub(/[^A-Za-z0-9_.-]/, "_", name[tgid])
				path = "/proc/" tgid "/io"
				while ((getline line <path) > 0) {
					split(line, a, /[: \t]+/)
					if (a[1] == "rchar" || a[1] == "wchar")
						io[a[1] "." name[tgid]] += a[2]
				}
				close(path)
			}
			ctxt[name[tgid]] += sw
			sys[name[tgid]] += sc[tid]
		}
		for (c in ctxt)
			printf "ctxt.%s=%d\nsyscalls.%s=%d\n", c, ctxt[c], c, sys[c]
		for (c in io)
			printf "%s=%d\n", c, io[c]
	}'
}
