package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward"
	"steward/audit"
)

// memLog is an audit.Source held in memory: what the store keeps, without
// a database, so Verify's own logic can be tested case by case.
type memLog struct {
	entries []audit.Entry // by Seq, possibly with gaps after tampering
	head    audit.Head
	cps     []audit.Checkpoint
	genesis audit.Genesis // unsealed unless a test seals it
}

func (m *memLog) Head(context.Context) (audit.Head, error) { return m.head, nil }

func (m *memLog) Genesis(context.Context) (audit.Genesis, error) { return m.genesis, nil }

func (m *memLog) Checkpoints(context.Context) ([]audit.Checkpoint, error) {
	return slices.Clone(m.cps), nil
}

func (m *memLog) HashAt(_ context.Context, seq uint64) (audit.Hash, bool, error) {
	for _, e := range m.entries {
		if e.Seq == seq {
			return e.Hash, true, nil
		}
	}
	return audit.Hash{}, false, nil
}

func (m *memLog) Scan(_ context.Context, from, to uint64, fn func(*audit.Entry) error) error {
	for _, e := range m.entries {
		if e.Seq >= from && (to == 0 || e.Seq <= to) {
			if err := fn(&e); err != nil {
				return err
			}
		}
	}
	return nil
}

var logStart = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// appendEntries links n entries to m as the store does: numbered after
// the head, chained, a checkpoint signed at every multiple of every, the
// head signed. tag goes into each object id, so two logs built with
// different tags differ from their first entry on.
func (m *memLog) appendEntries(s *audit.Signer, n int, every uint64, tag string) {
	prev := m.head.Hash
	for range n {
		seq := m.head.Seq + 1
		e := audit.Entry{Seq: seq, Time: logStart.Add(time.Duration(seq) * time.Minute), Actor: audit.System("test"),
			Action: audit.PolicyLoad, ObjectKind: "policy", ObjectID: "p_" + strconv.FormatUint(seq, 10) + tag, PrevHash: prev}
		e.Normalize()
		e.Hash = e.ComputeHash()
		m.entries = append(m.entries, e)
		if seq%every == 0 {
			m.cps = append(m.cps, s.Checkpoint(seq, e.Hash, e.Time))
		}
		m.head = s.Head(seq, e.Hash)
		prev = e.Hash
	}
}

// cutBack deletes every entry and stored checkpoint after size.
func (m *memLog) cutBack(size uint64) {
	m.entries = slices.DeleteFunc(m.entries, func(e audit.Entry) bool { return e.Seq > size })
	m.cps = slices.DeleteFunc(m.cps, func(cp audit.Checkpoint) bool { return cp.Size > size })
}

func (m *memLog) checkpoint(t *testing.T, size uint64) audit.Checkpoint {
	t.Helper()
	for _, cp := range m.cps {
		if cp.Size == size {
			return cp
		}
	}
	t.Fatalf("no checkpoint %d", size)
	return audit.Checkpoint{}
}

func newSigner(t *testing.T) *audit.Signer {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewSigner(k)
}

func verifyMem(t *testing.T, m *memLog, opt audit.VerifyOptions) *audit.Report {
	t.Helper()
	var first *audit.Report
	// Segments of 3 entries exercise the parallel scan's stitching; every
	// segment size must find the same.
	for _, seg := range []uint64{0, 3} {
		opt.SegmentSize = seg
		r, err := audit.Verify(context.Background(), m, opt)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		if first == nil {
			first = r
		} else if (r.Broken == nil) != (first.Broken == nil) || r.Broken != nil && *r.Broken != *first.Broken {
			t.Fatalf("segments of %d: broken %v, whole log: %v", seg, r.Broken, first.Broken)
		}
	}
	return first
}

