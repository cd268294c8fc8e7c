package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"runtime"
	"sync"

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
// stored, and kept outside the database (opt.External) — signed and
// matching its entry. It detects a byte changed in any column, a deleted,
// swapped or forged entry, a cut-off tail (also one cut back to a
// checkpoint whose signature was copied into the head) and a rewritten
// chain (G2); with checkpoints kept outside, also a log rolled back or
// rewritten by someone holding the key. A broken log is a Report with
// Broken set, not an error; errors are failures to read.
func Verify(ctx context.Context, src Source, opt VerifyOptions) (*Report, error) {
	r := &Report{Signed: opt.Key != nil}
	var breaks []Break
	fail := func(seq uint64, format string, args ...any) {
		breaks = append(breaks, Break{Seq: seq, Reason: fmt.Sprintf(format, args...)})
	}
	head, err := src.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: verify: %w", err)
	}
	cps, err := src.Checkpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: verify: %w", err)
	}
	from := max(opt.From, 1)
	prev := Hash{}
	if from > 1 {
		h, ok, err := src.HashAt(ctx, from-1)
		if err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
		if !ok {
			if from-1 > head.Seq {
				return nil, steward.Errorf(steward.EINVALID, "--from %d: the log has %d entries", from, head.Seq)
			}
			fail(from-1, "entry is missing: it was deleted")
		}
		prev = h
	}
	cpAt := anchors{stored: make(map[uint64]Hash, len(cps))}
	for _, cp := range cps {
		cpAt.stored[cp.Size] = cp.Hash
	}
	// Two kept lines giving one entry two hashes cannot both be true: if
	// both are signed, the key signed two histories.
	var conflict map[uint64]bool
	for _, cp := range opt.External {
		if cpAt.kept == nil {
			cpAt.kept = make(map[uint64]Hash, len(opt.External))
		}
		if h, ok := cpAt.kept[cp.Size]; ok && h != cp.Hash {
			if conflict == nil {
				conflict = map[uint64]bool{}
			}
			conflict[cp.Size] = true
		}
		cpAt.kept[cp.Size] = cp.Hash
	}
	for size := range conflict {
		delete(cpAt.kept, size)
	}

	// Check the entries in segments scanned in parallel (hashing and, above
	// all, reading rows cost CPU; issue 5 wants 1,000,000 entries in under
	// a second), then stitch the segments together.
	last, lastHash := from-1, prev
	segSize := opt.SegmentSize
	if segSize == 0 {
		segSize = defaultSegment
	}
	stitch := func(segs []segment) error {
		for i := range segs {
			sg := &segs[i]
			if sg.err != nil {
				return sg.err
			}
			r.Checked += sg.checked
			if sg.checked > 0 && sg.firstPrev != lastHash {
				fail(sg.lo, "prev_hash does not match the hash of entry %d: entries were deleted, swapped or rewritten", sg.lo-1)
			}
			if sg.brk != nil {
				breaks = append(breaks, *sg.brk)
			}
			if len(breaks) > 0 {
				return nil
			}
			last, lastHash = sg.last, sg.lastHash
		}
		return nil
	}
	if len(breaks) == 0 {
		if err := stitch(scanSegments(ctx, src, cpAt, from, head.Seq, segSize)); err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
	}
	// The scan may have gone past the head read at the start: appends
	// committed meanwhile, or entries forged without moving the head.
	for len(breaks) == 0 && last > head.Seq {
		if head, err = src.Head(ctx); err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
		switch {
		case head.Seq < last && head.Seq == 0:
			fail(1, "the sealed head says the log is empty: the head was deleted or reset")
		case head.Seq < last:
			fail(head.Seq+1, "entry is not covered by the sealed head: it was appended without the key")
		case head.Seq > last:
			// Entries up to the head that are not there are reported below.
			if err := stitch(scanSegments(ctx, src, cpAt, last+1, last, segSize)); err != nil {
				return nil, fmt.Errorf("audit: verify: %w", err)
			}
		}
		if head.Seq >= last {
			break
		}
	}
	r.Head = head
	if len(breaks) == 0 && last < head.Seq {
		fail(last+1, "the log ends at entry %d but its sealed head says %d: the tail was cut off", last, head.Seq)
	}
	if len(breaks) == 0 && head.Seq > 0 && last == head.Seq && lastHash != head.Hash {
		fail(head.Seq, "hash differs from the sealed head: the chain was rewritten")
	}
	if opt.Key != nil && head.Seq > 0 && !head.Verify(opt.Key) {
		if (Checkpoint{Size: head.Seq, Hash: head.Hash, KeyID: head.KeyID, Signature: head.Signature}).Verify(opt.Key) {
			// The signature states only that entry Seq has this hash, not
			// that the log ends there: copied from checkpoint Seq to hide
			// that the entries after it were deleted.
			fail(head.Seq+1, "the sealed head carries checkpoint %d's signature, not a head's: the log was cut back to that checkpoint and the entries after it were deleted", head.Seq)
		} else {
			fail(head.Seq, "the head is not signed by the audit key (key %q): entries were appended or rewritten without the key", head.KeyID)
		}
	}

	// Checkpoints: each signed, none beyond the end, each matching its entry.
	end := max(last, head.Seq)
	for _, cp := range cps {
		r.Checkpoints++
		if opt.Key != nil && !cp.Verify(opt.Key) {
			fail(cp.Size, "checkpoint is not signed by the audit key as a checkpoint (key %q)", cp.KeyID)
		}
		switch {
		case cp.Size > end:
			fail(end+1, "a checkpoint vouches for %d entries but the log ends at %d: the tail was cut off", cp.Size, end)
		case cp.Size < from:
			// Entries before From are not streamed; compare the stored hash.
			h, ok, err := src.HashAt(ctx, cp.Size)
			if err != nil {
				return nil, fmt.Errorf("audit: verify: %w", err)
			}
			if !ok {
				fail(cp.Size, "entry is missing: it was deleted")
			} else if h != cp.Hash {
				fail(cp.Size, "hash differs from the signed checkpoint: the chain was rewritten")
			}
		}
	}
	// Checkpoints kept outside the database: the same checks, but neither
	// a deleted row nor a rewrite by someone holding the key escapes them.
	for _, cp := range opt.External {
		r.External++
		if conflict[cp.Size] {
			fail(cp.Size, "two checkpoints kept outside the database give this entry different hashes: a line was altered, or the log was rewritten by someone holding the key")
			continue
		}
		if opt.Key != nil && !cp.Verify(opt.Key) {
			fail(cp.Size, "the checkpoint kept outside the database is not signed by the audit key %s (its key %q): the line was altered, or the log is checked with another key than the one that signed it", KeyID(opt.Key), cp.KeyID)
		}
		switch {
		case cp.Size > end:
			fail(end+1, "a checkpoint kept outside the database vouches for %d entries but the log ends at %d: the log was rolled back or its tail cut off", cp.Size, end)
		case cp.Size < from:
			h, ok, err := src.HashAt(ctx, cp.Size)
			if err != nil {
				return nil, fmt.Errorf("audit: verify: %w", err)
			}
			if !ok {
				fail(cp.Size, "entry is missing: it was deleted")
			} else if h != cp.Hash {
				fail(cp.Size, keptMismatch)
			}
		}
	}
	// The genesis, kept apart from the audit tables: a log emptied, or
	// cut back to before its first sealed entry, no longer holds the
	// entry it vouches for; one whose genesis was deleted has none
	// (issue 14).
	if r.Genesis, err = src.Genesis(ctx); err != nil {
		return nil, fmt.Errorf("audit: verify: %w", err)
	}
	switch g := r.Genesis; g.State {
	case GenesisMissing:
		fail(1, "the genesis record is missing (settings audit_genesis): the audit log was wiped")
	case GenesisDamaged:
		fail(1, "the genesis record is damaged (settings audit_genesis): the audit log was tampered with")
	case GenesisSealed:
		if opt.Key != nil && !g.Verify(opt.Key) {
			fail(g.Size, "the genesis record is not signed by the audit key as a genesis (key %q)", g.KeyID)
		}
		if g.Size > end {
			fail(end+1, "the genesis record vouches for entry %d but the log ends at %d: the audit log was wiped or cut back", g.Size, end)
			break
		}
		h, ok, err := src.HashAt(ctx, g.Size)
		if err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
		if !ok {
			fail(g.Size, "entry is missing: it was deleted")
		} else if h != g.Hash {
			fail(g.Size, "hash differs from the signed genesis record: the chain was rewritten")
		}
	}
	if opt.CheckpointEvery > 0 {
		for size := opt.CheckpointEvery; size <= end; size += opt.CheckpointEvery {
			if _, ok := cpAt.stored[size]; !ok {
				fail(size, "checkpoint is missing (deleted, or the process that appended it had no signing key)")
				break
			}
		}
	}
	for i := range breaks {
		if r.Broken == nil || breaks[i].Seq < r.Broken.Seq {
			r.Broken = &breaks[i]
		}
	}
	return r, nil
}

// anchors are the hashes signed checkpoints vouch for, by entry number:
// the stored ones, and those kept outside the database (kept, nil if none).
type anchors struct {
	stored, kept map[uint64]Hash
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
}

// scanSegments checks the entries from lo on; up to hi they are split into
// one segment per CPU (at most 4), the last segment running to the end.
func scanSegments(ctx context.Context, src Source, cpAt anchors, lo, hi, minSegment uint64) []segment {
	n := uint64(1)
	if hi >= lo {
		n = min(uint64(runtime.GOMAXPROCS(0)), 4, max((hi-lo+1)/minSegment, 1))
	}
	segs := make([]segment, n)
	size := (hi - lo + 1) / n
	var wg sync.WaitGroup
	for i := range segs {
		segs[i].lo = lo + uint64(i)*size
		if uint64(i) < n-1 {
			segs[i].hi = segs[i].lo + size - 1
		}
		wg.Go(func() { segs[i].run(ctx, src, cpAt) })
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
		if h, ok := cpAt.stored[e.Seq]; ok && h != e.Hash {
			return brk(e.Seq, "hash differs from the signed checkpoint: the chain was rewritten")
		}
		if cpAt.kept != nil {
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
