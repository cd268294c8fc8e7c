package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"steward"
	"steward/account"
	"steward/policy"
	"steward/store"
)

// defaultKeyFile is where 'serve' keeps the data key on a fresh checkout
// (gitignored: *.key).
const defaultKeyFile = "./steward-data.key"

// keyFileFlag adds --key-file (env STEWARD_KEY_FILE) to a command.
func (a *app) keyFileFlag(fs *flag.FlagSet) *string {
	return fs.String("key-file", a.env("STEWARD_KEY_FILE", defaultKeyFile),
		"file holding the data key that encrypts sensitive fields such as the BIG number (env STEWARD_KEY_FILE; STEWARD_DATA_KEY gives the key itself); created 0600 on the first start with a new database, which remembers the key's id and refuses any other key")
}

func runKeygen(ctx context.Context, a *app, args []string) error {
	fs := a.flags("keygen", "[--out FILE]", "Writes a new random 256-bit data key (hex) to FILE with mode 0600. It refuses to\noverwrite an existing file: a lost or replaced key makes every encrypted value\nunreadable. Keep a copy of the key apart from database backups. A new key is for\na new database: one that has sealed values with another key refuses to serve\nwith it (restore that key from its backup instead).")
	out := fs.String("out", defaultKeyFile, "where to write the key")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := writeKeyFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote a new data key to %s (mode 0600); use it with --key-file %s or STEWARD_KEY_FILE\n", *out, *out)
	return nil
}

func writeKeyFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return steward.Errorf(steward.ECONFLICT, "error.exists_refusing_overwrite_data", "path", path)
	}
	if err != nil {
		return steward.Errorf(steward.EINVALID, "error.cannot_create_key_file", "path", path, "err", err)
	}
	if _, err := f.WriteString(account.NewKey() + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return f.Close()
}

// dataKey is the data key that seals sensitive fields (R3), read before
// the database is opened and checked against it by bind.
type dataKey struct {
	key []byte // nil while the key file does not exist yet
	// file is the key file; "" when the key came from STEWARD_DATA_KEY.
	file string
}

// source names where the key comes from, for messages.
func (k *dataKey) source() string {
	if k.file == "" {
		return "STEWARD_DATA_KEY"
	}
	return k.file
}

// loadDataKey reads the data key from STEWARD_DATA_KEY (hex or base64) if
// set, else from the key file; a key file that does not exist yet is left
// to bind, which creates it only for a database that has no key yet. It
// returns nil for a policy without sensitive fields and no key
// configured; with a sensitive field and no key (an empty --key-file and
// no STEWARD_DATA_KEY) the policy is refused: there is never a plaintext
// fallback (R3). Nothing is written here.
func loadDataKey(a *app, p *policy.Policy, keyFile string) (*dataKey, error) {
	switch env := a.getenv("STEWARD_DATA_KEY"); {
	case env != "":
		k, err := account.ParseKey(env)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.steward_data_key", "err", err)
		}
		return &dataKey{key: k}, nil
	case keyFile != "":
		data, err := os.ReadFile(keyFile)
		if errors.Is(err, fs.ErrNotExist) {
			return &dataKey{file: keyFile}, nil
		}
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.cannot_read_data_key", "key_file", keyFile, "err", err)
		}
		k, err := account.ParseKey(string(data))
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.data_key_file", "key_file", keyFile, "err", err)
		}
		return &dataKey{key: k, file: keyFile}, nil
	}
	if f := account.SensitiveField(p); f != "" {
		return nil, steward.Errorf(steward.EINVALID, "error.policy_declares_sensitive_field", "f", f)
	}
	return nil, nil
}

// dataKeyID names a data key without revealing it: the first 16 hex
// digits of an HMAC-SHA256 keyed with it. The database records it
// (store.ClaimDataKey), never the key.
func dataKeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("steward data key id"))
	return "dk_" + hex.EncodeToString(m.Sum(nil)[:8])
}

// bind checks the data key against the database and returns its sealer.
// A database remembers the id of the first key used with it; a start with
// another key, or without the key file, is refused with one line saying
// which key the database needs — a fresh key (the easy mistake after a
// lost key file or a start in another directory) would let the server
// start and fail later at every page that shows a sealed value. Only for a
// database with no key yet is a missing key file created (0600, with a log
// line saying so), so a fresh checkout serves at once.
func (k *dataKey) bind(ctx context.Context, s *store.Store, now time.Time, log *slog.Logger) (*account.Sealer, error) {
	if k == nil {
		return nil, nil
	}
	recorded, err := s.DataKeyID(ctx)
	if err != nil {
		return nil, err
	}
	created := false
	if k.key == nil {
		if recorded != "" {
			return nil, steward.Errorf(steward.EINVALID, "error.data_key_file_missing_recorded", "file", k.file, "recorded", recorded)
		}
		sealed, err := s.HasSealedValues(ctx)
		if err != nil {
			return nil, err
		}
		if sealed {
			return nil, steward.Errorf(steward.EINVALID, "error.data_key_file_missing_sealed", "file", k.file)
		}
		if err := writeKeyFile(k.file); err != nil {
			return nil, err
		}
		created = true
		data, err := os.ReadFile(k.file)
		if err == nil {
			k.key, err = account.ParseKey(string(data))
		}
		if err != nil {
			os.Remove(k.file)
			return nil, steward.Errorf(steward.EINVALID, "error.data_key_file", "file", k.file, "err", err)
		}
	}
	id := dataKeyID(k.key)
	got, err := s.ClaimDataKey(ctx, id, now)
	if err == nil && got != id {
		err = steward.Errorf(steward.EINVALID, "error.data_key_mismatch_restore", "source", k.source(), "id", id, "got", got)
	}
	if err != nil {
		if created {
			// Another server claimed the database first; the key made
			// for it is of no use.
			os.Remove(k.file)
		}
		return nil, err
	}
	if created {
		log.Warn("created a new data key file; back it up apart from the database, without it encrypted fields cannot be read", "key_file", k.file, "data_key_id", id)
	}
	return account.NewSealer(k.key)
}
