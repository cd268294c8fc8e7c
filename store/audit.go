package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"steward"
	"steward/audit"
)

// auditConfig is how a Store signs the audit log's head and checkpoints,
// and the INSERTs it writes entries with.
type auditConfig struct {
	p       atomic.Pointer[auditSigning]
	inserts auditInserts
	// genesisDone is set once this process found the genesis no longer
	// unsealed, so linking stops trying to seal it.
	genesisDone atomic.Bool
	// head is the head this process last committed (issue 15): the next
	// transaction links after it without reading the head row first, and
	// moves the row only if it still holds exactly that (moveHead).
	head headCache
	// turn is held by a pipelined xAPI transaction from linking its
	// entries to its commit (WriteXAPI), so that the next one of this
	// process links after it and does not find the head moved.
	turn sync.Mutex
	// writing are the statement ids pipelined xAPI transactions of this
	// process are writing (WriteXAPI).
	writing claims
	// onWait, set by tests, is called by a pipelined xAPI transaction
	// that has sent its INSERT and waits for turn ("turn"), or waits for
	// another to end that writes one of its statement ids ("claim").
	onWait func(string)
}

// headCache is the audit head as this process last committed it. It is a
// guess, never trusted: another process, or another transaction of this
// one, may have moved the head since, which the compare in moveHead finds.
type headCache struct {
	mu    sync.Mutex
	valid bool
	seq   uint64
	hash  audit.Hash
}

func (c *headCache) get() (uint64, audit.Hash, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq, c.hash, c.valid
}

// set records a committed head; an older one than the cached never
// replaces it (two transactions may finish in either order).
func (c *headCache) set(seq uint64, h audit.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid || seq > c.seq {
		c.valid, c.seq, c.hash = true, seq, h
	}
}

func (c *headCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid = false
}

type auditSigning struct {
	load  func() (*audit.Signer, error)
	every uint64

	mu     sync.Mutex
	signer *audit.Signer
}

// key returns the signer, loading it on first use; a failed load is tried
// again at the next commit.
func (a *auditSigning) key() (*audit.Signer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.signer == nil {
		s, err := a.load()
		if err != nil {
			return nil, err
		}
		a.signer = s
	}
	return a.signer, nil
}

// SetAuditSigner makes every transaction that appends audit entries sign
// the new head, and sign a checkpoint each time the log passes a multiple
// of every entries (0: audit.DefaultCheckpointEvery). Without a signer the
// head stays unsigned and 'audit verify' reports it (G2: an entry forged by
// someone with only database access must be detectable).
func (s *Store) SetAuditSigner(signer *audit.Signer, every uint64) {
	s.SetAuditKey(func() (*audit.Signer, error) { return signer, nil }, every)
}

// SetAuditKey is SetAuditSigner with the key loaded by load when the first
// transaction that appends entries commits, so a process that only reads
// the database never needs the key (nor creates it). If load fails, that
// transaction fails and changes nothing (G3); the next one tries again.
func (s *Store) SetAuditKey(load func() (*audit.Signer, error), every uint64) {
	if every == 0 {
		every = audit.DefaultCheckpointEvery
	}
	s.audit.p.Store(&auditSigning{load: load, every: every})
}

// AppendAudit adds entries to the audit log in this transaction. They are
// validated now and linked into the chain when the transaction commits —
// as its last step, so appenders serialise only on linking (issue 5) — and
// disappear with the transaction if it rolls back: a change without its
// entry, or an entry without its change, cannot happen (G2, G3).
func (tx *Tx) AppendAudit(entries ...audit.Entry) error {
	var err error
	tx.audit, err = appendValidAudit(tx.audit, entries)
	return err
}

// appendValidAudit appends entries to dst normalised, validated and not
// yet linked, up to the first that is not valid, whose error it returns.
func appendValidAudit(dst, entries []audit.Entry) ([]audit.Entry, error) {
	// A retention batch appends a thousand at once: one allocation.
	dst = slices.Grow(dst, len(entries))
	for i := range entries {
		e := entries[i]
		e.Normalize()
		if err := e.Validate(); err != nil {
			return dst, fmt.Errorf("store: append audit entry %q: %w", e.Action, err)
		}
		e.Seq, e.PrevHash, e.Hash = 0, audit.Hash{}, audit.Hash{}
		dst = append(dst, e)
	}
	return dst, nil
}

// auditInsertRows is the most entries one INSERT carries: 13 parameters
// each, far below both engines' limits. A batch is written in statements
// of 256, 128, ..., 1 rows, so there are nine statements in all and each
// is parsed once: on SQLite they are prepared once on the writer's one
// connection (parsing a statement of thousands of placeholders for every
// batch cost more than binding them), on PostgreSQL the driver's statement
// cache keeps them.
const auditInsertRows = 1 << (auditInsertSizes - 1)

