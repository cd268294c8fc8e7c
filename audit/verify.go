package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"steward"
)

// Source is the log as Verify reads it; the store implements it.
type Source interface {
	// Head returns the sealed head (Seq 0 for an empty log).
	Head(ctx context.Context) (Head, error)
	// Checkpoints returns every checkpoint, by size.
	Checkpoints(ctx context.Context) ([]Checkpoint, error)
	// Genesis returns the log's genesis record (GenesisMissing when it
	// is gone).
	Genesis(ctx context.Context) (Genesis, error)
	// HashAt returns the stored hash of entry seq, false if there is none.
	HashAt(ctx context.Context, seq uint64) (Hash, bool, error)
	// Scan calls fn for every entry with from <= Seq <= to (to 0: no
	// upper bound), in order of Seq,
	// from one consistent snapshot. A row that cannot be read as an entry
	// is reported as a *CorruptError. The *Entry is reused between calls.
	Scan(ctx context.Context, from, to uint64, fn func(*Entry) error) error
}

// CorruptError is a stored entry that cannot even be read as one (a hash of
// the wrong length, a time that is not a number): tampering, for Verify.
type CorruptError struct {
	Seq    uint64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("audit: entry %d is corrupt: %s", e.Seq, e.Reason)
}

// VerifyOptions says what Verify checks.
type VerifyOptions struct {
	// From is the first entry whose content is checked (default 1). The
	// entry before it is trusted as the anchor.
	From uint64
	// Key verifies the head and checkpoint signatures; without it only the
	// chain is checked, which cannot detect truncation or a rewrite.
	Key ed25519.PublicKey
	// CheckpointEvery, if not 0, requires a checkpoint at every multiple.
	CheckpointEvery uint64
	// External are checkpoints kept outside the database (the lines
	// 'steward audit checkpoint' printed; ParseCheckpointLine). Each must
	// be signed by Key (when given) and the log must still hold its entry
	// with its hash: a log rolled back to before one, or rewritten, even by
	// someone holding the key, is broken.
	External []Checkpoint
	// SegmentSize is the fewest entries worth scanning in parallel
	// (0: 50,000); tests set it low to exercise the stitching.
	SegmentSize uint64
}

// Report is what Verify found.
type Report struct {
	// Checked counts the entries whose content and links were checked.
	Checked uint64
	// Head is the sealed head the log was checked against.
	Head Head
	// Checkpoints counts the stored checkpoints checked.
	Checkpoints int
	// External counts the checkpoints kept outside the database checked
	// (VerifyOptions.External).
	External int
	// Genesis is the genesis record the log was checked against.
	Genesis Genesis
	// Signed tells whether signatures were checked (a key was given).
	Signed bool
	// Broken is the first broken entry, nil if the log is intact.
	Broken *Break
}

// Break is where the log stops being trustworthy, and why.
type Break struct {
	Seq    uint64
	Reason string
}

func (b *Break) String() string { return fmt.Sprintf("entry %d: %s", b.Seq, b.Reason) }

// errStop ends a scan at the first break.
var errStop = errors.New("stop")

// Verify checks the whole log (from opt.From on): every entry present and
// numbered without gaps, each linking to the one before, each matching its
// own hash, the last one matching the signed head, and every checkpoint —
// stored, and kept outside the database (opt.External) — and the genesis
// signed and matching its entry. It detects a byte changed in any column,
// a deleted, swapped or forged entry, a cut-off tail (also one cut back to
// a checkpoint whose signature was copied into the head), a rewritten
// chain (G2) and a wiped log (issue 14); with checkpoints kept outside,
// also a log rolled back or rewritten by someone holding the key. A broken
// log is a Report with Broken set, not an error; errors are failures to
// read.
func Verify(ctx context.Context, src Source, opt VerifyOptions) (*Report, error) {
	v := &verifier{src: src, opt: opt, r: &Report{Signed: opt.Key != nil}, from: max(opt.From, 1)}
	if err := v.readAnchors(ctx); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{v.scanEntries, v.checkHead, v.checkVouchers, v.checkEvery}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
	}
	v.r.Broken = v.firstBreak()
	return v.r, nil
}

// verifier is one run of Verify: what it read, where the scan ended, and
// every break found, of which the earliest is reported.
type verifier struct {
	src  Source
	opt  VerifyOptions
	r    *Report
	from uint64

	head     Head
	cps      []Checkpoint
	genesis  Genesis
	cpAt     anchors
	conflict map[uint64]bool // kept lines giving one entry two hashes

	// last and lastHash are the last entry checked, in order, from the
	// anchor before from on.
	last     uint64
	lastHash Hash
	breaks   []Break
}