// TestHeadAndCheckpointSignaturesDoNotCross: a head's signature never
// verifies as a checkpoint's, nor a checkpoint's as a head's, for the same
// entry and hash by the same key.
func TestHeadAndCheckpointSignaturesDoNotCross(t *testing.T) {
	s := newSigner(t)
	var h audit.Hash
	h[3] = 9
	head := s.Head(1000, h)
	cp := s.Checkpoint(1000, h, logStart)
	if !head.Verify(s.Public()) || !cp.Verify(s.Public()) {
		t.Fatal("a head or checkpoint does not verify as what it is")
	}
	asHead := audit.Head{Seq: cp.Size, Hash: cp.Hash, KeyID: cp.KeyID, Signature: cp.Signature}
	if asHead.Verify(s.Public()) {
		t.Fatal("a checkpoint's signature verifies as a head's")
	}
	asCheckpoint := audit.Checkpoint{Size: head.Seq, Hash: head.Hash, KeyID: head.KeyID, Signature: head.Signature}
	if asCheckpoint.Verify(s.Public()) {
		t.Fatal("a head's signature verifies as a checkpoint's")
	}
	other := newSigner(t)
	if cp.Verify(other.Public()) || head.Verify(other.Public()) {
		t.Fatal("verifies with another key")
	}
	h[0] ^= 1
	if (audit.Checkpoint{Size: 1000, Hash: h, KeyID: cp.KeyID, Signature: cp.Signature}).Verify(s.Public()) {
		t.Fatal("a checkpoint verifies for another hash")
	}
}

// TestVerifyDetectsAHeadCopiedFromACheckpoint is the reviewer's attack:
// cut the log back to checkpoint N and put that checkpoint's hash and
// signature in the head. The chain alone is intact, so only the head's
// signature can tell, and it must.
func TestVerifyDetectsAHeadCopiedFromACheckpoint(t *testing.T) {
	for _, size := range []uint64{5, 10} {
		t.Run("cut_back_to_"+strconv.FormatUint(size, 10), func(t *testing.T) {
			s := newSigner(t)
			m := &memLog{}
			m.appendEntries(s, 12, 5, "")
			cp := m.checkpoint(t, size)
			m.cutBack(size)
			m.head = audit.Head{Seq: cp.Size, Hash: cp.Hash, KeyID: cp.KeyID, Signature: cp.Signature}
			if r := verifyMem(t, m, audit.VerifyOptions{CheckpointEvery: 5}); r.Broken != nil || r.Checked != size {
				t.Fatalf("without the key the cut is invisible, want intact with %d checked: %+v", size, r)
			}
			r := verifyMem(t, m, audit.VerifyOptions{Key: s.Public(), CheckpointEvery: 5})
			if r.Broken == nil {
				t.Fatal("a head copied from a checkpoint passes")
			}
			if r.Broken.Seq != size+1 || !strings.Contains(r.Broken.Reason, "checkpoint") || !strings.Contains(r.Broken.Reason, "cut back") {
				t.Fatalf("broken at %s; want entry %d, cut back to a checkpoint", r.Broken, size+1)
			}
		})
	}
}