// auditInsertSizes is the number of statement sizes: 1<<0 to 1<<8 rows.
const auditInsertSizes = 9

const auditColumns = `seq, at, actor, action, object_kind, object_id, subject, fields, policy_version, request_id, format, prev_hash, hash`

// auditInserts holds the SQLite INSERT statements by log2 of their rows
// and the two UPDATEs of the head, prepared by Migrate
// (prepareAuditInserts).
type auditInserts struct {
	mu   sync.Mutex
	stmt [auditInsertSizes]*sql.Stmt
	// swap and move are moveHeadSQL and setHeadSQL.
	swap, move *sql.Stmt
}

// moveHeadSQL moves the head from the one this process expects ($5, $6),
// and only from it: the compare-and-swap that lets a transaction link
// after the head it remembers instead of reading it first. On PostgreSQL
// the UPDATE locks the row until commit; a concurrent transaction's UPDATE
// waits for it and then finds the head moved, as READ COMMITTED rechecks
// the WHERE on the newest row.
const moveHeadSQL = `UPDATE audit_head SET seq = $1, hash = $2, key_id = $3, signature = $4 WHERE id = 1 AND seq = $5 AND hash = $6`

// moveHeadAndInsertSQL is moveHeadSQL and the INSERT of a transaction's
// entries in one statement, for PostgreSQL, where every statement is a
// round trip (a single append: BEGIN, this, COMMIT; a combined xAPI
// batch's hundreds of entries the same). The entries travel as one array
// per column (auditArrays). They are inserted only if the head moved;
// the rows it reports say which.
const moveHeadAndInsertSQL = `WITH h AS (UPDATE audit_head SET seq = $14, hash = $15, key_id = $16, signature = $17
		WHERE id = 1 AND seq = $18 AND hash = $19 RETURNING 1)
	INSERT INTO audit_log (` + auditColumns + `)
	SELECT u.* FROM unnest(` + auditArrayParams + `) AS u, h`

// auditArrayParams are the 13 array parameters of the entries' columns,
// in auditColumns' order.
const auditArrayParams = `$1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::text[], $11::smallint[], $12::bytea[], $13::bytea[]`

// insertAuditArraysSQL inserts entries given as auditArrays, for
// PostgreSQL: one statement for any number.
const insertAuditArraysSQL = `INSERT INTO audit_log (` + auditColumns + `) SELECT u.* FROM unnest(` + auditArrayParams + `) AS u`

// auditArrays is entries as one array per column of auditColumns.
func auditArrays(entries []audit.Entry) []any {
	n := len(entries)
	seq, at, format := make([]int64, n), make([]int64, n), make([]int64, n)
	actor, action, kind, id, subject, fields, version, request := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	prev, hash := make([][]byte, n), make([][]byte, n)
	for i := range entries {
		e := &entries[i]
		seq[i], at[i], format[i] = int64(e.Seq), e.Time.UnixMilli(), int64(e.Format)
		actor[i], action[i], kind[i], id[i] = string(e.Actor), string(e.Action), e.ObjectKind, e.ObjectID
		subject[i], fields[i], version[i], request[i] = string(e.Subject), strings.Join(e.Fields, ","), e.PolicyVersion, e.RequestID
		prev[i], hash[i] = e.PrevHash[:], e.Hash[:]
	}
	return []any{seq, at, actor, action, kind, id, subject, fields, version, request, format, prev, hash}
}

// setHeadSQL moves the head read and locked in this transaction.
const setHeadSQL = `UPDATE audit_head SET seq = $1, hash = $2, key_id = $3, signature = $4 WHERE id = 1`

// auditInsertText returns the INSERT of 1<<k entries in dialect d.
func auditInsertText(d Dialect, k int) string { return auditInsertTexts[d][k]() }

var auditInsertTexts = map[Dialect]*[auditInsertSizes]func() string{
	SQLite:   insertTexts(SQLite),
	Postgres: insertTexts(Postgres),
}

func insertTexts(d Dialect) *[auditInsertSizes]func() string {
	var texts [auditInsertSizes]func() string
	for k := range texts {
		texts[k] = sync.OnceValue(func() string { return auditInsertSQL(d, 1<<k) })
	}
	return &texts
}

