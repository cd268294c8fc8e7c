package store_test

import (
	"context"
	"testing"
	"time"

	"steward/account"
	"steward/apikey"
	"steward/internal/testkit"
	"steward/learning"
	"steward/store"
)

// TestXAPIFactsAndInsert: the one read of a combined xAPI transaction
// finds the statements already accepted, the live LMS accounts asked for
// with their people's enrolments and accreditations, the courses by slug
// and by LMS course id (the first by slug when two share one) with their
// points, and draws enough record ids; InsertXAPI then stores records,
// values and statement ids with those ids, on both stores. The API keys
// asked for come with their secret hash, expiry and revocation.
func TestXAPIFactsAndInsert(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := testkit.Policy(t, "ivm")
		ann, bob := newAccount("ann@example.nl"), newAccount("bob@example.nl")
		var annLMS, bobLMS *store.Record
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, a := range []string{"b-course", "a-course"} {
				if err := tx.PutCourse(ctx, &learning.Course{Slug: a, LMSCourseID: "42", Points: []learning.Points{{Register: "KNMP", Points: 4}}}, acctT0); err != nil {
					return err
				}
			}
			if err := tx.PutCourse(ctx, &learning.Course{Slug: "free", LMSCourseID: "7"}, acctT0); err != nil {
				return err
			}
			for _, a := range []*account.Account{ann, bob} {
				if err := tx.InsertAccount(ctx, a); err != nil {
					return err
				}
			}
			annLMS = &store.Record{Subject: ann.ID, Kind: "lms_account", CreatedAt: acctT0}
			bobLMS = &store.Record{Subject: bob.ID, Kind: "lms_account", CreatedAt: acctT0}
			recs := []*store.Record{annLMS, bobLMS,
				{Subject: ann.ID, Kind: "enrolment", CreatedAt: acctT0, Values: map[string]string{"course": "a-course"}},
				{Subject: ann.ID, Kind: "accreditation", CreatedAt: acctT0, Values: map[string]string{"course": "a-course", "points": "4", "completed_at": "2026-03-01"}},
				{Subject: bob.ID, Kind: "enrolment", CreatedAt: acctT0, Values: map[string]string{"course": "free"}}}
			if err := tx.InsertRecords(ctx, p, recs); err != nil {
				return err
			}
			for _, k := range []*apikey.Key{
				{ID: "ak_00000000000000a1", Processor: "avetica", Scope: apikey.ScopeXAPI, SecretHash: "hash-1", CreatedAt: acctT0, ExpiresAt: acctT0.Add(time.Hour)},
				{ID: "ak_00000000000000a2", Processor: "avetica", Scope: apikey.ScopeXAPI, SecretHash: "hash-2", CreatedAt: acctT0, RevokedAt: acctT0.Add(time.Minute)}} {
				if err := tx.InsertAPIKey(ctx, k); err != nil {
					return err
				}
			}
			return tx.InsertStatements(ctx, []store.Statement{{ID: "s-old", KeyID: "ak_1", ContentHash: "h-old", Verb: "scored", StoredAt: acctT0}})
		})
		if err != nil {
			t.Fatal(err)
		}
		var f *store.XAPIFacts
		err = s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			f, err = tx.XAPIFacts(ctx, store.XAPIQuery{StatementIDs: []string{"s-old", "s-new"}, Actors: []int64{annLMS.ID, bobLMS.ID, 999999},
				ActorKind: "lms_account", EnrolmentKind: "enrolment", HeldKind: "accreditation", Field: "course",
				Slugs: []string{"free", "nope"}, LMSIDs: []string{"42", "43"}, NewRecords: 3,
				KeyIDs: []string{"ak_00000000000000a1", "ak_00000000000000a2", "ak_00000000000000a3"}})
			if err != nil {
				return err
			}
			if s.Dialect() == store.Postgres && len(f.RecordIDs) != 3 {
				t.Errorf("drew %d record ids, want 3", len(f.RecordIDs))
			}
			recs := []*store.Record{
				{Subject: bob.ID, Kind: "learning_result", CreatedAt: acctT0, Values: map[string]string{"course": "free", "score": "75"}},
				{Subject: ann.ID, Kind: "learning_result", CreatedAt: acctT0, Values: map[string]string{"course": "a-course", "passed": "true"}}}
			return tx.InsertXAPI(ctx, p, recs, []store.Statement{{ID: "s-new", KeyID: "ak_1", ContentHash: "h-new", Verb: "scored", StoredAt: acctT0}}, f.RecordIDs)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Hashes) != 1 || f.Hashes["s-old"] != "h-old" {
			t.Errorf("hashes %v", f.Hashes)
		}
		if len(f.Actors) != 2 || f.Actors[annLMS.ID].Subject != ann.ID || f.Actors[bobLMS.ID].Pseudonym != bob.Pseudonym {
			t.Errorf("actors %v", f.Actors)
		}
		if !f.Enrolled[ann.ID]["a-course"] || !f.Enrolled[bob.ID]["free"] || len(f.Enrolled[ann.ID]) != 1 {
			t.Errorf("enrolled %v", f.Enrolled)
		}
		if !f.Held[ann.ID]["a-course"] || len(f.Held) != 1 {
			t.Errorf("held %v", f.Held)
		}
		if c := f.ByLMSID["42"]; c == nil || c.Slug != "a-course" || len(c.Points) != 1 || c.Points[0].Points != 4 {
			t.Errorf("by lms id 42: %+v", c)
		}
		if c := f.BySlug["free"]; c == nil || len(c.Points) != 0 || f.BySlug["nope"] != nil || f.ByLMSID["43"] != nil {
			t.Errorf("by slug %v, by lms id %v", f.BySlug, f.ByLMSID)
		}
		if k := f.Keys["ak_00000000000000a1"]; len(f.Keys) != 2 || k == nil || k.SecretHash != "hash-1" || !k.ExpiresAt.Equal(acctT0.Add(time.Hour)) || !k.RevokedAt.IsZero() {
			t.Errorf("keys %+v, a1 %+v", f.Keys, k)
		}
		if k := f.Keys["ak_00000000000000a2"]; k == nil || k.SecretHash != "hash-2" || !k.RevokedAt.Equal(acctT0.Add(time.Minute)) || !k.ExpiresAt.IsZero() {
			t.Errorf("key a2 %+v", k)
		}
		got, err := s.RecordsOf(ctx, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range got {
			if r.Kind == "learning_result" {
				found = r.Values["score"] == "75" && r.Values["course"] == "free"
			}
		}
		if !found {
			t.Errorf("bob's learning result not stored: %+v", got)
		}
		hashes, err := s.StatementHashes(ctx, []string{"s-new"})
		if err != nil || hashes["s-new"] != "h-new" {
			t.Errorf("s-new: %v, %v", hashes, err)
		}
	})
}
