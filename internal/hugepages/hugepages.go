// Package hugepages asks the kernel to back the Go heap with transparent
// huge pages, where the system leaves that to each program.
//
// Why (issue 15): every password hash allocates 19 MiB afresh
// (x/crypto/argon2 takes no buffer) and reads it at random. In 4 KiB
// pages, memory fresh from the system faults twice per page (argon2
// reads each block before writing it: the shared zero page first, then
// a copy that flushes the TLB on every core), and each hash walks some
// five thousand pages, more than the TLB holds. In 2 MiB pages it is a
// few dozen of each. The Go runtime advises no huge pages for its heap
// (since Go 1.21.1), and no setting asks it to, so this package does it
// from outside: it finds the heap's mappings in /proc/self/maps and
// advises them with madvise.
package hugepages

// Heap advises the Go heap's memory. Its zero value is ready to use.
type Heap struct{}

// Advise asks for huge pages on every mapping of the heap (huge true),
// or for none (huge false), so that the kernel's khugepaged does not
// gather memory the runtime has given back into huge pages again. It
// does nothing where the system does not leave the choice to the program
// (Available false).
func (Heap) Advise(huge bool) error {
	if !Available() {
		return nil
	}
	return advise(huge)
}
