// Package store keeps all of Steward's data in SQL: SQLite (embedded, the
// default) or PostgreSQL. The SQL is shared; the two differ only in the
// Dialect value and the driver.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"steward"
	"steward/audit"
)

// Dialect names the SQL engine behind a Store.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is an open database with its schema migrated.
//
// The store's methods follow one rule (issue 12): a read is a method on
// *Store, a change is a method on *Tx, and a read that a transaction needs
// as well (to act on exactly what it read) is written once, on *Reader,
// which both embed. No function takes a querier, a Store or a Tx as an
// argument instead.
type Store struct {
	// Reader runs the shared reads on the read pool: what is committed.
	*Reader
	// write takes every transaction that writes. On SQLite it holds one
	// connection so writers queue in Go instead of failing with "database
	// is locked"; transactions start IMMEDIATE so they never upgrade a read
	// lock mid-way.
	write *sql.DB
	// wstmts, on SQLite, holds statements prepared on the writer
	// (stmtCache); nil on PostgreSQL, whose driver caches them itself.
	wstmts *stmtCache
	// read serves read-only queries; on SQLite a pool of its own so readers
	// never wait for the writer (WAL), on PostgreSQL the same pool as write.
	read    *sql.DB
	dialect Dialect
	dsn     string
	// audit signs heads and checkpoints of the audit log (audit.go).
	audit auditConfig
	// fileMode is the SQLite file's permission bits when it was opened.
	fileMode fs.FileMode
	// onLMSQueued is called after a transaction that wrote LMS outbox
	// rows commits (OnLMSQueued).
	onLMSQueued atomic.Pointer[func()]
	// unchecked, on SQLite, is the writer pool's second connection, with
	// foreign keys off, taken out of the pool for InErasureTx (erasure.go).
	unchecked struct {
		mu   sync.Mutex
		conn *sql.Conn
	}
	// checkpoints, on SQLite, copies the WAL into the database file
	// beside the writer (checkpoint.go); nil on PostgreSQL.
	checkpoints *checkpointer
}

// Open connects to the database named by dsn: "sqlite:PATH" (the file is
// created) or a "postgres://" URL. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s, err := open(dsn)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		s.Close()
		return nil, steward.Errorf(steward.EUNAVAILABLE, "error.cannot_reach_database", "redacted", s.Redacted(), "err", s.oneLine(err))
	}
	return s, nil
}

// OpenExisting is Open for a command that works on a database already
// made by 'steward migrate' or 'steward serve': a SQLite file that does not
// exist is refused before anything is created, and a database without
// Steward's schema (an empty file, a fresh PostgreSQL database) is refused
// before anything is written to it (issue 13). It does not migrate.
func OpenExisting(ctx context.Context, dsn string) (*Store, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok && path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, steward.Errorf(steward.ENOTFOUND, "error.no_database", "db", dsn)
		}
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	has, err := s.hasSchema(ctx)
	if err == nil && !has {
		err = steward.Errorf(steward.ENOTFOUND, "error.no_database", "db", s.Redacted())
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// hasSchema reports whether the database has Steward's migrations table.
func (s *Store) hasSchema(ctx context.Context) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if s.dialect == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	var n int
	if err := s.read.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("store: look for the schema: %w", err)
	}
	return n > 0, nil
}