// auditInsertSQL is a multi-row INSERT of n entries.
func auditInsertSQL(d Dialect, n int) string {
	// OR FAIL on SQLite: a conflict fails the whole transaction anyway,
	// and without ABORT semantics SQLite needs no statement journal, which
	// otherwise copies every page the statement touches.
	head := `INSERT INTO audit_log (` + auditColumns + `)`
	if d == SQLite {
		head = `INSERT OR FAIL INTO audit_log (` + auditColumns + `)`
	}
	return valuesSQL(d, head, n, 13)
}

// insertAudit writes linked entries in statements of 1<<k rows, the
// largest that fits first.
func (tx *Tx) insertAudit(ctx context.Context, entries []audit.Entry) error {
	for tx.Dialect == Postgres && len(entries) > 0 {
		chunk := entries[:min(len(entries), unnestRows)]
		entries = entries[len(chunk):]
		if _, err := tx.ExecContext(ctx, insertAuditArraysSQL, auditArrays(chunk)...); err != nil {
			return fmt.Errorf("store: audit: insert entries %d-%d: %w", chunk[0].Seq, chunk[len(chunk)-1].Seq, err)
		}
	}
	args := make([]any, 0, 13*min(len(entries), auditInsertRows))
	for len(entries) > 0 {
		k := min(bits.Len(uint(len(entries)))-1, auditInsertSizes-1)
		chunk := entries[:1<<k]
		entries = entries[1<<k:]
		args = appendAuditArgs(args[:0], chunk)
		var err error
		if stmt := tx.store.audit.insert(k); stmt != nil {
			_, err = tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, auditInsertText(tx.Dialect, k), args...)
		}
		if err != nil {
			return fmt.Errorf("store: audit: insert entries %d-%d: %w", chunk[0].Seq, chunk[len(chunk)-1].Seq, err)
		}
	}
	return nil
}

// appendAuditArgs appends the INSERT parameters of entries to args.
func appendAuditArgs(args []any, entries []audit.Entry) []any {
	for i := range entries {
		e := &entries[i]
		args = append(args, int64(e.Seq), e.Time.UnixMilli(), string(e.Actor), string(e.Action),
			e.ObjectKind, e.ObjectID, string(e.Subject), strings.Join(e.Fields, ","),
			e.PolicyVersion, e.RequestID, int64(e.Format), e.PrevHash[:], e.Hash[:])
	}
	return args
}

// insert returns the prepared SQLite INSERT of 1<<k rows, nil if there
// is none (the store was not migrated by this process).
func (c *auditConfig) insert(k int) *sql.Stmt {
	c.inserts.mu.Lock()
	defer c.inserts.mu.Unlock()
	return c.inserts.stmt[k]
}

// prepareAuditInserts prepares the SQLite INSERTs; Migrate calls it once
// the schema is there. They are prepared on the writer pool outside any
// transaction, because inside one its one connection is taken; each
// transaction then runs them on that connection (Tx.StmtContext) without
// parsing them again. A statement that cannot be prepared is left out and
// its text is run instead.
func (s *Store) prepareAuditInserts(ctx context.Context) {
	if s.dialect != SQLite {
		return
	}
	c := &s.audit
	c.inserts.mu.Lock()
	defer c.inserts.mu.Unlock()
	for k := range c.inserts.stmt {
		if c.inserts.stmt[k] == nil {
			if stmt, err := s.write.PrepareContext(ctx, auditInsertText(SQLite, k)); err == nil {
				c.inserts.stmt[k] = stmt
			}
		}
	}
	if c.inserts.swap == nil {
		if stmt, err := s.write.PrepareContext(ctx, moveHeadSQL); err == nil {
			c.inserts.swap = stmt
		}
	}
	if c.inserts.move == nil {
		if stmt, err := s.write.PrepareContext(ctx, setHeadSQL); err == nil {
			c.inserts.move = stmt
		}
	}
}