func (v *verifier) fail(seq uint64, format string, args ...any) {
	v.breaks = append(v.breaks, Break{Seq: seq, Reason: fmt.Sprintf(format, args...)})
}

// firstBreak is the earliest entry found broken, nil if none.
func (v *verifier) firstBreak() *Break {
	var first *Break
	for i := range v.breaks {
		if first == nil || v.breaks[i].Seq < first.Seq {
			first = &v.breaks[i]
		}
	}
	return first
}

// readAnchors reads what the entries are checked against: the head, the
// stored checkpoints, the genesis, the hash of the entry before from, and
// the checkpoints kept outside the database.
func (v *verifier) readAnchors(ctx context.Context) error {
	var err error
	if v.head, err = v.src.Head(ctx); err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}
	if v.cps, err = v.src.Checkpoints(ctx); err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}
	if v.genesis, err = v.src.Genesis(ctx); err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}
	v.r.Genesis = v.genesis
	v.last = v.from - 1
	if v.from > 1 {
		h, ok, err := v.src.HashAt(ctx, v.from-1)
		if err != nil {
			return fmt.Errorf("audit: verify: %w", err)
		}
		if !ok {
			if v.from-1 > v.head.Seq {
				return steward.Errorf(steward.EINVALID, "error.from_log_has_entries", "from", v.from, "seq", v.head.Seq)
			}
			v.fail(v.from-1, "entry is missing: it was deleted")
		}
		v.lastHash = h
	}
	v.cpAt = anchors{stored: make(map[uint64]Hash, len(v.cps))}
	for _, cp := range v.cps {
		v.cpAt.stored[cp.Size] = cp.Hash
	}
	// Two kept lines giving one entry two hashes cannot both be true: if
	// both are signed, the key signed two histories.
	for _, cp := range v.opt.External {
		if v.cpAt.kept == nil {
			v.cpAt.kept = make(map[uint64]Hash, len(v.opt.External))
		}
		if h, ok := v.cpAt.kept[cp.Size]; ok && h != cp.Hash {
			if v.conflict == nil {
				v.conflict = map[uint64]bool{}
			}
			v.conflict[cp.Size] = true
		}
		v.cpAt.kept[cp.Size] = cp.Hash
	}
	for size := range v.conflict {
		delete(v.cpAt.kept, size)
	}
	v.cpAt.sort()
	return nil
}

// scanEntries checks the entries in segments scanned in parallel (hashing
// and, above all, reading rows cost CPU; issue 5 wants 1,000,000 entries
// in under a second), stitched together, and then any the scan went past
// the head read at the start for.
func (v *verifier) scanEntries(ctx context.Context) error {
	if len(v.breaks) > 0 {
		return nil
	}
	if err := v.stitch(scanSegments(ctx, v.src, v.cpAt, v.from, v.head.Seq, v.segmentSize())); err != nil {
		return err
	}
	// The scan may have gone past the head read at the start: appends
	// committed meanwhile, or entries forged without moving the head.
	for len(v.breaks) == 0 && v.last > v.head.Seq {
		var err error
		if v.head, err = v.src.Head(ctx); err != nil {
			return err
		}
		switch {
		case v.head.Seq < v.last && v.head.Seq == 0:
			v.fail(1, "the sealed head says the log is empty: the head was deleted or reset")
		case v.head.Seq < v.last:
			v.fail(v.head.Seq+1, "entry is not covered by the sealed head: it was appended without the key")
		case v.head.Seq > v.last:
			// Entries up to the head that are not there are reported below.
			if err := v.stitch(scanSegments(ctx, v.src, v.cpAt, v.last+1, v.last, v.segmentSize())); err != nil {
				return err
			}
		}
		if v.head.Seq >= v.last {
			break
		}
	}
	return nil
}

func (v *verifier) segmentSize() uint64 {
	if v.opt.SegmentSize == 0 {
		return defaultSegment
	}
	return v.opt.SegmentSize
}