func open(dsn string) (*Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, steward.Errorf(steward.EINVALID, "error.database_sqlite_needs_file")
		}
		if dir := filepath.Dir(path); dir != "." {
			if _, err := os.Stat(dir); err != nil {
				return nil, steward.Errorf(steward.EINVALID, "error.database_directory_missing", "dir", dir)
			}
		}
		mode, err := prepareSQLiteFile(path)
		if err != nil {
			return nil, err
		}
		pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
		// The writer gets a 64 MiB page cache and in-memory temporary files:
		// appends to indexes with random keys (audit_log_subject) otherwise
		// reread and rewrite pages, and statement journals go to disk.
		w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=cache_size(-65536)&_pragma=temp_store(2)&_txlock=immediate"+
			fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", writerCheckpointPages))
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		r.SetMaxOpenConns(4)
		// Keep every reader open: with database/sql's default of two idle
		// connections the other two were closed after each burst and
		// reopened with a fresh schema parse (18% of a profile read's CPU
		// under load, issue 15).
		r.SetMaxIdleConns(4)
		r.SetConnMaxIdleTime(0)
		c, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		stmts := &stmtCache{db: r, m: map[string]*sql.Stmt{}}
		wstmts := &stmtCache{db: w, m: map[string]*sql.Stmt{}}
		return &Store{Reader: &Reader{q: r, dialect: SQLite, stmts: stmts}, write: w, read: r, wstmts: wstmts, dialect: SQLite, dsn: dsn, fileMode: mode,
			checkpoints: startCheckpointer(c)}, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, steward.Errorf(steward.EINVALID, "error.database_bad_postgresql_url", "err", err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		return &Store{Reader: &Reader{q: db, dialect: Postgres}, write: db, read: db, dialect: Postgres, dsn: dsn}, nil
	default:
		return nil, steward.Errorf(steward.EINVALID, "error.database_is_neither_sqlite", "dsn", redact(dsn))
	}
}

