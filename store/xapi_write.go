package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"steward/audit"
	"steward/policy"
)

// XAPIWrite is what a combined xAPI transaction writes, decided from the
// facts it read (WriteXAPI): records with their values, the statements'
// ids, and the audit entries, Entries[i] being the entry of Records[i]
// (its ObjectID is set to the record's id once that is known). It is an
// audit.Appender, so audit.Log.Record stamps entries into it.
type XAPIWrite struct {
	Records    []*Record
	Statements []Statement
	Entries    []audit.Entry
}

// AppendAudit adds entries to w (audit.Appender); they are validated and
// linked when w is written.
func (w *XAPIWrite) AppendAudit(entries ...audit.Entry) error {
	w.Entries = append(w.Entries, entries...)
	return nil
}

// WriteXAPI runs one combined xAPI transaction: it reads q's facts, has
// decide say from them what to write, and writes that with its audit
// entries, all or nothing. decide may be called a second time, with the
// facts read again, when the first attempt could not be completed (on
// PostgreSQL: the audit head moved meanwhile); it must decide afresh
// each time.
//
// On PostgreSQL it is two round trips where InTx takes six (issue 16:
// single statements stored together were bound by the transaction's
// latency, not by the CPU, a third of which stood idle): BEGIN, the
// plan setting and the facts' read are sent together, and so are the
// INSERT of the records, values and statement ids, the audit entries with
// the head's move, and COMMIT. The last needs the head this process
// knows (headAlone): the entries' statement fails if the head is no
// longer there, which rolls all of it back, and the transaction is then
// run again by InTx, which reads and locks the head.
func (s *Store) WriteXAPI(ctx context.Context, p *policy.Policy, q XAPIQuery, decide func(*XAPIFacts) (*XAPIWrite, error)) error {
	err := s.writeXAPI(ctx, p, q, decide)
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: %w", ErrStatementStoredMeanwhile, err)
	}
	return err
}

// ErrStatementStoredMeanwhile is WriteXAPI's failure when a statement id
// it was to store was stored by another transaction after its read: the
// transaction changed nothing, and run again it finds the statement.
var ErrStatementStoredMeanwhile = errors.New("store: xapi: a statement was stored meanwhile")

func (s *Store) writeXAPI(ctx context.Context, p *policy.Policy, q XAPIQuery, decide func(*XAPIFacts) (*XAPIWrite, error)) error {
	if s.dialect == Postgres {
		if done, err := s.writeXAPIPipelined(ctx, p, q, decide); done || err != nil {
			return err
		}
	}
	return s.InTx(ctx, func(tx *Tx) error {
		f, err := tx.XAPIFacts(ctx, q)
		if err != nil {
			return err
		}
		w, err := decide(f)
		if err != nil {
			return err
		}
		if err := tx.InsertXAPI(ctx, p, w.Records, w.Statements, f.RecordIDs); err != nil {
			return err
		}
		w.setObjectIDs()
		return tx.AppendAudit(w.Entries...)
	})
}

// setObjectIDs sets each entry's ObjectID to its record's id.
func (w *XAPIWrite) setObjectIDs() {
	for i, r := range w.Records {
		w.Entries[i].ObjectID = strconv.FormatInt(r.ID, 10)
	}
}

// headMovedCheck makes moveHeadAndInsertSQL (and its one-entry form) fail
// when the head did not move — another transaction moved it first —
// instead of inserting nothing: in a pipeline that also sends COMMIT, an
// error is what keeps the records from committing without their entries.
// The failure is a division by zero (SQLSTATE 22012), which nothing else
// in the statement can raise.
const headMovedCheck = ` WHERE (SELECT 1 / count(*) FROM h) = 1`

// writeXAPIPipelined is WriteXAPI on PostgreSQL in two round trips, on
// one connection taken from the pool and driven through pgx. It reports
// false, having changed nothing, when InTx must run the transaction.
func (s *Store) writeXAPIPipelined(ctx context.Context, p *policy.Policy, q XAPIQuery, decide func(*XAPIFacts) (*XAPIWrite, error)) (bool, error) {
	if _, _, _, ok, err := s.headAlone(q.NewRecords); !ok || err != nil {
		return false, err
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("store: xapi: connection: %w", err)
	}
	defer conn.Close()
	done := false
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		var err error
		done, err = s.pipelineXAPI(ctx, c, p, q, decide)
		if c.PgConn().TxStatus() != 'I' {
			// Failed between BEGIN and COMMIT: the connection goes back to
			// the pool with no transaction open, or not at all.
			if _, rerr := c.Exec(ctx, "ROLLBACK"); rerr != nil {
				c.Close(ctx)
			}
		}
		return err
	})
	return done, err
}