// TestVerifyChecksCheckpointsKeptOutside: lines kept outside the database
// catch what the stored signatures cannot — a log rolled back to a copy
// whose head was validly signed, or rewritten and signed again by someone
// holding the key — and a kept line that is altered or of another key.
func TestVerifyChecksCheckpointsKeptOutside(t *testing.T) {
	s := newSigner(t)
	orig := &memLog{}
	orig.appendEntries(s, 12, 5, "")
	kept := map[uint64]audit.Checkpoint{}
	for _, size := range []uint64{3, 5, 10, 12} {
		// Lines printed by 'audit checkpoint' at various times; 3 and 12
		// on demand, 5 and 10 automatic.
		var h audit.Hash
		orig.Scan(context.Background(), size, size, func(e *audit.Entry) error { h = e.Hash; return nil })
		kept[size] = s.Checkpoint(size, h, logStart)
	}
	lines := func(sizes ...uint64) []audit.Checkpoint {
		var out []audit.Checkpoint
		for _, n := range sizes {
			out = append(out, kept[n])
		}
		return out
	}
	cases := []struct {
		name    string
		log     func() *memLog
		opt     audit.VerifyOptions
		seq     uint64 // 0: intact
		because string
	}{
		{name: "intact", log: func() *memLog { return orig }, opt: audit.VerifyOptions{External: lines(3, 5, 10, 12)}},
		{name: "intact_from_7", log: func() *memLog { return orig }, opt: audit.VerifyOptions{From: 7, External: lines(3, 5, 10, 12)}},
		{name: "rolled_back_to_a_signed_copy", log: func() *memLog {
			// A copy of the database taken at entry 8 and restored: its
			// head and checkpoints are all validly signed.
			m := &memLog{}
			m.appendEntries(s, 8, 5, "")
			return m
		}, opt: audit.VerifyOptions{External: lines(3, 5, 10)}, seq: 9, because: "rolled back"},
		{name: "rolled_back_and_appended_to_again", log: func() *memLog {
			m := &memLog{}
			m.appendEntries(s, 8, 5, "")
			m.appendEntries(s, 6, 5, "b")
			return m
		}, opt: audit.VerifyOptions{External: lines(3, 5, 10, 12)}, seq: 10, because: "kept outside the database: the log was rewritten"},
		{name: "rewritten_and_signed_again_by_the_key_holder", log: func() *memLog {
			m := &memLog{}
			m.appendEntries(s, 12, 5, "x")
			return m
		}, opt: audit.VerifyOptions{External: lines(10, 5)}, seq: 5, because: "kept outside the database"},
		{name: "rewritten_before_from", log: func() *memLog {
			m := &memLog{}
			m.appendEntries(s, 12, 5, "x")
			return m
		}, opt: audit.VerifyOptions{From: 7, External: lines(3)}, seq: 3, because: "kept outside the database"},
		{name: "line_altered", log: func() *memLog { return orig }, opt: audit.VerifyOptions{External: func() []audit.Checkpoint {
			cp := kept[10]
			cp.Signature = slices.Clone(cp.Signature)
			cp.Signature[5] ^= 1
			return []audit.Checkpoint{kept[5], cp}
		}()}, seq: 10, because: "not signed by the audit key"},
		{name: "line_of_another_key", log: func() *memLog { return orig }, opt: audit.VerifyOptions{External: []audit.Checkpoint{
			newSigner(t).Checkpoint(10, kept[10].Hash, logStart),
		}}, seq: 10, because: "not signed by the audit key"},
		{name: "a_head_is_no_checkpoint", log: func() *memLog { return orig }, opt: audit.VerifyOptions{External: []audit.Checkpoint{
			{Size: orig.head.Seq, Hash: orig.head.Hash, KeyID: orig.head.KeyID, Signature: orig.head.Signature},
		}}, seq: 12, because: "not signed by the audit key"},
		{name: "two_lines_two_hashes", log: func() *memLog { return orig }, opt: audit.VerifyOptions{External: []audit.Checkpoint{
			kept[5], s.Checkpoint(5, kept[10].Hash, logStart),
		}}, seq: 5, because: "different hashes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := c.opt
			opt.Key, opt.CheckpointEvery = s.Public(), 5
			m := c.log()
			r := verifyMem(t, m, opt)
			if r.External != len(opt.External) {
				t.Errorf("%d kept checkpoints checked, want %d", r.External, len(opt.External))
			}
			if c.seq == 0 {
				if r.Broken != nil {
					t.Fatalf("intact log reported broken: %s", r.Broken)
				}
				return
			}
			if r.Broken == nil || r.Broken.Seq != c.seq || !strings.Contains(r.Broken.Reason, c.because) {
				t.Fatalf("broken at %v; want entry %d, %q", r.Broken, c.seq, c.because)
			}
			// Without the kept lines the log verifies: they are what tells.
			if c.name != "line_altered" && c.name != "line_of_another_key" && c.name != "a_head_is_no_checkpoint" && c.name != "two_lines_two_hashes" {
				if r := verifyMem(t, m, audit.VerifyOptions{Key: s.Public(), CheckpointEvery: 5, From: opt.From}); r.Broken != nil {
					t.Fatalf("without kept checkpoints: broken %s; the case tests nothing", r.Broken)
				}
			}
		})
	}
	// Without a key the kept hashes are still compared.
	m := &memLog{}
	m.appendEntries(s, 12, 5, "x")
	if r := verifyMem(t, m, audit.VerifyOptions{External: lines(5)}); r.Broken == nil || r.Broken.Seq != 5 || r.Signed {
		t.Fatalf("unsigned verify of a rewritten log: %+v", r)
	}
}