// Dialect tells which engine the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Redacted returns the DSN with any password hidden, for messages.
func (s *Store) Redacted() string { return redact(s.dsn) }

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Ping checks that the database answers (used by /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close releases the connections.
func (s *Store) Close() error {
	err := s.closeUnchecked()
	if s.Reader.stmts != nil {
		err = errors.Join(err, s.Reader.stmts.close(), s.wstmts.close())
	}
	if s.checkpoints != nil {
		err = errors.Join(err, s.checkpoints.stop())
	}
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Read returns the pool for read-only queries.
func (s *Store) Read() *sql.DB { return s.read }

// Reader holds the reads that both the read pool and a write transaction
// run: Store embeds one over its read pool, Tx one over the transaction,
// so s.ConsentStates reads what is committed and tx.ConsentStates what the
// transaction will commit against (issue 6: a withdrawal takes effect at
// once), from one method. A domain type that reads in either place holds
// a *Reader (consent.StoreConsents).
type Reader struct {
	q       querier
	dialect Dialect
	// stmts, on a SQLite store only, keeps the hot statements prepared
	// (Reader.hotRow): the read pool's, or in a transaction the writer's,
	// which then runs them through tx.
	stmts *stmtCache
	tx    *sql.Tx
	// batchIDs is what batchIDsTable holds in the transaction tx
	// (batchIn); nil before its first use.
	batchIDs *[]string
}

// stmtCache holds statements prepared on a SQLite read pool, by their text.
// database/sql prepares each on a connection the first time it runs there
// and reuses it afterwards, so a hot read (a session, an account, a
// profile: every authenticated request) is parsed once per connection
// instead of at every request — sqlite3_prepare_v2 was a third of a
// profile read's CPU (issue 15). PostgreSQL needs none: pgx caches the
// statements it prepares per connection itself.
//
// On the writer a statement cannot be prepared inside a transaction: the
// pool's one connection is the transaction's. A statement met there for
// the first time runs as text and is noted (wanted); InTx prepares the
// noted ones once the transaction has ended, so from the next one on an
// INSERT of a hot path (an xAPI batch's records, the statements' ids) is
// parsed once, not at every request (issue 16).
type stmtCache struct {
	db     *sql.DB
	mu     sync.RWMutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
}

// stmtCacheMax bounds a cache: a text built from its data (a multi-row
// INSERT of n rows) stays a handful of texts in practice, but nothing
// may grow without end.
const stmtCacheMax = 512

// errCacheFull says a statement is run as text: the cache holds
// stmtCacheMax.
var errCacheFull = errors.New("store: statement cache full")

// prepared returns the statement of query prepared on the writer, nil
// (noting query) if it is not yet.
func (c *stmtCache) prepared(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	if len(c.m)+len(c.wanted) < stmtCacheMax {
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[query] = true
	}
	c.mu.Unlock()
	return nil
}

// prepareWanted prepares the statements noted since the last call. One
// that cannot be prepared is dropped: it keeps running as text.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var qs []string
	for q := range c.wanted {
		qs = append(qs, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	// Not under the lock: preparing waits for the writer's connection,
	// which a transaction that needs the lock may hold.
	for _, q := range qs {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, had := c.m[q]; had {
			st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if len(c.m) >= stmtCacheMax {
		return nil, errCacheFull
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for q, st := range c.m {
		err = errors.Join(err, st.Close())
		delete(c.m, q)
	}
	return err
}

// hotRow is QueryRowContext for a read every request makes, with a fixed
// text: prepared once per connection on a SQLite store's read pool, run
// as it is everywhere else (in a transaction, on PostgreSQL).
func (r *Reader) hotRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.hot(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.q.QueryRowContext(ctx, query, args...)
}

// hotRows is hotRow for a read of several rows.
func (r *Reader) hotRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.hot(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.q.QueryContext(ctx, query, args...)
}

// hot returns query prepared where r runs (stmtCache), nil to run it as
// text.
func (r *Reader) hot(ctx context.Context, query string) *sql.Stmt {
	switch {
	case r.stmts == nil:
		return nil
	case r.tx != nil:
		if st := r.stmts.prepared(query); st != nil {
			return r.tx.StmtContext(ctx, st)
		}
		return nil
	}
	st, err := r.stmts.stmt(ctx, query)
	if err != nil {
		return nil
	}
	return st
}

// hotExec is ExecContext for a write with a fixed text that a hot path
// runs (an xAPI batch's INSERTs): prepared on a SQLite writer (stmtCache).
func (tx *Tx) hotExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.hot(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// querier is what a Reader reads through: *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// eachRow runs a read and calls row for each row of its result.
func (r *Reader) eachRow(ctx context.Context, query string, args []any, row func(*sql.Rows) error) error {
	rows, err := r.q.QueryContext(ctx, query, args...)
	return eachOf(rows, err, row)
}

// eachHotRow is eachRow for a read with a fixed text (eachRowIn's: the
// values travel as one parameter), kept prepared as hotRows does.
func (r *Reader) eachHotRow(ctx context.Context, query string, args []any, row func(*sql.Rows) error) error {
	rows, err := r.hotRows(ctx, query, args...)
	return eachOf(rows, err, row)
}

// eachOf calls row for each row of a read's result.
func eachOf(rows *sql.Rows, err error, row func(*sql.Rows) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rowsOf runs a read and returns its rows, each read by scan.
func rowsOf[T any](ctx context.Context, r *Reader, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := r.eachRow(ctx, query, args, func(rows *sql.Rows) error {
		v, err := scan(rows)
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Tx is a write transaction. Every multi-row change and the audit entries
// recording it run in one Tx.
type Tx struct {
	*sql.Tx
	// Reader runs the shared reads inside the transaction.
	*Reader
	Dialect Dialect
	store   *Store
	// audit holds the entries appended in this transaction until they are
	// linked into the chain just before commit (audit.go).
	audit []audit.Entry
	// head is the audit head linkAudit moved to, remembered by the store
	// once the transaction commits.
	head *headCache
	// lmsQueued is set when the transaction wrote LMS outbox rows, so the
	// store's OnLMSQueued is called once it has committed.
	lmsQueued bool
	// unchecked is set in a SQLite transaction that runs without foreign
	// keys (InErasureTx): the erasure deletes by hand what their ON
	// DELETE actions would have (erasure.go).
	noForeignKeys bool
}

// InTx runs fn in one write transaction, committing if fn returns nil and
// rolling back otherwise (also when fn panics).
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) (err error) {
	if s.wstmts != nil {
		// Statements first met in this transaction are prepared once it
		// has committed or rolled back (deferred first, so run last) and
		// the writer's one connection is free.
		defer s.wstmts.prepareWanted(ctx)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	return s.runTx(ctx, tx, false, fn)
}

// runTx runs fn in the begun transaction tx and commits or rolls it back
// (InTx). unchecked says tx runs without foreign keys (InErasureTx).
func (s *Store) runTx(ctx context.Context, tx *sql.Tx, unchecked bool, fn func(*Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	t := &Tx{Tx: tx, Reader: &Reader{q: tx, dialect: s.dialect, stmts: s.wstmts, tx: tx}, Dialect: s.dialect, store: s, noForeignKeys: unchecked}
	if err = fn(t); err != nil {
		return err
	}
	if err = t.linkAudit(ctx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		// Whether the head moved is unknown: read it at the next append.
		s.audit.head.forget()
		return fmt.Errorf("store: commit: %w", err)
	}
	if t.head != nil {
		s.audit.head.set(t.head.seq, t.head.hash)
	}
	if s.checkpoints != nil {
		s.checkpoints.wake()
	}
	if t.lmsQueued {
		if fn := s.onLMSQueued.Load(); fn != nil {
			(*fn)()
		}
	}
	return nil
}

// OnLMSQueued has fn called after every transaction that wrote messages
// for the learning environment commits (serve: the LMS dispatcher's
// Notify, so an enrolment or an erasure reaches the LMS at once instead
// of at the next poll). fn must not block.
func (s *Store) OnLMSQueued(fn func()) { s.onLMSQueued.Store(&fn) }

// oneLine makes an error one line that still says why: pgx puts the
// reason (connection refused, password authentication failed, database
// does not exist) on the lines after "failed to connect to ...:", once per
// address tried, often twice alike (with and without TLS). The lines are
// joined with their whitespace collapsed and repeats dropped, and the DSN's
// password, should a driver ever echo it, is masked.
func (s *Store) oneLine(err error) string {
	var parts []string
	seen := map[string]bool{}
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		parts = append(parts, line)
	}
	msg := ""
	for i, p := range parts {
		switch {
		case i == 0:
		case strings.HasSuffix(parts[i-1], ":"):
			msg += " "
		default:
			msg += "; "
		}
		msg += p
	}
	if u, err := url.Parse(s.dsn); err == nil && u.User != nil {
		if pw, has := u.User.Password(); has && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// KeySetting names the settings row that holds the id of one of the
// installation's keys (never the key): the database remembers which key it
// was first used with, so a command run with another key, or without its
// key file (in another directory, say), is refused instead of making a
// new one (issue 13).
type KeySetting string

// The keys whose ids a database records.
const (
	// DataKeySetting: the data key that seals sensitive fields (R3).
	DataKeySetting KeySetting = "data_key_id"
	// AuditKeySetting: the audit log's signing key (G2).
	AuditKeySetting KeySetting = "audit_key_id"
	// ConsentKeySetting: the consent key that signs receipts, cookie
	// choices and unsubscribe links.
	ConsentKeySetting KeySetting = "consent_key_id"
)

// KeyID returns the id of the key recorded under name, or "" when none
// has been recorded yet.
func (s *Store) KeyID(ctx context.Context, name KeySetting) (string, error) {
	var id string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, string(name)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", name, err)
	}
	return id, nil
}

// ClaimKey records id under name unless an id is recorded already, and
// returns the id recorded: id itself, or the one recorded before (by an
// earlier start, or a process starting at the same moment), which the
// caller must compare with its own. Only the id is stored, never the key.
func (s *Store) ClaimKey(ctx context.Context, name KeySetting, id string, at time.Time) (string, error) {
	var got string
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, set_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, string(name), id, at.UnixMilli()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, string(name)).Scan(&got)
	})
	if err != nil {
		return "", fmt.Errorf("store: record %s: %w", name, err)
	}
	return got, nil
}

// DataKeyID returns the id of the data key the database's sensitive
// fields are sealed with (R3), or "" when no key has been used with it yet.
func (s *Store) DataKeyID(ctx context.Context) (string, error) {
	return s.KeyID(ctx, DataKeySetting)
}

// ClaimDataKey is ClaimKey for the data key.
func (s *Store) ClaimDataKey(ctx context.Context, id string, at time.Time) (string, error) {
	return s.ClaimKey(ctx, DataKeySetting, id, at)
}

// HasSealedValues reports whether the database holds a sealed value (R3),
// for a database used before the data key's id was recorded. Sealed
// values start with "v1:" (account.IsSealed).
func (s *Store) HasSealedValues(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM profile_values WHERE value LIKE 'v1:%' LIMIT 1) p) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM record_values WHERE value LIKE 'v1:%' LIMIT 1) r)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: look for sealed values: %w", err)
	}
	return n > 0, nil
}

// nowMillis is the wall clock for operational bookkeeping (when a migration
// ran). Domain times come from the injected clock, never from here.
func nowMillis() int64 { return time.Now().UnixMilli() }