// execHead runs moveHeadSQL (swap) or setHeadSQL, prepared where it was,
// and returns the rows it changed.
func (tx *Tx) execHead(ctx context.Context, swap bool, args ...any) (int64, error) {
	c := &tx.store.audit.inserts
	c.mu.Lock()
	stmt, q := c.move, setHeadSQL
	if swap {
		stmt, q = c.swap, moveHeadSQL
	}
	c.mu.Unlock()
	var res sql.Result
	var err error
	if stmt != nil {
		res, err = tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	} else {
		res, err = tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// linkAudit numbers the transaction's entries after the head, chains their
// hashes, writes them, signs due checkpoints and moves the head. InTx runs
// it just before commit. The head is locked until commit — on PostgreSQL by
// the UPDATE that moves it (or SELECT ... FOR UPDATE), on SQLite by the
// IMMEDIATE transaction, across processes too — so transactions link one
// after another and the chain stays linear.
//
// A transaction first links after the head this process last committed
// (headCache) and moves the head only if the row still holds exactly that
// seq and hash: one statement instead of reading the head and writing it
// (issue 15: linking was half of a single append). If another process or
// transaction moved it meanwhile, nothing was changed, and the head is
// read, locked and linked after as before.
func (tx *Tx) linkAudit(ctx context.Context) error {
	if len(tx.audit) == 0 {
		return nil
	}
	if tx.Dialect == SQLite {
		// Linking is a few statements of bounded size, and Commit, next,
		// still rolls back a transaction whose context is done. Without
		// the cancellation the SQLite driver starts no goroutine per
		// statement to interrupt it (issue 15: interruptOnDone alone was
		// 5% of a single append's profile, the scheduling it caused more).
		ctx = context.WithoutCancel(ctx)
	}
	// The key first: a missing or unreadable key fails the transaction
	// before the head is locked.
	var signer *audit.Signer
	var every uint64
	if cfg := tx.store.audit.p.Load(); cfg != nil {
		var err error
		if signer, err = cfg.key(); err != nil {
			return fmt.Errorf("store: audit: signing key: %w", err)
		}
		every = cfg.every
	}
	entries := tx.audit
	moved, inserted := false, false
	if seq, prev, ok := tx.store.audit.head.get(); ok {
		keyID, sig := chainAudit(entries, seq, prev, signer)
		last := &entries[len(entries)-1]
		var err error
		if len(entries) <= unnestRows && tx.Dialect == Postgres {
			moved, err = moveHeadAndInsert(ctx, tx, entries, seq, prev, keyID, sig)
			inserted = moved
		} else {
			var n int64
			n, err = tx.execHead(ctx, true, int64(last.Seq), last.Hash[:], keyID, sig, int64(seq), prev[:])
			moved = n == 1
		}
		if err != nil {
			return fmt.Errorf("store: audit: move head: %w", err)
		}
	}
	if !moved {
		q := `SELECT seq, hash FROM audit_head WHERE id = 1`
		if tx.Dialect == Postgres {
			q += ` FOR UPDATE`
		}
		var seq int64
		var raw []byte
		if err := tx.QueryRowContext(ctx, q).Scan(&seq, &raw); err != nil {
			return fmt.Errorf("store: audit: lock head: %w", err)
		}
		prev, err := hashOf(raw, true)
		if err != nil {
			return fmt.Errorf("store: audit: head: %w", err)
		}
		keyID, sig := chainAudit(entries, uint64(seq), prev, signer)
		last := &entries[len(entries)-1]
		if _, err := tx.execHead(ctx, false, int64(last.Seq), last.Hash[:], keyID, sig); err != nil {
			return fmt.Errorf("store: audit: move head: %w", err)
		}
	}
	if !inserted {
		if err := tx.insertAudit(ctx, entries); err != nil {
			return err
		}
	}
	if signer != nil {
		for i := range entries {
			if e := &entries[i]; e.Seq%every == 0 {
				if err := insertCheckpoint(ctx, tx, signer.Checkpoint(e.Seq, e.Hash, e.Time)); err != nil {
					return err
				}
			}
		}
		if err := tx.sealGenesis(ctx, signer, &entries[0]); err != nil {
			return err
		}
	}
	last := &entries[len(entries)-1]
	tx.head = &headCache{valid: true, seq: last.Seq, hash: last.Hash}
	return nil
}

// chainAudit numbers entries after seq and chains their hashes from prev,
// and returns the head's key id and signature (none without a signer).
func chainAudit(entries []audit.Entry, seq uint64, prev audit.Hash, signer *audit.Signer) (string, []byte) {
	for i := range entries {
		e := &entries[i]
		e.Seq = seq + 1 + uint64(i)
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		prev = e.Hash
	}
	if signer == nil {
		return "", nil
	}
	last := &entries[len(entries)-1]
	h := signer.Head(last.Seq, last.Hash)
	return h.KeyID, h.Signature
}

// genesisSetting names the settings row of the audit log's genesis.
const genesisSetting = "audit_genesis"

// sealGenesis seals the genesis with first — the first entry this
// transaction appends with the key, signed by signer — if it is still
// unsealed as migration 0015 wrote
// it. Only that one value is ever replaced: a genesis deleted, or sealed
// already, stays as it is, so a wiped log cannot get a fresh one. Once
// this process finds it no longer unsealed it stops asking.
func (tx *Tx) sealGenesis(ctx context.Context, signer *audit.Signer, first *audit.Entry) error {
	done := &tx.store.audit.genesisDone
	if done.Load() {
		// Signed only when it may be needed: an ed25519 signature made at
		// every commit and thrown away was 14% of a single append's CPU
		// (issue 15).
		return nil
	}
	g := signer.Genesis(first.Seq, first.Hash)
	res, err := tx.ExecContext(ctx, `UPDATE settings SET value = $1, set_at = $2 WHERE name = $3 AND value = $4`,
		g.Value(), nowMillis(), genesisSetting, audit.GenesisUnsealedValue)
	if err != nil {
		return fmt.Errorf("store: audit: seal genesis: %w", err)
	}
	// Sealed by this transaction: the next one finds it sealed, after
	// this one commits; should this one roll back, it seals it instead.
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		done.Store(true)
	}
	return nil
}

// Genesis returns the audit log's genesis record.
func (l *AuditLog) Genesis(ctx context.Context) (audit.Genesis, error) {
	var v string
	err := l.s.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, genesisSetting).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Genesis{State: audit.GenesisMissing}, nil
	}
	if err != nil {
		return audit.Genesis{}, fmt.Errorf("store: audit genesis: %w", err)
	}
	// A value that cannot be read is tampering, which Verify reports.
	g, _ := audit.ParseGenesis(v)
	return g, nil
}

