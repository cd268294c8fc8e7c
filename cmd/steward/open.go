package main

import (
	"context"

	"steward/store"
)

// storeOpenOnly opens the database without migrating it.
func storeOpenOnly(ctx context.Context, dsn string) (*store.Store, error) {
	return store.Open(ctx, dsn)
}
