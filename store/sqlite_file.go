package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// prepareSQLiteFile creates a new database file readable by its owner only
// (0600), before SQLite opens it: the file holds names, e-mail addresses and
// password hashes, and SQLite gives its -wal and -shm files the mode of the
// database file, so all three stay private (issue 14, finding 11). An
// existing file is left as it is; its mode is returned so the caller can
// warn when others may read it.
func prepareSQLiteFile(path string) (fs.FileMode, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		// The process umask can only take bits away; say 0600 explicitly.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return 0, fmt.Errorf("store: create %s: %w", path, err)
		}
		return 0o600, f.Close()
	case errors.Is(err, fs.ErrExist):
		fi, err := os.Stat(path)
		if err != nil {
			return 0, fmt.Errorf("store: %s: %w", path, err)
		}
		return fi.Mode().Perm(), nil
	default:
		return 0, fmt.Errorf("store: create %s: %w", path, err)
	}
}

// PermissionWarning says, in one line, that the SQLite database file can
// be read or written by others than its owner; "" when it cannot, and on
// PostgreSQL. serve logs it at start.
func (s *Store) PermissionWarning() string {
	if s.fileMode&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("database file %s has mode %04o: others than its owner can read personal data; run chmod 600 on it and its -wal and -shm files", s.Redacted(), s.fileMode)
}
