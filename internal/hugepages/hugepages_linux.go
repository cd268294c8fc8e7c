package hugepages

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"unsafe"
)

// Available reports whether transparent huge pages are left to each
// program to ask for ("madvise" in
// /sys/kernel/mm/transparent_hugepage/enabled). With "always" the heap
// has them already; with "never" nothing can give them.
func Available() bool {
	thpOnce.Do(func() {
		b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
		thpMadvise = err == nil && bytes.Contains(b, []byte("[madvise]"))
	})
	return thpMadvise
}

var (
	thpOnce    sync.Once
	thpMadvise bool
)

// heapWindow is the size and alignment of the address range taken to be
// the heap's: the runtime reserves its 64 MiB heap arenas upwards from
// one (randomised) hint, while the other memory the process maps (thread
// stacks, the runtime's own metadata, C libraries) lies far from it.
const heapWindow = 1 << 36

var (
	windowOnce sync.Once
	windowLow  uintptr
)

// window returns the start of the heap's window, found from the address
// of an allocation too large to be made on a stack.
func window() uintptr {
	windowOnce.Do(func() {
		p := make([]byte, 1<<17)
		windowLow = uintptr(unsafe.Pointer(&p[0])) &^ (heapWindow - 1)
		runtime.KeepAlive(p)
	})
	return windowLow
}

func advise(huge bool) error {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return fmt.Errorf("hugepages: %w", err)
	}
	defer f.Close()
	how := syscall.MADV_NOHUGEPAGE
	if huge {
		how = syscall.MADV_HUGEPAGE
	}
	low := window()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lo, hi, ok := heapMapping(sc.Bytes(), low)
		if !ok {
			continue
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, uintptr(how)); e != 0 {
			return fmt.Errorf("hugepages: madvise %x-%x: %w", lo, hi, e)
		}
	}
	return sc.Err()
}

// heapMapping reads one line of /proc/self/maps ("lo-hi perms offset dev
// inode [path]") and reports whether it is anonymous, private, readable
// and writable memory inside the heap's window.
func heapMapping(line []byte, low uintptr) (lo, hi uintptr, ok bool) {
	fs := bytes.Fields(line)
	if len(fs) != 5 || string(fs[1]) != "rw-p" || string(fs[4]) != "0" {
		return 0, 0, false
	}
	a, b, found := bytes.Cut(fs[0], []byte("-"))
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(string(a), 16, 64)
	h, err2 := strconv.ParseUint(string(b), 16, 64)
	if err1 != nil || err2 != nil || uintptr(l) < low || uintptr(h) > low+heapWindow {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
