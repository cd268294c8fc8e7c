package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strconv"
	"strings"
	"testing"

	"steward/audit"
	"steward/internal/testkit"
	"steward/store"
)

// tamperSQL runs one statement as someone with write access to the database
// but without the signing key would.
func tamperSQL(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), q, args...)
		return err
	})
	if err != nil {
		t.Fatalf("tamper %q: %v", q, err)
	}
}

func flipText(v string) string {
	b := []byte(v)
	b[len(b)-1] ^= 1
	return string(b)
}

func textColumn(col string) func(t *testing.T, s *store.Store) {
	return func(t *testing.T, s *store.Store) {
		var v string
		if err := s.Read().QueryRowContext(context.Background(), `SELECT `+col+` FROM audit_log WHERE seq = 7`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		tamperSQL(t, s, `UPDATE audit_log SET `+col+` = $1 WHERE seq = 7`, flipText(v))
	}
}

func blobColumn(col string) func(t *testing.T, s *store.Store) {
	return func(t *testing.T, s *store.Store) {
		var v []byte
		if err := s.Read().QueryRowContext(context.Background(), `SELECT `+col+` FROM audit_log WHERE seq = 7`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		v[0] ^= 1
		tamperSQL(t, s, `UPDATE audit_log SET `+col+` = $1 WHERE seq = 7`, v)
	}
}

// forge appends entry 13 with a correct chain hash, as an attacker with
// database access but no key can.
func forge(t *testing.T, s *store.Store) audit.Entry {
	all := testkit.AuditSince(t, s, 0)
	e := entry(13)
	e.Normalize()
	e.Seq, e.PrevHash = 13, all[len(all)-1].Hash
	e.Hash = e.ComputeHash()
	tamperSQL(t, s, `INSERT INTO audit_log (seq, at, actor, action, object_kind, object_id, subject, fields, policy_version, request_id, format, prev_hash, hash)
		VALUES (13, $1, $2, $3, $4, $5, $6, 'first_name,last_name', $7, $8, 1, $9, $10)`,
		e.Time.UnixMilli(), string(e.Actor), string(e.Action), e.ObjectKind, e.ObjectID, string(e.Subject), e.PolicyVersion, e.RequestID, e.PrevHash[:], e.Hash[:])
	return e
}

// rewrite changes entry from's object id and recomputes every hash after
// it, moving the head's hash along (the signature cannot follow).
func rewrite(t *testing.T, s *store.Store, from uint64) {
	all := testkit.AuditSince(t, s, 0)
	prev := all[from-2].Hash
	for i := from - 1; i < uint64(len(all)); i++ {
		e := all[i]
		if e.Seq == from {
			e.ObjectID = "a_999"
		}
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		tamperSQL(t, s, `UPDATE audit_log SET object_id = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, e.ObjectID, e.PrevHash[:], e.Hash[:], int64(e.Seq))
		prev = e.Hash
	}
	tamperSQL(t, s, `UPDATE audit_head SET hash = $1`, prev[:])
}

// cutBackToCheckpoint is the attack a shared head and checkpoint message
// allowed: delete every entry and checkpoint after checkpoint size, and
// put that checkpoint's hash and signature in the head.
func cutBackToCheckpoint(t *testing.T, s *store.Store, size int64) {
	t.Helper()
	var hash, sig []byte
	var keyID string
	if err := s.Read().QueryRowContext(context.Background(), `SELECT hash, key_id, signature FROM audit_checkpoints WHERE size = $1`, size).
		Scan(&hash, &keyID, &sig); err != nil {
		t.Fatalf("checkpoint %d: %v", size, err)
	}
	tamperSQL(t, s, `DELETE FROM audit_log WHERE seq > $1`, size)
	tamperSQL(t, s, `DELETE FROM audit_checkpoints WHERE size > $1`, size)
	tamperSQL(t, s, `UPDATE audit_head SET seq = $1, hash = $2, key_id = $3, signature = $4`, size, hash, keyID, sig)
}

// TestAuditVerifyDetectsAHeadCopiedFromACheckpoint: a log cut back to any
// of its checkpoints, with that checkpoint's signature in the head, is a
// chain without a flaw — verify without the key finds it intact — yet
// verify with the key names the first deleted entry: a head's signature
// and a checkpoint's sign different messages (on both stores).
func TestAuditVerifyDetectsAHeadCopiedFromACheckpoint(t *testing.T) {
	for _, size := range []int64{4, 8} {
		t.Run("cut_back_to_"+strconv.FormatInt(size, 10), func(t *testing.T) {
			testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
				signer := testkit.AuditSigner(t, s, 4)
				appendN(t, s, 1, 3)
				appendN(t, s, 4, 6)
				appendN(t, s, 10, 1)
				r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 4})
				if r.Broken != nil || r.Checked != 10 || r.Checkpoints != 2 {
					t.Fatalf("before: %+v, want intact, 10 entries and checkpoints 4 and 8", r)
				}
				// The operator's copy of an on-demand checkpoint at 10.
				kept, err := s.Audit().Checkpoint(context.Background(), signer, 10, r.Head.Hash, t0)
				if err != nil {
					t.Fatal(err)
				}
				cutBackToCheckpoint(t, s, size)
				if r := verify(t, s, nil, audit.VerifyOptions{CheckpointEvery: 4}); r.Broken != nil || r.Checked != uint64(size) {
					t.Fatalf("the chain alone: %+v, want intact up to %d (the attack leaves no flaw in it)", r, size)
				}
				for _, seg := range []uint64{0, 3} {
					r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 4, SegmentSize: seg})
					if r.Broken == nil {
						t.Fatalf("segments of %d: cut back to checkpoint %d with its signature as the head: not detected", seg, size)
					}
					if r.Broken.Seq != uint64(size)+1 || !strings.Contains(r.Broken.Reason, "cut back") || !strings.Contains(r.Broken.Reason, "not a head's") {
						t.Fatalf("segments of %d: broken at %s; want entry %d, cut back, not a head's signature", seg, r.Broken, size+1)
					}
				}
				// The next append by a process holding the key signs a head
				// over the cut log, and the database alone cannot tell any
				// more; the checkpoint kept outside it still can.
				appendN(t, s, 11, 1)
				if r := verify(t, s, signer, audit.VerifyOptions{}); r.Broken != nil {
					t.Fatalf("after an append: %s; want intact (what kept checkpoints are for)", r.Broken)
				}
				r = verify(t, s, signer, audit.VerifyOptions{External: []audit.Checkpoint{kept}})
				if r.Broken == nil || r.Broken.Seq != uint64(size)+2 || !strings.Contains(r.Broken.Reason, "kept outside the database") {
					t.Fatalf("with the kept checkpoint 10: broken at %v; want entry %d, kept outside the database", r.Broken, size+2)
				}
			})
		})
	}
}

// TestAuditVerifyDetectsTampering covers issue 5's list: a byte changed in
// any column, an entry deleted, two swapped, the tail cut off, an entry
// forged without the key, a rewritten chain — on both stores.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	var savedHead struct {
		seq       int64
		hash, sig []byte
		keyID     string
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *store.Store)
		seq    uint64 // the first broken entry verify must name
	}{
		{"byte_changed_in_seq", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `UPDATE audit_log SET seq = 1007 WHERE seq = 7`) }, 7},
		{"byte_changed_in_at", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `UPDATE audit_log SET at = at + 1 WHERE seq = 7`) }, 7},
		{"byte_changed_in_actor", textColumn("actor"), 7},
		{"byte_changed_in_action", textColumn("action"), 7},
		{"byte_changed_in_object_kind", textColumn("object_kind"), 7},
		{"byte_changed_in_object_id", textColumn("object_id"), 7},
		{"byte_changed_in_subject", textColumn("subject"), 7},
		{"byte_changed_in_fields", textColumn("fields"), 7},
		{"byte_changed_in_policy_version", textColumn("policy_version"), 7},
		{"byte_changed_in_request_id", textColumn("request_id"), 7},
		{"byte_changed_in_format", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `UPDATE audit_log SET format = 2 WHERE seq = 7`) }, 7},
		{"byte_changed_in_prev_hash", blobColumn("prev_hash"), 7},
		{"byte_changed_in_hash", blobColumn("hash"), 7},
		{"hash_shortened", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET hash = $1 WHERE seq = 7`, make([]byte, 31))
		}, 7},
		{"entry_deleted", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `DELETE FROM audit_log WHERE seq = 7`) }, 7},
		{"first_entry_deleted", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `DELETE FROM audit_log WHERE seq = 1`) }, 1},
		{"two_entries_swapped", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET seq = -1 WHERE seq = 6`)
			tamperSQL(t, s, `UPDATE audit_log SET seq = 6 WHERE seq = 7`)
			tamperSQL(t, s, `UPDATE audit_log SET seq = 7 WHERE seq = -1`)
		}, 6},
		{"tail_cut_off", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `DELETE FROM audit_log WHERE seq > 9`) }, 10},
		{"tail_cut_off_and_head_moved_back", func(t *testing.T, s *store.Store) {
			h9 := testkit.AuditSince(t, s, 8)[0].Hash
			tamperSQL(t, s, `DELETE FROM audit_log WHERE seq > 9`)
			tamperSQL(t, s, `UPDATE audit_head SET seq = 9, hash = $1`, h9[:])
		}, 9},
		{"tail_cut_off_and_an_old_signed_head_restored", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `DELETE FROM audit_log WHERE seq > 6`)
			tamperSQL(t, s, `UPDATE audit_head SET seq = $1, hash = $2, key_id = $3, signature = $4`, savedHead.seq, savedHead.hash, savedHead.keyID, savedHead.sig)
		}, 7},
		{"forged_entry_appended", func(t *testing.T, s *store.Store) { forge(t, s) }, 13},
		{"forged_entry_appended_and_head_moved", func(t *testing.T, s *store.Store) {
			e := forge(t, s)
			tamperSQL(t, s, `UPDATE audit_head SET seq = 13, hash = $1`, e.Hash[:])
		}, 13},
		{"forged_entry_signed_with_another_key", func(t *testing.T, s *store.Store) {
			e := forge(t, s)
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			other := audit.NewSigner(k)
			tamperSQL(t, s, `UPDATE audit_head SET seq = 13, hash = $1, key_id = $2, signature = $3`, e.Hash[:], other.KeyID(), other.Head(13, e.Hash).Signature)
		}, 13},
		{"tail_cut_back_to_the_last_checkpoint_and_its_signature_copied_into_the_head", func(t *testing.T, s *store.Store) {
			cutBackToCheckpoint(t, s, 10)
		}, 11},
		{"tail_cut_back_to_an_earlier_checkpoint_and_its_signature_copied_into_the_head", func(t *testing.T, s *store.Store) {
			cutBackToCheckpoint(t, s, 5)
		}, 6},
		{"chain_rewritten", func(t *testing.T, s *store.Store) { rewrite(t, s, 3) }, 5},
		{"chain_rewritten_after_last_checkpoint", func(t *testing.T, s *store.Store) { rewrite(t, s, 11) }, 12},
		{"head_deleted", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `DELETE FROM audit_head`) }, 1},
		{"checkpoint_deleted", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `DELETE FROM audit_checkpoints WHERE size = 10`) }, 10},
		{"checkpoint_changed", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_checkpoints SET hash = $1 WHERE size = 5`, make([]byte, 32))
		}, 5},
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					s := testkit.SQLite(t)
					if engine == "postgres" {
						s = testkit.Postgres(t)
					}
					signer := testkit.AuditSigner(t, s, 5)
					appendN(t, s, 1, 6)
					if err := s.Read().QueryRowContext(context.Background(), `SELECT seq, hash, key_id, signature FROM audit_head`).
						Scan(&savedHead.seq, &savedHead.hash, &savedHead.keyID, &savedHead.sig); err != nil {
						t.Fatal(err)
					}
					appendN(t, s, 7, 3)
					appendN(t, s, 10, 3)
					for _, seg := range []uint64{0, 1, 2, 3, 5} {
						if r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 5, SegmentSize: seg}); r.Broken != nil || r.Checked != 12 {
							t.Fatalf("segments of %d: intact log: broken %v, %d checked", seg, r.Broken, r.Checked)
						}
					}
					c.tamper(t, s)
					// Segments of 3 entries exercise the parallel scan's stitching.
					for _, seg := range []uint64{0, 3} {
						r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 5, SegmentSize: seg})
						if r.Broken == nil {
							t.Fatalf("segments of %d: tampering not detected (%d checked)", seg, r.Checked)
						}
						if r.Broken.Seq != c.seq {
							t.Fatalf("segments of %d: broken at %s, want entry %d", seg, r.Broken, c.seq)
						}
						t.Logf("detected: %s", r.Broken)
					}
				})
			}
		})
	}
}