func insertCheckpoint(ctx context.Context, tx *Tx, cp audit.Checkpoint) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, hash, at, key_id, signature)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (size) DO NOTHING`,
		int64(cp.Size), cp.Hash[:], cp.Time.UnixMilli(), cp.KeyID, cp.Signature)
	if err != nil {
		return fmt.Errorf("store: audit: checkpoint %d: %w", cp.Size, err)
	}
	return nil
}

// hashOf reads a stored hash; NULL is the zero hash where allowed.
func hashOf(b []byte, nullOK bool) (audit.Hash, error) {
	var h audit.Hash
	if b == nil && nullOK {
		return h, nil
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("hash has %d bytes, want %d", len(b), len(h))
	}
	copy(h[:], b)
	return h, nil
}

// AuditLog reads the audit log. It implements audit.Reader (the staff
// page) and audit.Source (verification).
type AuditLog struct {
	s *Store
}

// Audit returns the store's audit log reader.
func (s *Store) Audit() *AuditLog { return &AuditLog{s: s} }

// Checkpoint signs a checkpoint for entry size, on demand, after checking
// that the stored hash of that entry is h (the caller verified the log up
// to it). Signing the same size again changes nothing.
func (l *AuditLog) Checkpoint(ctx context.Context, signer *audit.Signer, size uint64, h audit.Hash, at time.Time) (audit.Checkpoint, error) {
	cp := signer.Checkpoint(size, h, at)
	err := l.s.InTx(ctx, func(tx *Tx) error {
		var raw []byte
		err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = $1`, int64(size)).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			return steward.Errorf(steward.ENOTFOUND, "error.audit_entry_does_not_exist", "size", size)
		}
		if err != nil {
			return err
		}
		if stored, err := hashOf(raw, false); err != nil || stored != h {
			return steward.Errorf(steward.ECONFLICT, "error.audit_entry_does_not_have", "size", size)
		}
		return insertCheckpoint(ctx, tx, cp)
	})
	if err != nil {
		return cp, fmt.Errorf("store: audit checkpoint %d: %w", size, err)
	}
	return cp, nil
}

// Head returns the sealed head: Seq 0 for an empty log.
func (l *AuditLog) Head(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	var seq int64
	var raw []byte
	err := l.s.read.QueryRowContext(ctx, `SELECT seq, hash, key_id, signature FROM audit_head WHERE id = 1`).
		Scan(&seq, &raw, &h.KeyID, &h.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		// Someone deleted the row; Verify then finds the entries unsealed.
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("store: audit head: %w", err)
	}
	h.Seq = uint64(seq)
	if h.Hash, err = hashOf(raw, true); err != nil {
		// A damaged head cannot vouch for anything: report it as unsigned.
		h.Signature = nil
	}
	return h, nil
}

// Checkpoints returns every checkpoint, smallest first.
func (l *AuditLog) Checkpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	rows, err := l.s.read.QueryContext(ctx, `SELECT size, hash, at, key_id, signature FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("store: audit checkpoints: %w", err)
	}
	defer rows.Close()
	var out []audit.Checkpoint
	for rows.Next() {
		var cp audit.Checkpoint
		var size, at int64
		var raw []byte
		if err := rows.Scan(&size, &raw, &at, &cp.KeyID, &cp.Signature); err != nil {
			return nil, fmt.Errorf("store: audit checkpoints: %w", err)
		}
		cp.Size, cp.Time = uint64(size), time.UnixMilli(at).UTC()
		if cp.Hash, err = hashOf(raw, false); err != nil {
			cp.Signature = nil // cannot be valid; Verify reports it
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit checkpoints: %w", err)
	}
	return out, nil
}

// HashAt returns the stored hash of entry seq.
func (l *AuditLog) HashAt(ctx context.Context, seq uint64) (audit.Hash, bool, error) {
	var raw []byte
	err := l.s.read.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = $1`, int64(seq)).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Hash{}, false, nil
	}
	if err != nil {
		return audit.Hash{}, false, fmt.Errorf("store: audit hash %d: %w", seq, err)
	}
	h, err := hashOf(raw, false)
	if err != nil {
		return h, true, &audit.CorruptError{Seq: seq, Reason: err.Error()}
	}
	return h, true, nil
}