// stitch adds up segments checked in parallel and checks that each one's
// first entry links to the last of the one before; it stops at the first
// break.
func (v *verifier) stitch(segs []segment) error {
	for i := range segs {
		sg := &segs[i]
		if sg.err != nil {
			return sg.err
		}
		if sg.skipped {
			// scanSegments skips only segments after a broken one, where
			// this loop has stopped already.
			return fmt.Errorf("audit: entries %d-%d were not scanned", sg.lo, sg.hi)
		}
		v.r.Checked += sg.checked
		if sg.checked > 0 && sg.firstPrev != v.lastHash {
			v.fail(sg.lo, "prev_hash does not match the hash of entry %d: entries were deleted, swapped or rewritten", sg.lo-1)
		}
		if sg.brk != nil {
			v.breaks = append(v.breaks, *sg.brk)
		}
		if len(v.breaks) > 0 {
			return nil
		}
		v.last, v.lastHash = sg.last, sg.lastHash
	}
	return nil
}

// checkHead holds the entries to the sealed head: none cut off after the
// last one found, the last one's hash the head's, and the head signed as
// a head.
func (v *verifier) checkHead(context.Context) error {
	head := v.head
	v.r.Head = head
	if len(v.breaks) == 0 && v.last < head.Seq {
		v.fail(v.last+1, "the log ends at entry %d but its sealed head says %d: the tail was cut off", v.last, head.Seq)
	}
	if len(v.breaks) == 0 && head.Seq > 0 && v.last == head.Seq && v.lastHash != head.Hash {
		v.fail(head.Seq, "hash differs from the sealed head: the chain was rewritten")
	}
	if v.opt.Key != nil && head.Seq > 0 && !head.Verify(v.opt.Key) {
		if (Checkpoint{Size: head.Seq, Hash: head.Hash, KeyID: head.KeyID, Signature: head.Signature}).Verify(v.opt.Key) {
			// The signature states only that entry Seq has this hash, not
			// that the log ends there: copied from checkpoint Seq to hide
			// that the entries after it were deleted.
			v.fail(head.Seq+1, "the sealed head carries checkpoint %d's signature, not a head's: the log was cut back to that checkpoint and the entries after it were deleted", head.Seq)
		} else {
			v.fail(head.Seq, "the head is not signed by the audit key (key %q): entries were appended or rewritten without the key", head.KeyID)
		}
	}
	return nil
}

// voucher is a signed statement that entry size has hash: a stored
// checkpoint, one kept outside the database, or the genesis. Each kind
// says in its own words what its failures mean.
type voucher struct {
	size uint64
	hash Hash
	// conflict, when set, is why the voucher cannot be believed at all.
	conflict string
	// signed reports whether the key signed it as its kind.
	signed    func(ed25519.PublicKey) bool
	notSigned string
	// beyond is the format of a log that ends before size (size, end).
	beyond string
	// differs is why an entry with another hash is broken.
	differs string
	// scanned: entries from From on were compared with it as they were
	// read (anchors), so only one before From is looked up.
	scanned bool
}

// vouchers lists the stored checkpoints, the kept ones and the sealed
// genesis, in that order.
func (v *verifier) vouchers() []voucher {
	out := make([]voucher, 0, len(v.cps)+len(v.opt.External)+1)
	for _, cp := range v.cps {
		out = append(out, voucher{size: cp.Size, hash: cp.Hash, signed: cp.Verify, scanned: true,
			notSigned: fmt.Sprintf("checkpoint is not signed by the audit key as a checkpoint (key %q)", cp.KeyID),
			beyond:    "a checkpoint vouches for %d entries but the log ends at %d: the tail was cut off",
			differs:   "hash differs from the signed checkpoint: the chain was rewritten"})
	}
	// Kept outside the database: the same checks, but neither a deleted
	// row nor a rewrite by someone holding the key escapes them.
	for _, cp := range v.opt.External {
		vc := voucher{size: cp.Size, hash: cp.Hash, signed: cp.Verify, scanned: true,
			notSigned: fmt.Sprintf("the checkpoint kept outside the database is not signed by the audit key %s (its key %q): the line was altered, or the log is checked with another key than the one that signed it", KeyID(v.opt.Key), cp.KeyID),
			beyond:    "a checkpoint kept outside the database vouches for %d entries but the log ends at %d: the log was rolled back or its tail cut off",
			differs:   keptMismatch}
		if v.conflict[cp.Size] {
			vc.conflict = "two checkpoints kept outside the database give this entry different hashes: a line was altered, or the log was rewritten by someone holding the key"
		}
		out = append(out, vc)
	}
	// The genesis, kept apart from the audit tables: a log emptied, or cut
	// back to before its first sealed entry, no longer holds the entry it
	// vouches for (issue 14).
	if g := v.genesis; g.State == GenesisSealed {
		out = append(out, voucher{size: g.Size, hash: g.Hash, signed: g.Verify,
			notSigned: fmt.Sprintf("the genesis record is not signed by the audit key as a genesis (key %q)", g.KeyID),
			beyond:    "the genesis record vouches for entry %d but the log ends at %d: the audit log was wiped or cut back",
			differs:   "hash differs from the signed genesis record: the chain was rewritten"})
	}
	return out
}

