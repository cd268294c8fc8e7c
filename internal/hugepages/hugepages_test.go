package hugepages

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"testing"
	"unsafe"
)

func TestHeapMappingTakesOnlyAnonymousWritableMemoryInTheWindow(t *testing.T) {
	low := uintptr(0x3f1000000000)
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{"3f173b800000-3f173c800000 rw-p 00000000 00:00 0", true},
		{"3f173c800000-3f1740000000 ---p 00000000 00:00 0", false},             // reserved, not mapped
		{"3f173b800000-3f173c800000 r--p 00000000 00:00 0", false},             // not writable
		{"3f173b800000-3f173c800000 rw-s 00000000 00:01 12 /dev/zero", false},  // shared, a file
		{"01cd6000-01dc7000 rw-p 00cd5000 fe:01 4242 /usr/bin/steward", false}, // the binary's data
		{"7fec7c000000-7fec7c021000 rw-p 00000000 00:00 0", false},             // outside the window
		{"3f0fffff0000-3f1000010000 rw-p 00000000 00:00 0", false},             // starts below it
		{"3f173b800000-3f173c800000 rw-p 00000000 00:00 0 [anon:go]", false},   // named
		{"not-a-mapping rw-p 00000000 00:00 0", false},
	} {
		lo, hi, ok := heapMapping([]byte(c.line), low)
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.line, ok, c.ok)
		}
		if ok && (lo != 0x3f173b800000 || hi != 0x3f173c800000) {
			t.Errorf("%q: %x-%x", c.line, lo, hi)
		}
	}
}

// TestAdviceGivesTheHeapHugePages maps fresh heap memory, advises the
// heap, touches the memory and reads /proc/self/smaps: the mapping
// holding it is backed by huge pages. (Whether memory is in huge pages
// without the advice depends on what the process touched before, so
// only the advice's effect is checked.)
func TestAdviceGivesTheHeapHugePages(t *testing.T) {
	if !Available() {
		t.Skip("this system does not leave transparent huge pages to programs (not Linux with THP 'madvise')")
	}
	// Larger than what the heap has free, so it is mapped afresh and not
	// touched until the loop below.
	b := make([]byte, 64<<20)
	if err := (Heap{}).Advise(true); err != nil {
		t.Fatal(err)
	}
	defer (Heap{}).Advise(false)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	if kb := anonHugeKB(t, uintptr(unsafe.Pointer(&b[0]))); kb < 2048 {
		t.Errorf("advised: %d kB of the mapping in huge pages, want at least one huge page", kb)
	}
	runtime.KeepAlive(b)
}

// anonHugeKB returns the AnonHugePages of the mapping holding addr.
func anonHugeKB(t *testing.T, addr uintptr) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Bytes()
		if a, b, ok := bytes.Cut(bytes.Fields(line)[0], []byte("-")); ok && len(bytes.Fields(line)) >= 5 {
			lo, err1 := strconv.ParseUint(string(a), 16, 64)
			hi, err2 := strconv.ParseUint(string(b), 16, 64)
			if err1 == nil && err2 == nil {
				in = uintptr(lo) <= addr && addr < uintptr(hi)
				continue
			}
		}
		if in && bytes.HasPrefix(line, []byte("AnonHugePages:")) {
			kb, _ := strconv.Atoi(string(bytes.Fields(line)[1]))
			return kb
		}
	}
	t.Fatalf("no mapping holds %x", addr)
	return 0
}