// Scan calls fn for each entry with from <= Seq <= to (to 0: no upper
// bound), in order, from one query (one snapshot on both engines). The
// *Entry passed to fn is reused.
func (l *AuditLog) Scan(ctx context.Context, from, to uint64, fn func(*audit.Entry) error) error {
	upper := int64(math.MaxInt64)
	if to != 0 {
		upper = int64(to)
	}
	if l.s.dialect == SQLite {
		return l.scanSQLite(ctx, int64(from), upper, fn)
	}
	return l.scanRaw(ctx, int64(from), upper, fn)
}

// Since calls fn for each entry whose Time is at or after t, in order of
// Seq (audit export). The *Entry passed to fn is reused.
func (l *AuditLog) Since(ctx context.Context, t time.Time, fn func(*audit.Entry) error) error {
	// Uses audit_log_at.
	return l.scan(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE at >= $1 ORDER BY seq`, []any{t.UnixMilli()}, fn)
}

func (l *AuditLog) scan(ctx context.Context, q string, args []any, fn func(*audit.Entry) error) error {
	rows, err := l.s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	defer rows.Close()
	var r entryRow
	var e audit.Entry
	for rows.Next() {
		if err := r.scan(rows, &e); err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	return nil
}

// entryRow holds one row's columns; reused across rows to spare allocations.
type entryRow struct {
	seq, at, format            int64
	actor, action, kind, id    string
	subject, fields, pv, reqID string
	prev, hash                 []byte
	fieldBuf                   []string
}

func (r *entryRow) scan(rows *sql.Rows, e *audit.Entry) error {
	if err := rows.Scan(&r.seq, &r.at, &r.actor, &r.action, &r.kind, &r.id, &r.subject, &r.fields,
		&r.pv, &r.reqID, &r.format, &r.prev, &r.hash); err != nil {
		return &audit.CorruptError{Seq: uint64(r.seq) + 1, Reason: "row cannot be read: " + err.Error()}
	}
	*e = audit.Entry{
		Seq: uint64(r.seq), Time: time.UnixMilli(r.at).UTC(), Actor: audit.Actor(r.actor), Action: audit.Action(r.action),
		ObjectKind: r.kind, ObjectID: r.id, Subject: audit.Pseudonym(r.subject),
		PolicyVersion: r.pv, RequestID: r.reqID, Format: uint8(r.format),
	}
	if r.format < 0 || r.format > 255 {
		e.Format = 0
	}
	r.fieldBuf = r.fieldBuf[:0]
	if r.fields != "" {
		r.fieldBuf = append(r.fieldBuf, strings.Split(r.fields, ",")...)
	}
	e.Fields = r.fieldBuf
	var err error
	if e.PrevHash, err = hashOf(r.prev, false); err != nil {
		return &audit.CorruptError{Seq: e.Seq, Reason: "prev_hash: " + err.Error()}
	}
	if e.Hash, err = hashOf(r.hash, false); err != nil {
		return &audit.CorruptError{Seq: e.Seq, Reason: "hash: " + err.Error()}
	}
	return nil
}

// List returns up to page.Limit entries matching f, newest first, and the
// page that continues below them (keyset pagination on seq, never OFFSET).
// It serves the staff page /staff/audit and 'audit tail'.
func (l *AuditLog) List(ctx context.Context, f audit.Filter, page audit.Page) ([]audit.Entry, audit.Page, error) {
	limit := page.Limit
	if limit <= 0 || limit > audit.MaxPageLimit {
		limit = audit.MaxPageLimit
	}
	var where []string
	var args []any
	// add appends the condition "col op" on the next parameter, v.
	add := func(colOp string, v any) {
		args = append(args, v)
		where = append(where, colOp+" "+placeholder(len(args)))
	}
	// Each equality filter has an index on (column, seq): audit_log_action,
	// audit_log_actor; audit_log_subject on (epoch, subject, seq).
	if f.Subject != "" {
		epochs, err := l.epochs(ctx, page.Before)
		if err != nil {
			return nil, audit.Page{}, fmt.Errorf("store: audit list: %w", err)
		}
		if len(epochs) == 0 {
			return nil, audit.Page{Limit: limit}, nil
		}
		cond, arg := in(l.s.dialect, auditEpochExpr, len(args)+1, epochs)
		args = append(args, arg)
		where = append(where, cond)
		add("subject =", string(f.Subject))
	}
	if f.Action != "" {
		add("action =", string(f.Action))
	}
	if f.Actor != "" {
		add("actor =", string(f.Actor))
	}
	if f.ObjectKind != "" {
		add("object_kind =", f.ObjectKind)
	}
	if f.ObjectID != "" {
		add("object_id =", f.ObjectID)
	}
	if !f.From.IsZero() {
		add("at >=", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("at <", f.To.UnixMilli())
	}
	if page.Before > 0 {
		add("seq <", int64(page.Before))
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if f.Subject != "" && l.s.dialect == SQLite {
		// A person's entries are few; without statistics SQLite would
		// rather walk every entry of the action or actor filtered too.
		q += ` INDEXED BY audit_log_subject`
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += ` ORDER BY seq DESC LIMIT ` + placeholder(len(args))
	var out []audit.Entry
	err := l.scan(ctx, q, args, func(e *audit.Entry) error {
		c := *e
		c.Fields = append([]string(nil), e.Fields...)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, audit.Page{}, fmt.Errorf("store: audit list: %w", err)
	}
	next := audit.Page{Limit: limit}
	if len(out) == limit {
		next.Before = out[len(out)-1].Seq
	}
	return out, next, nil
}

// auditEpochBits is the shift of audit_log_subject's leading column,
// (seq >> 12) in migration 0011: 4096 entries to an epoch. A batch of
// appends about many people lands in the current epoch's part of the
// index, a few dozen pages, instead of one page per person anywhere in an
// index as large as the log (issue 5: batched appends with many distinct
// subjects). The price is one index probe per epoch when listing a
// person's entries: 245 for a million entries.
const auditEpochBits = 12

// auditEpochExpr is an entry's epoch written as audit_log_subject's
// expression, so the index serves a condition on it (List's IN list of
// epochs: an index probe per epoch).
var auditEpochExpr = `(seq >> ` + strconv.Itoa(auditEpochBits) + `)`

// epochs returns the epochs that may hold entries below before (0: all),
// newest first.
func (l *AuditLog) epochs(ctx context.Context, before uint64) ([]int64, error) {
	var top sql.NullInt64
	if err := l.s.read.QueryRowContext(ctx, `SELECT MAX(seq) FROM audit_log`).Scan(&top); err != nil {
		return nil, err
	}
	upper := top.Int64
	if before > 0 {
		upper = min(upper, int64(before)-1)
	}
	if !top.Valid || upper < 1 {
		return nil, nil
	}
	out := make([]int64, 0, upper>>auditEpochBits+1)
	for e := upper >> auditEpochBits; e >= 0; e-- {
		out = append(out, e)
	}
	return out, nil
}

// auditChunkSelect reads up to auditChunk entries as one value: each
// entry's numbers and texts joined with the unit separator (0x1f), which
// Validate keeps out of every column, then its 64 raw hash bytes, and the
// entries joined with the record separator (0x1e). Verification reads
// every row, and the pure-Go driver's cost is per row handed out (issue 5
// and 15: 1,000,000 entries in under a second): a row per entry cost 1.2 s
// of CPU for a million entries on this machine, a row per chunk 0.85 s
// (2026-12-05). concat_ws builds each entry's text once, where a chain of
// || copied the growing string at every step.
//
// Scan reads the table's pages instead wherever it can (scanPages, about
// a third less CPU); this query reads a database it cannot read that way.
//
// A range of the rowid (seq is the rowid) is read in rowid order;
// scanChunks checks the numbers anyway, so an entry out of place is a
// break, never a silent skip.
const auditChunkSelect = `SELECT group_concat(concat_ws(char(31), seq, at, format, actor, action, object_kind,
	object_id, subject, fields, policy_version, request_id, prev_hash || hash), char(30))
	FROM audit_log WHERE seq >= $1 AND seq <= $2`

// auditChunk is the most entries auditChunkSelect reads at once (about
// 200 KB of text).
const auditChunk = 1000

// errAuditRow is why an entry that does not split into its columns is
// corrupt.
const errAuditRow = "row cannot be read: a column holds a separator, a non-number or a hash of the wrong length"

// scanSQLite is Scan on SQLite: the entries from..to, all read in one read
// transaction (one snapshot), from the table's pages (scanPages) or, for
// a database that cannot be read that way, in chunks (scanChunks).
func (l *AuditLog) scanSQLite(ctx context.Context, from, to int64, fn func(*audit.Entry) error) error {
	return l.inSnapshot(ctx, from, to, func(tx *sql.Tx, to int64) error {
		if err := l.scanPages(ctx, tx, from, to, fn); !errors.Is(err, errNoPageScan) {
			return err
		}
		return scanChunks(ctx, tx, from, to, fn)
	})
}

// inSnapshot runs scan in a read transaction with to bounded by the
// snapshot's last entry.
func (l *AuditLog) inSnapshot(ctx context.Context, from, to int64, scan func(tx *sql.Tx, to int64) error) error {
	tx, err := l.s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	defer tx.Rollback()
	// The snapshot's last entry bounds the chunks: a chunk with nothing in
	// it is entries deleted, not the end.
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(seq) FROM audit_log`).Scan(&top); err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	return scan(tx, min(to, top.Int64))
}