// TestAuditVerifyFindsABreakInALaterRange: verify reads the log in ranges
// (segments checked in parallel, and on SQLite chunks of a thousand
// entries read as one value each); a break past the first range, at a
// range's first or last entry, or a whole range deleted, is found and
// named at the same entry however the log is split (issue 15).
func TestAuditVerifyFindsABreakInALaterRange(t *testing.T) {
	const entries = 2600
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *store.Store)
		seq    uint64
	}{
		{"byte_changed_deep_in_the_log", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET at = at + 1 WHERE seq = 2345`)
		}, 2345},
		{"last_entry_of_a_chunk_changed", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET object_id = 'a_x' WHERE seq = 1000`)
		}, 1000},
		{"first_entry_of_a_chunk_has_a_short_hash", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET hash = $1 WHERE seq = 2001`, make([]byte, 31))
		}, 2001},
		{"one_entry_deleted", func(t *testing.T, s *store.Store) { tamperSQL(t, s, `DELETE FROM audit_log WHERE seq = 1500`) }, 1500},
		{"a_whole_chunk_deleted", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `DELETE FROM audit_log WHERE seq BETWEEN 1001 AND 2000`)
		}, 1001},
		{"a_column_holds_a_separator", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET request_id = $1 WHERE seq = 1999`, "req\x1f1999")
		}, 1999},
		{"entries_renumbered", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET seq = seq + 10000 WHERE seq = 2600`)
		}, 2600},
		{"an_entry_renumbered_far_past_the_end", func(t *testing.T, s *store.Store) {
			// Found at once: the scan does not walk the empty numbers.
			tamperSQL(t, s, `UPDATE audit_log SET seq = 9000000000000000000 WHERE seq = 1500`)
		}, 1500},
		{"the_last_entry_renumbered_far_past_the_end", func(t *testing.T, s *store.Store) {
			tamperSQL(t, s, `UPDATE audit_log SET seq = 9223372036854775806 WHERE seq = 2600`)
		}, 2600},
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					s := testkit.SQLite(t)
					if engine == "postgres" {
						s = testkit.Postgres(t)
					}
					signer := testkit.AuditSigner(t, s, 1000)
					for i := 1; i <= entries; i += 650 {
						appendN(t, s, i, 650)
					}
					if r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 1000}); r.Broken != nil || r.Checked != entries {
						t.Fatalf("intact log: broken %v, %d checked", r.Broken, r.Checked)
					}
					c.tamper(t, s)
					for _, seg := range []uint64{0, 700, 999, 1000, 1001} {
						r := verify(t, s, signer, audit.VerifyOptions{CheckpointEvery: 1000, SegmentSize: seg})
						if r.Broken == nil || r.Broken.Seq != c.seq {
							t.Fatalf("segments of %d: broken at %v, want entry %d", seg, r.Broken, c.seq)
						}
					}
				})
			}
		})
	}
}