// pipelineXAPI sends the transaction's two rounds on c.
func (s *Store) pipelineXAPI(ctx context.Context, c *pgx.Conn, p *policy.Policy, q XAPIQuery, decide func(*XAPIFacts) (*XAPIWrite, error)) (bool, error) {
	f := newXAPIFacts()
	f.Hashes = make(map[string]string, len(q.StatementIDs))
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	if q.genericPlans() {
		b.Queue(genericPlansSQL)
	}
	b.Queue(xapiFactsSQL, q.factsArgs()...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := f.addRow(rows.Scan); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("store: xapi facts of %d statements: %w", len(q.StatementIDs), err)
	}
	w, err := decide(f)
	if err != nil {
		return false, err
	}
	if len(w.Records) == 0 && len(w.Statements) == 0 {
		// Every statement was stored before: nothing to write, and the
		// read-only transaction is rolled back.
		return true, nil
	}
	if len(w.Records) == 0 || len(f.RecordIDs) < len(w.Records) {
		// More records than ids drawn: InTx's way.
		return false, nil
	}
	insert, err := xapiInsertArgs(p, w.Records, w.Statements, f.RecordIDs)
	if err != nil {
		return false, err
	}
	for i, r := range w.Records {
		r.ID = f.RecordIDs[i]
	}
	w.setObjectIDs()
	entries, err := appendValidAudit(nil, w.Entries)
	if err != nil {
		return false, err
	}
	// No two transactions of this process write one statement id at
	// once: the second would wait for the first's INSERT in the server
	// while the first, holding turn, could wait for the second's — a
	// deadlock the server cannot see. The second waits here instead,
	// holding nothing, for the first to end, and is tried again.
	release, busy := s.audit.writing.claim(w.Statements)
	if busy != nil {
		if s.audit.onWait != nil {
			s.audit.onWait("claim")
		}
		<-busy
		return false, ErrStatementStoredMeanwhile
	}
	defer release()
	b = &pgx.Batch{}
	b.Queue(xapiInsertSQL, insert...)
	if !s.audit.turn.TryLock() {
		// Another transaction of this process is linking and
		// committing: the INSERT runs meanwhile, on this backend, and
		// the entries are linked once it has committed, after it.
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			return false, fmt.Errorf("store: xapi: write %d records and %d statements: %w", len(w.Records), len(w.Statements), err)
		}
		if s.audit.onWait != nil {
			s.audit.onWait("turn")
		}
		s.audit.turn.Lock()
		b = &pgx.Batch{}
	}
	defer s.audit.turn.Unlock()
	// The head as it is now: a transaction of this process may have
	// committed since the first round.
	seq, prev, signer, ok, err := s.headAlone(len(entries))
	if !ok || err != nil {
		return false, err
	}
	keyID, sig := chainAudit(entries, seq, prev, signer)
	last := &entries[len(entries)-1]
	query, args := moveHeadAndInsertQuery(entries, seq, prev, keyID, sig)
	b.Queue(query+headMovedCheck, args...)
	b.Queue("COMMIT")
	err = c.SendBatch(ctx, b).Close()
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "22012":
		return false, nil
	case err != nil:
		// Whether it committed (the connection may have failed after
		// COMMIT was sent) is unknown: the head is read at the next
		// append, as after InTx's failed commit.
		s.audit.head.forget()
		return false, fmt.Errorf("store: xapi: write %d records and %d statements: %w", len(w.Records), len(w.Statements), err)
	}
	s.audit.head.set(last.Seq, last.Hash)
	return true, nil
}

// claims are the statement ids being written, each with a channel closed
// when the transaction writing it has ended.
type claims struct {
	mu  sync.Mutex
	ids map[string]chan struct{}
}

// claim claims sts's ids and returns the function that releases them,
// or, if another transaction has claimed one of them, that one's channel.
func (c *claims) claim(sts []Statement) (release func(), busy <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range sts {
		if ch, ok := c.ids[st.ID]; ok {
			return nil, ch
		}
	}
	if c.ids == nil {
		c.ids = map[string]chan struct{}{}
	}
	done := make(chan struct{})
	for _, st := range sts {
		c.ids[st.ID] = done
	}
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, st := range sts {
			delete(c.ids, st.ID)
		}
		close(done)
	}, nil
}
