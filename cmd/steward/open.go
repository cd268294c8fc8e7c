package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"steward/store"
)

// storeOpenOnly opens the database without migrating it.
func storeOpenOnly(ctx context.Context, dsn string) (*store.Store, error) {
	return store.Open(ctx, dsn)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
