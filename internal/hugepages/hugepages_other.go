//go:build !linux

package hugepages

// Available is false: transparent huge pages are Linux's.
func Available() bool { return false }

func advise(bool) error { return nil }
