package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"steward"
)

// Size limits of the files commands read: far above any real one (the
// policies are ~40 KB), far below what would hurt the machine.
const (
	maxPolicyFile = 4 << 20
	maxInputFile  = 16 << 20
)

// readInputFile reads a file named on the command line: only a regular
// file, and only up to limit bytes. /dev/zero would otherwise fill memory
// and a FIFO would block the command where no signal reaches it (issue 14,
// finding 9). The open does not block on a FIFO (O_NONBLOCK), so the check
// after it cannot be raced by swapping the file for one.
//
// label names the file in messages, e.g. "policy ivm.yaml" or
// "--checkpoint @cp.txt".
func readInputFile(label, path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, steward.Errorf(steward.ENOTFOUND, "error.file_does_not_exist", "label", label)
	}
	if err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.input_problem", "label", label, "err", errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, steward.Errorf(steward.EINVALID, "error.input_problem", "label", label, "err", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, steward.Errorf(steward.EINVALID, "error.not_regular_file", "label", label)
	}
	if fi.Size() > limit {
		return nil, steward.Errorf(steward.EINVALID, "error.bytes_more_than_command", "label", label, "size", fi.Size(), "limit", limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", label, err)
	}
	if int64(len(data)) > limit {
		return nil, steward.Errorf(steward.EINVALID, "error.grew_past_bytes_command", "label", label, "limit", limit)
	}
	return data, nil
}
