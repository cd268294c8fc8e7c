package store

import "context"

// MigrateWith applies a given list of migrations, for tests of failure.
func MigrateWith(ctx context.Context, s *Store, list []Migration) ([]Applied, error) {
	return s.migrate(ctx, list)
}

// AccountTables lists the tables and columns anonymisation empties of an
// account's rows (accountTables).
func AccountTables() [][2]string {
	out := make([][2]string, len(accountTables))
	for i, t := range accountTables {
		out[i] = [2]string{t.table, t.column}
	}
	return out
}
