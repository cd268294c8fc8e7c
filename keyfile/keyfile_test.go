package keyfile_test

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"steward"
	"steward/keyfile"
)

func TestCreatedOnceThenLoaded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.key")
	k1, created, err := keyfile.LoadOrCreate(path, "test key")
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	k2, created, err := keyfile.LoadOrCreate(path, "test key")
	if err != nil || created || !k1.Equal(k2) {
		t.Fatalf("second call: created=%v err=%v same=%v", created, err, k1.Equal(k2))
	}
}

func TestConcurrentCreatorsAgreeOnOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.key")
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := keyfile.LoadOrCreate(path, "test key")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = keyfile.ID(k.Public().(ed25519.PublicKey))
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("creators ended with different keys: %v", ids)
		}
	}
}

func TestMissingAndBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := keyfile.Load(filepath.Join(dir, "none.key"), "test key"); steward.ErrorCode(err) != steward.ENOTFOUND {
		t.Errorf("missing file: %v, want not_found", err)
	}
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	if _, err := keyfile.Load(bad, "test key"); steward.ErrorCode(err) != steward.EINVALID {
		t.Errorf("broken file: %v, want invalid", err)
	}
	if _, _, err := keyfile.LoadOrCreate(bad, "test key"); steward.ErrorCode(err) != steward.EINVALID {
		t.Errorf("LoadOrCreate must not overwrite a broken key: %v", err)
	}
}
