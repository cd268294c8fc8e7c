package store

import (
	"context"
	"database/sql"
	"fmt"

	"steward/audit"
)

// AppendAudit appends entries in a transaction of their own: for what is
// recorded without changing anything else (a download of an export, a
// staff view of what is no one person's record). It does what InTx with
// only tx.AppendAudit does — the entries are linked after the head, the
// head moves to the last of them and is signed, all or nothing — and on
// PostgreSQL it takes one round trip where that transaction takes three
// (BEGIN, the statement that moves the head and inserts the entries,
// COMMIT; issue 15): while this process knows the head, that one statement
// is sent on its own, and the server commits it as it runs it. A
// statement is atomic by itself, so the head moves exactly when the
// entries are inserted.
//
// When this process does not know the head, another transaction moved it
// meanwhile, or the entries reach a checkpoint (or the genesis is still
// to be sealed), what must change with them is more than that statement,
// and the entries are appended by InTx.
func (s *Store) AppendAudit(ctx context.Context, entries ...audit.Entry) error {
	if s.dialect == Postgres {
		if done, err := s.appendAuditAlone(ctx, entries); done || err != nil {
			return err
		}
	}
	return s.InTx(ctx, func(tx *Tx) error { return tx.AppendAudit(entries...) })
}

// appendAuditAlone is AppendAudit's one statement on PostgreSQL. It
// reports false, changing nothing, when InTx must append the entries.
func (s *Store) appendAuditAlone(ctx context.Context, in []audit.Entry) (bool, error) {
	if len(in) == 0 || len(in) > unnestRows {
		return len(in) == 0, nil
	}
	seq, prev, signer, ok, err := s.headAlone(len(in))
	if !ok || err != nil {
		return false, err
	}
	entries, err := appendValidAudit(nil, in)
	if err != nil {
		return false, err
	}
	keyID, sig := chainAudit(entries, seq, prev, signer)
	moved, err := moveHeadAndInsert(ctx, s.write, entries, seq, prev, keyID, sig)
	if err != nil {
		// Whether the statement committed is unknown: read the head at
		// the next append, as InTx does after a failed commit.
		s.audit.head.forget()
		return false, fmt.Errorf("store: audit: append: %w", err)
	}
	if moved {
		last := &entries[len(entries)-1]
		s.audit.head.set(last.Seq, last.Hash)
	}
	return moved, nil
}

// headAlone returns the head this process knows, and the signing key,
// for n entries to be linked after it by one statement of their own
// (AppendAudit, WriteXAPI): ok is false when the head is not known, the
// entries would reach a checkpoint, or the genesis is still to be
// sealed, which InTx's linkAudit writes with them.
func (s *Store) headAlone(n int) (seq uint64, prev audit.Hash, signer *audit.Signer, ok bool, err error) {
	seq, prev, ok = s.audit.head.get()
	if !ok || n > unnestRows {
		return 0, prev, nil, false, nil
	}
	if cfg := s.audit.p.Load(); cfg != nil {
		// A due checkpoint (seq+1..seq+n holds a multiple of every) or
		// the genesis's seal is written in the same transaction as the
		// entries: InTx's.
		if !s.audit.genesisDone.Load() || (seq+uint64(n))/cfg.every != seq/cfg.every {
			return 0, prev, nil, false, nil
		}
		if signer, err = cfg.key(); err != nil {
			return 0, prev, nil, false, fmt.Errorf("store: audit: signing key: %w", err)
		}
	}
	return seq, prev, signer, true, nil
}

// execer runs a statement: in a transaction (*sql.Tx, *Tx) or on its own
// (*sql.DB).
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// moveHeadAndInsert runs moveHeadAndInsertSQL on PostgreSQL: entries,
// chained after the head (seq, prev), are inserted and the head moved to
// the last of them with keyID and sig, only if the head row still holds
// seq and prev. It reports whether it did; if not, nothing changed.
func moveHeadAndInsert(ctx context.Context, q execer, entries []audit.Entry, seq uint64, prev audit.Hash, keyID string, sig []byte) (bool, error) {
	query, args := moveHeadAndInsertQuery(entries, seq, prev, keyID, sig)
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return false, err
	case n == 0:
		return false, nil
	case n != int64(len(entries)):
		return false, fmt.Errorf("%d of %d entries inserted", n, len(entries))
	}
	return true, nil
}

// moveHeadAndInsertQuery is moveHeadAndInsertSQL, or its one-entry form,
// with its parameters: entries chained after the head (seq, prev), and
// the head's new key id and signature.
func moveHeadAndInsertQuery(entries []audit.Entry, seq uint64, prev audit.Hash, keyID string, sig []byte) (string, []any) {
	last := &entries[len(entries)-1]
	query, args := moveHeadAndInsertSQL, auditArrays(entries)
	if len(entries) == 1 {
		query, args = moveHeadAndInsertOneSQL, appendAuditArgs(make([]any, 0, 19), entries)
	}
	return query, append(args, int64(last.Seq), last.Hash[:], keyID, sig, int64(seq), prev[:])
}

// moveHeadAndInsertOneSQL is moveHeadAndInsertSQL for one entry (most
// transactions append one), its columns as parameters of their own:
// arrays of one cost the driver and the server more to encode, decode
// and unnest (client 121-179 against 115-171 CPU-µs an append, server
// 145-255 against 128-212, four pairs alternated, load 4-5).
const moveHeadAndInsertOneSQL = `WITH h AS (UPDATE audit_head SET seq = $14, hash = $15, key_id = $16, signature = $17
		WHERE id = 1 AND seq = $18 AND hash = $19 RETURNING 1)
	INSERT INTO audit_log (` + auditColumns + `)
	SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text,
		$9::text, $10::text, $11::smallint, $12::bytea, $13::bytea FROM h`
