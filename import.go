package steward

// ImportResult counts what an idempotent import of a site's catalogue
// (courses, products) did.
type ImportResult struct{ Added, Changed, Unchanged int }

// Importable is what ImportEach asks of an imported item: its checks (which
// may also normalise it) and the names of the fields in which it differs
// from the stored one.
type Importable[T any] interface {
	*T
	Check() error
	Changed(old *T) []string
}

// ImportEach is the loop the course and product imports share, run inside
// the caller's transaction: each item is checked, then stored reads the
// stored item of its key (an ENOTFOUND error when there is none). An item
// equal to the stored one is counted unchanged and left alone; any other
// is written by write and then handed to audit with the names of the
// fields that changed — newFields for a new one. The first error stops it.
func ImportEach[T any, P Importable[T]](items []T, newFields []string, stored func(P) (P, error), write func(P) error, audit func(it P, fields []string) error) (ImportResult, error) {
	var res ImportResult
	for i := range items {
		it := P(&items[i])
		if err := it.Check(); err != nil {
			return res, err
		}
		fields := newFields
		old, err := stored(it)
		switch {
		case err == nil:
			if fields = it.Changed(old); len(fields) == 0 {
				res.Unchanged++
				continue
			}
			res.Changed++
		case ErrorCode(err) == ENOTFOUND:
			res.Added++
		default:
			return res, err
		}
		if err := write(it); err != nil {
			return res, err
		}
		if err := audit(it, fields); err != nil {
			return res, err
		}
	}
	return res, nil
}