func TestCheckpointLineRoundTrips(t *testing.T) {
	s := newSigner(t)
	var h audit.Hash
	h[31] = 0xab
	cp := s.Checkpoint(1234, h, logStart)
	line := cp.Line()
	want := "checkpoint size=1234 hash=" + h.String() + " key=" + s.KeyID() + " signature="
	if !strings.HasPrefix(line, want) || len(line) != len(want)+128 {
		t.Fatalf("line %q, want %q and 128 hex digits", line, want)
	}
	for _, l := range []string{line, line + "\n", "  " + line + "\r\n", strings.ReplaceAll(line, " ", "\t")} {
		got, err := audit.ParseCheckpointLine(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if got.Size != cp.Size || got.Hash != cp.Hash || got.KeyID != cp.KeyID || !slices.Equal(got.Signature, cp.Signature) || !got.Verify(s.Public()) {
			t.Fatalf("%q read as %+v", l, got)
		}
	}
	sig := line[strings.Index(line, "signature=")+len("signature="):]
	for name, bad := range map[string]string{
		"empty":             "",
		"not_a_checkpoint":  "the audit log is empty: nothing to sign",
		"part_missing":      strings.Replace(line, " key="+s.KeyID(), "", 1),
		"part_added":        line + " at=2026",
		"parts_swapped":     "checkpoint hash=" + h.String() + " size=1234 key=" + s.KeyID() + " signature=" + sig,
		"size_zero":         strings.Replace(line, "size=1234", "size=0", 1),
		"size_negative":     strings.Replace(line, "size=1234", "size=-1", 1),
		"size_not_a_number": strings.Replace(line, "size=1234", "size=12a4", 1),
		"hash_short":        strings.Replace(line, h.String(), h.String()[2:], 1),
		"hash_not_hex":      strings.Replace(line, h.String(), "zz"+h.String()[2:], 1),
		"key_short":         strings.Replace(line, "key="+s.KeyID(), "key="+s.KeyID()[1:], 1),
		"signature_short":   strings.TrimSuffix(line, sig[120:]),
		"signature_not_hex": strings.Replace(line, sig, "x"+sig[1:], 1),
	} {
		_, err := audit.ParseCheckpointLine(bad)
		if steward.ErrorCode(err) != steward.EINVALID || strings.Contains(steward.ErrorMessage(err), "\n") {
			t.Errorf("%s: %v, want a one-line EINVALID error", name, err)
		}
	}
}

// TestVerifyHoldsTheLogToItsGenesis: the genesis, kept apart from the
// audit tables, vouches for the first entry appended with the key; a log
// emptied or cut back before it, one whose genesis is gone or forged, or
// one rewritten at that entry is broken (issue 14, finding 2).
func TestVerifyHoldsTheLogToItsGenesis(t *testing.T) {
	s, other := newSigner(t), newSigner(t)
	build := func() *memLog {
		// Entries 1 and 2 were appended before the upgrade; entry 3
		// sealed the genesis.
		m := &memLog{}
		m.appendEntries(s, 7, 1000, "")
		m.genesis = s.Genesis(3, m.entries[2].Hash)
		return m
	}
	for _, c := range []struct {
		name   string
		tamper func(m *memLog)
		key    bool
		seq    uint64
		reason string
	}{
		{"intact", func(m *memLog) {}, true, 0, ""},
		{"wiped", func(m *memLog) { m.entries, m.cps, m.head = nil, nil, audit.Head{} }, false, 1, "the genesis record vouches for entry 3 but the log ends at 0: the audit log was wiped"},
		{"cut_back_before_it", func(m *memLog) { m.cutBack(2); m.head = s.Head(2, m.entries[1].Hash) }, true, 3, "the genesis record vouches for entry 3 but the log ends at 2"},
		{"genesis_deleted", func(m *memLog) { m.genesis = audit.Genesis{State: audit.GenesisMissing} }, false, 1, "the genesis record is missing"},
		{"genesis_damaged", func(m *memLog) { m.genesis = audit.Genesis{State: audit.GenesisDamaged} }, false, 1, "the genesis record is damaged"},
		{"genesis_forged", func(m *memLog) { m.genesis = other.Genesis(3, m.entries[2].Hash) }, true, 3, "the genesis record is not signed by the audit key as a genesis"},
		{"checkpoint_signature_as_genesis", func(m *memLog) {
			cp := s.Checkpoint(3, m.entries[2].Hash, logStart)
			m.genesis = audit.Genesis{State: audit.GenesisSealed, Size: 3, Hash: cp.Hash, KeyID: cp.KeyID, Signature: cp.Signature}
		}, true, 3, "the genesis record is not signed by the audit key as a genesis"},
		{"genesis_entry_rewritten", func(m *memLog) { m.genesis = s.Genesis(3, m.entries[1].Hash) }, true, 3, "hash differs from the signed genesis record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := build()
			c.tamper(m)
			opt := audit.VerifyOptions{}
			if c.key {
				opt.Key = s.Public()
			}
			r, err := audit.Verify(context.Background(), m, opt)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.reason == "" && r.Broken != nil:
				t.Fatalf("broken %v, want intact", r.Broken)
			case c.reason == "":
				if r.Genesis.Size != 3 || r.Checked != 7 {
					t.Fatalf("report %+v, want 7 entries and the genesis at 3", r)
				}
			case r.Broken == nil || r.Broken.Seq != c.seq || !strings.Contains(r.Broken.Reason, c.reason):
				t.Fatalf("broken %v, want entry %d: %s", r.Broken, c.seq, c.reason)
			}
		})
	}
	// Only the stored value "unsealed" is an unsealed genesis; anything
	// else not a genesis line is damaged.
	for v, want := range map[string]audit.GenesisState{"unsealed": audit.GenesisUnsealed, "": audit.GenesisDamaged,
		s.Genesis(1, audit.Hash{}).Value(): audit.GenesisSealed, s.Checkpoint(1, audit.Hash{}, logStart).Line(): audit.GenesisDamaged} {
		if g, _ := audit.ParseGenesis(v); g.State != want {
			t.Errorf("ParseGenesis(%q) state %d, want %d", v, g.State, want)
		}
	}
}