// checkVouchers holds the log to every voucher: signed by the key, none
// beyond the end, each matching its entry; and the genesis to be there.
func (v *verifier) checkVouchers(ctx context.Context) error {
	v.r.Checkpoints, v.r.External = len(v.cps), len(v.opt.External)
	switch v.genesis.State {
	case GenesisMissing:
		v.fail(1, "the genesis record is missing (settings audit_genesis): the audit log was wiped")
	case GenesisDamaged:
		v.fail(1, "the genesis record is damaged (settings audit_genesis): the audit log was tampered with")
	}
	end := max(v.last, v.head.Seq)
	vs := v.vouchers()
	signed := signedBy(v.opt.Key, vs)
	for i, vc := range vs {
		if vc.conflict != "" {
			v.fail(vc.size, "%s", vc.conflict)
			continue
		}
		if v.opt.Key != nil && !signed[i] {
			v.fail(vc.size, "%s", vc.notSigned)
		}
		switch {
		case vc.size > end:
			v.fail(end+1, vc.beyond, vc.size, end)
		case vc.scanned && vc.size >= v.from:
			// Compared with its entry as the entries were read.
		default:
			h, ok, err := v.src.HashAt(ctx, vc.size)
			if err != nil {
				return err
			}
			if !ok {
				v.fail(vc.size, "entry is missing: it was deleted")
			} else if h != vc.hash {
				v.fail(vc.size, "%s", vc.differs)
			}
		}
	}
	return nil
}

// signedBy reports for each voucher whether key signed it (all false
// without a key), checked on every CPU: a million entries carry a thousand
// checkpoints, each an ed25519 verification of some 50 µs that ran after
// the scan on one core (issue 15).
func signedBy(key ed25519.PublicKey, vs []voucher) []bool {
	ok := make([]bool, len(vs))
	if key == nil {
		return ok
	}
	workers := min(runtime.GOMAXPROCS(0), len(vs)/64+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(vs); i += workers {
				ok[i] = vs[i].signed(key)
			}
		})
	}
	wg.Wait()
	return ok
}

// checkEvery requires a stored checkpoint at every multiple of
// opt.CheckpointEvery.
func (v *verifier) checkEvery(context.Context) error {
	if v.opt.CheckpointEvery == 0 {
		return nil
	}
	end := max(v.last, v.head.Seq)
	for size := v.opt.CheckpointEvery; size <= end; size += v.opt.CheckpointEvery {
		if _, ok := v.cpAt.stored[size]; !ok {
			v.fail(size, "checkpoint is missing (deleted, or the process that appended it had no signing key)")
			break
		}
	}
	return nil
}

// anchors are the hashes signed checkpoints vouch for, by entry number:
// the stored ones, and those kept outside the database (kept, nil if none).
type anchors struct {
	stored, kept map[uint64]Hash
	// sizes are the entry numbers of both, in order: a scan compares an
	// entry with them only when it reaches the next one, where a map
	// lookup for every entry was 2% of verify's CPU (issue 15).
	sizes []uint64
}

// sort fills sizes from stored and kept.
func (a *anchors) sort() {
	a.sizes = a.sizes[:0]
	for size := range a.stored {
		a.sizes = append(a.sizes, size)
	}
	for size := range a.kept {
		if _, ok := a.stored[size]; !ok {
			a.sizes = append(a.sizes, size)
		}
	}
	slices.Sort(a.sizes)
}

// from returns the sizes at or after seq.
func (a *anchors) from(seq uint64) []uint64 {
	i, _ := slices.BinarySearch(a.sizes, seq)
	return a.sizes[i:]
}

// keptMismatch is why an entry that differs from a checkpoint kept outside
// the database is broken.
const keptMismatch = "hash differs from the checkpoint kept outside the database: the log was rewritten, or rolled back and appended to again, at or before this entry"

// defaultSegment is the fewest entries worth a parallel scan of their own.
const defaultSegment = 50_000

