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

	"steward/audit"
)

// memLog is an audit.Source held in memory: what the store keeps, without
// a database, so Verify's own logic can be tested case by case.
type memLog struct {
	entries []audit.Entry // by Seq, possibly with gaps after tampering
	head    audit.Head
	cps     []audit.Checkpoint
}

func (m *memLog) Head(context.Context) (audit.Head, error) { return m.head, nil }

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
