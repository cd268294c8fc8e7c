package store

import "context"

// MigrateWith applies a given list of migrations, for tests of failure.
func MigrateWith(ctx context.Context, s *Store, list []Migration) ([]Applied, error) {
	return s.migrate(ctx, list)
}