// segment is a range of entries checked on its own: every entry present,
// in order, matching its hash and its checkpoint, each linking to the one
// before — except the first, whose link Verify checks when it stitches the
// segments together.
type segment struct {
	lo, hi    uint64 // hi 0: to the end of the log
	firstPrev Hash
	last      uint64
	lastHash  Hash
	checked   uint64
	brk       *Break
	err       error
	// skipped: not scanned, for an earlier segment was found broken.
	skipped bool
}

// segmentsPerWorker is how many segments each scanning goroutine gets on
// average: a goroutine that finishes early takes the next segment, so one
// slowed by the rest of the machine holds up no more than the segment it
// is on (issue 15).
const segmentsPerWorker = 4

// scanSegments checks the entries from lo on. Up to hi they are split
// into segments, the last running to the end, which one goroutine per CPU
// (at most 4, as many as the store has readers) takes in order, each the
// next one left when it is done with one. A segment after one found broken
// is not started: Verify reports the earliest break only.
func scanSegments(ctx context.Context, src Source, cpAt anchors, lo, hi, minSegment uint64) []segment {
	workers, n := uint64(1), uint64(1)
	if hi >= lo {
		workers = min(uint64(runtime.GOMAXPROCS(0)), 4)
		n = min(workers*segmentsPerWorker, max((hi-lo+1)/minSegment, 1))
		workers = min(workers, n)
	}
	segs := make([]segment, n)
	size := (hi - lo + 1) / n
	for i := range segs {
		segs[i].lo = lo + uint64(i)*size
		if uint64(i) < n-1 {
			segs[i].hi = segs[i].lo + size - 1
		}
	}
	var next atomic.Uint64
	var broken atomic.Uint64 // the first broken segment's index + 1, 0 if none
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				if b := broken.Load(); b != 0 && i >= b {
					segs[i].skipped = true
					continue
				}
				segs[i].run(ctx, src, cpAt)
				if segs[i].brk != nil || segs[i].err != nil {
					for b := broken.Load(); b == 0 || i+1 < b; b = broken.Load() {
						if broken.CompareAndSwap(b, i+1) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return segs
}

func (sg *segment) run(ctx context.Context, src Source, cpAt anchors) {
	next := sg.lo
	sg.last = sg.lo - 1
	brk := func(seq uint64, format string, args ...any) error {
		sg.brk = &Break{Seq: seq, Reason: fmt.Sprintf(format, args...)}
		return errStop
	}
	marks := cpAt.from(sg.lo)
	err := src.Scan(ctx, sg.lo, sg.hi, func(e *Entry) error {
		switch {
		case e.Seq != next:
			return brk(next, "entry is missing (deleted or renumbered); the next one found is %d", e.Seq)
		case e.Format != FormatV1:
			return brk(e.Seq, "unknown encoding format %d (the format column was changed)", e.Format)
		case e.Seq != sg.lo && e.PrevHash != sg.lastHash:
			return brk(e.Seq, "prev_hash does not match the hash of entry %d: entries were deleted, swapped or rewritten", e.Seq-1)
		case e.ComputeHash() != e.Hash:
			return brk(e.Seq, "content does not match its hash: a column was changed")
		}
		// Entries come in order (checked above), so the marks before this
		// one are behind.
		for len(marks) > 0 && marks[0] < e.Seq {
			marks = marks[1:]
		}
		if len(marks) > 0 && marks[0] == e.Seq {
			if h, ok := cpAt.stored[e.Seq]; ok && h != e.Hash {
				return brk(e.Seq, "hash differs from the signed checkpoint: the chain was rewritten")
			}
			if h, ok := cpAt.kept[e.Seq]; ok && h != e.Hash {
				return brk(e.Seq, keptMismatch)
			}
		}
		if e.Seq == sg.lo {
			sg.firstPrev = e.PrevHash
		}
		sg.checked++
		sg.last, sg.lastHash, next = e.Seq, e.Hash, e.Seq+1
		return nil
	})
	var ce *CorruptError
	switch {
	case errors.As(err, &ce):
		sg.brk = &Break{Seq: ce.Seq, Reason: ce.Reason}
	case err != nil && !errors.Is(err, errStop):
		sg.err = err
	case sg.brk == nil && sg.hi != 0 && sg.last < sg.hi:
		sg.brk = &Break{Seq: sg.last + 1, Reason: "entry is missing: it was deleted"}
	}
}