// TestVerifyReportsTheEarliestOfBreaksInManySegments: the log is scanned
// in more segments than goroutines, each taking the next one left, and a
// segment after a broken one is not scanned; whichever goroutine finds a
// break first, the report names the earliest one, and stored checkpoints
// are still compared in every segment.
func TestVerifyReportsTheEarliestOfBreaksInManySegments(t *testing.T) {
	s := newSigner(t)
	for _, tc := range []struct {
		name   string
		tamper func(m *memLog)
		seq    uint64
		reason string
	}{
		{"two_changed_columns", func(m *memLog) {
			m.entries[36].ObjectID = "p_forged"
			m.entries[6].ObjectID = "p_forged"
		}, 7, "content does not match its hash"},
		{"a_chain_rewritten_after_a_checkpoint", func(m *memLog) {
			// Entries 31 on rehashed in place: every link holds, but
			// checkpoint 32 vouches for the old hash.
			prev := m.entries[29].Hash
			for i := 30; i < len(m.entries); i++ {
				e := &m.entries[i]
				e.ObjectID += "x"
				e.PrevHash = prev
				e.Hash = e.ComputeHash()
				prev = e.Hash
			}
			m.head = s.Head(m.entries[len(m.entries)-1].Seq, prev)
		}, 32, "hash differs from the signed checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &memLog{}
			m.appendEntries(s, 40, 8, "")
			tc.tamper(m)
			for range 20 {
				r, err := audit.Verify(context.Background(), m, audit.VerifyOptions{Key: s.Public(), SegmentSize: 2})
				if err != nil {
					t.Fatal(err)
				}
				if r.Broken == nil || r.Broken.Seq != tc.seq || !strings.Contains(r.Broken.Reason, tc.reason) {
					t.Fatalf("broken %v, want entry %d: %s", r.Broken, tc.seq, tc.reason)
				}
			}
		})
	}
}