// scanChunks reads the entries from..to in tx with auditChunkSelect.
func scanChunks(ctx context.Context, tx *sql.Tx, from, to int64, fn func(*audit.Entry) error) error {
	stmt, err := tx.PrepareContext(ctx, auditChunkSelect)
	if err != nil {
		return fmt.Errorf("store: audit scan: %w", err)
	}
	defer stmt.Close()
	c := chunkReader{next: uint64(from)}
	for lo := from; lo <= to; {
		hi := to
		if to-lo >= auditChunk {
			hi = lo + auditChunk - 1
		}
		var text sql.NullString
		if err := stmt.QueryRowContext(ctx, lo, hi).Scan(&text); err != nil {
			return fmt.Errorf("store: audit scan: %w", err)
		}
		if err := c.read(text.String, fn); err != nil {
			return err
		}
		if hi == to {
			break
		}
		lo = hi + 1
		if !text.Valid {
			// Every entry of the chunk is gone (the caller finds the gap by
			// the numbers around it): go on at the next entry there is, so
			// an entry renumbered far past the others costs one query, not
			// one per empty chunk.
			var next sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MIN(seq) FROM audit_log WHERE seq >= $1`, lo).Scan(&next); err != nil {
				return fmt.Errorf("store: audit scan: %w", err)
			}
			if !next.Valid {
				break
			}
			lo = next.Int64
		}
	}
	return nil
}

// chunkReader splits auditChunkSelect's text into entries. Every column
// is a substring of the chunk's one string, so an entry costs no
// allocation of its own.
type chunkReader struct {
	e      audit.Entry
	fields []string
	// next is the entry expected next, named in a CorruptError.
	next uint64
}

func (c *chunkReader) read(text string, fn func(*audit.Entry) error) error {
	var parts [11]string
	for len(text) > 0 {
		// Eleven columns, each ended by a separator; the numbers are
		// checked below, and a column that held a separator (or was left
		// out for being NULL) shifts what follows, which the hashes' fixed
		// length and the record separator after them then catch.
		ok := true
		for i := range parts {
			j := strings.IndexByte(text, 0x1f)
			if j < 0 {
				ok = false
				break
			}
			parts[i], text = text[:j], text[j+1:]
		}
		var hashes string
		if ok && len(text) >= 64 && (len(text) == 64 || text[64] == 0x1e) {
			hashes, text = text[:64], text[min(65, len(text)):]
		} else {
			ok = false
		}
		seq, err1 := strconv.ParseUint(parts[0], 10, 64)
		at, err2 := strconv.ParseInt(parts[1], 10, 64)
		format, err3 := strconv.ParseUint(parts[2], 10, 8)
		if !ok || err1 != nil || err2 != nil || err3 != nil {
			return &audit.CorruptError{Seq: c.next, Reason: errAuditRow}
		}
		c.fields = c.fields[:0]
		if parts[8] != "" {
			for f := range strings.SplitSeq(parts[8], ",") {
				c.fields = append(c.fields, f)
			}
		}
		c.e = audit.Entry{
			Seq: seq, Time: time.UnixMilli(at).UTC(), Format: uint8(format),
			Actor: audit.Actor(parts[3]), Action: audit.Action(parts[4]), ObjectKind: parts[5],
			ObjectID: parts[6], Subject: audit.Pseudonym(parts[7]), Fields: c.fields,
			PolicyVersion: parts[9], RequestID: parts[10],
		}
		copy(c.e.PrevHash[:], hashes[:32])
		copy(c.e.Hash[:], hashes[32:])
		if err := fn(&c.e); err != nil {
			return err
		}
		c.next = seq + 1
	}
	return nil
}
