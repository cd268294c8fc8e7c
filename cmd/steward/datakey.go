package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"steward"
	"steward/account"
	"steward/policy"
)

func init() {
	register(&command{name: "keygen", summary: "write a new data key for encrypting sensitive fields (R3)", run: runKeygen})
}

// defaultKeyFile is where 'serve' keeps the data key on a fresh checkout
// (gitignored: *.key).
const defaultKeyFile = "./steward-data.key"

// keyFileFlag adds --key-file (env STEWARD_KEY_FILE) to a command.
func (a *app) keyFileFlag(fs *flag.FlagSet) *string {
	return fs.String("key-file", a.env("STEWARD_KEY_FILE", defaultKeyFile),
		"file holding the data key that encrypts sensitive fields such as the BIG number (env STEWARD_KEY_FILE; STEWARD_DATA_KEY gives the key itself); created 0600 on first use")
}

func runKeygen(ctx context.Context, a *app, args []string) error {
	fs := a.flags("keygen", "[--out FILE]", "Writes a new random 256-bit data key (hex) to FILE with mode 0600. It refuses to\noverwrite an existing file: a lost or replaced key makes every encrypted value\nunreadable. Keep a copy of the key apart from database backups.")
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
		return steward.Errorf(steward.ECONFLICT, "%s exists; refusing to overwrite a data key", path)
	}
	if err != nil {
		return steward.Errorf(steward.EINVALID, "cannot create key file %s: %v", path, err)
	}
	if _, err := f.WriteString(account.NewKey() + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return f.Close()
}

// loadSealer returns the data-key sealer: from STEWARD_DATA_KEY (hex or
// base64) if set, else from the key file, which is created (0600, with a
// log line saying so) when it does not exist yet, so a fresh checkout
// serves at once. With no key (an empty --key-file and no STEWARD_DATA_KEY)
// a policy that declares a sensitive field is refused: there is never a
// plaintext fallback (R3).
func loadSealer(a *app, p *policy.Policy, keyFile string, log *slog.Logger) (*account.Sealer, error) {
	var key []byte
	switch env := a.getenv("STEWARD_DATA_KEY"); {
	case env != "":
		k, err := account.ParseKey(env)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "STEWARD_DATA_KEY: %v", err)
		}
		key = k
	case keyFile != "":
		data, err := os.ReadFile(keyFile)
		if errors.Is(err, fs.ErrNotExist) {
			if err := writeKeyFile(keyFile); err != nil {
				return nil, err
			}
			log.Warn("created a new data key file; back it up apart from the database, without it encrypted fields cannot be read", "key_file", keyFile)
			data, err = os.ReadFile(keyFile)
		}
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "cannot read data key file %s: %v", keyFile, err)
		}
		if k, err := account.ParseKey(string(data)); err != nil {
			return nil, steward.Errorf(steward.EINVALID, "data key file %s: %v", keyFile, err)
		} else {
			key = k
		}
	}
	if key == nil {
		if f := account.SensitiveField(p); f != "" {
			return nil, steward.Errorf(steward.EINVALID, "the policy declares sensitive field %s, which is stored encrypted (R3), but no data key is configured: give --key-file FILE (create one with 'steward keygen') or STEWARD_DATA_KEY", f)
		}
		return nil, nil
	}
	return account.NewSealer(key)
}
