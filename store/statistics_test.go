package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"steward/account"
	"steward/erasure"
	"steward/internal/testkit"
	"steward/store"
)

// statisticsPeople stores five Zorginspirator people with a profile and a
// saved item each and returns their ids.
func statisticsPeople(t *testing.T, s *store.Store) []string {
	t.Helper()
	ctx := context.Background()
	p := testkit.Policy(t, "zorginspirator")
	profiles := []account.Values{
		{"gender": "female", "age": "37", "postcode": "3511 AB", "current_job": "Wijkverpleegkundige", "work_preferences": "parttime"},
		{"gender": "male", "age": "52", "postcode": "9712 CD", "current_job": "huisarts"},
		{"age": "23", "current_job": "astronaut"}, // a job no group lists: not kept
		{},
		{"gender": "other", "age": "61", "postcode": "1011 AA", "current_job": "planner"},
	}
	var ids []string
	err := s.InTx(ctx, func(tx *store.Tx) error {
		for i, v := range profiles {
			a := newAccount("stat" + string(rune('a'+i)) + "@example.nl")
			if err := tx.InsertAccount(ctx, a); err != nil {
				return err
			}
			ids = append(ids, a.ID)
			if err := tx.PutProfile(ctx, p, a.ID, "profile", v, acctT0); err != nil {
				return err
			}
			if err := tx.InsertRecord(ctx, p, &store.Record{Subject: a.ID, Kind: "saved_item", CreatedAt: acctT0,
				Values: map[string]string{"kind": "job", "item": "Triage"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestAnonymisedAccountsKeepGeneralisedStatistics: anonymising an account
// (Z9) leaves one statistics row with only the fields the policy's
// generalisations name under statistics, at that level (age in 5-year
// bands, postcode as province, job as job group, gender as chosen), the
// month of the erasure, and nothing for a missing or uncovered value; an
// account deleted (IVM-style plan) or a live one leaves nothing.
func TestAnonymisedAccountsKeepGeneralisedStatistics(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := testkit.Policy(t, "zorginspirator")
		ids := statisticsPeople(t, s)
		at := time.Date(2026, 3, 17, 14, 2, 0, 0, time.UTC)
		for _, batch := range [][]string{ids[:1], ids[1:4]} { // a person's own, then a retention batch
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.EraseSubjects(ctx, erasure.Own(p, at), batch)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		if err := s.EachStatistic(ctx, func(st store.Statistic) error {
			if st.Month != "2026-03" {
				t.Errorf("month %q, want 2026-03", st.Month)
			}
			b, _ := json.Marshal(st.Attributes)
			got = append(got, string(b))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want := []string{
			`{"profile.age":"20-24"}`,
			`{"profile.age":"35-39","profile.current_job":"verpleging","profile.gender":"female","profile.postcode":"Utrecht"}`,
			`{"profile.age":"50-54","profile.current_job":"medisch","profile.gender":"male","profile.postcode":"Groningen"}`,
			`{}`,
		}
		if !slices.Equal(got, want) {
			t.Errorf("statistics\n got %v\nwant %v", got, want)
		}
		// Erasing again changes nothing: an anonymised account is not counted twice.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.EraseSubjects(ctx, erasure.Own(p, at), ids[:1])
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// A plan that deletes the account keeps nothing.
		del := erasure.Own(p, at)
		del.Account, del.Statistics = erasure.Delete, nil
		if err := s.InTx(ctx, func(tx *store.Tx) error { _, err := tx.EraseSubjects(ctx, del, ids[4:]); return err }); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM anonymised_statistics`).Scan(&n); err != nil || n != 4 {
			t.Errorf("%d statistics rows (%v), want 4", n, err)
		}
	})
}

// TestStatisticsJoinNothing proves the statistics table cannot be joined
// to any other table (Z9: nothing links it to the person): no column name
// it shares with any table in the schema, and none of its values — key,
// month, attributes — equals any value of any column of any other table,
// on a database holding people, profiles, records, consents-free
// accounts anonymised and not. Its rows come back, unordered, in key
// order (random), not in the order they were written; on PostgreSQL every
// row of a month carries one row version (xmin), so none is tied to its
// erasure's transaction and audit entry.
func TestStatisticsJoinNothing(t *testing.T) {
	testkit.ForEachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := testkit.Policy(t, "zorginspirator")
		ids := statisticsPeople(t, s)
		at := time.Date(2026, 3, 17, 14, 2, 0, 0, time.UTC)
		for _, id := range ids[:4] { // one erasure per transaction, as people do it
			if err := s.InTx(ctx, func(tx *store.Tx) error { _, err := tx.EraseSubject(ctx, erasure.Own(p, at), id); return err }); err != nil {
				t.Fatal(err)
			}
		}
		db := s.Read()
		columns := tableColumns(t, s)
		const table = "anonymised_statistics"
		own := columns[table]
		if len(own) != 3 {
			t.Fatalf("statistics columns %v", own)
		}
		var values []string
		rows, err := db.QueryContext(ctx, `SELECT stat_key, stat_month, stat_attributes FROM anonymised_statistics`)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for rows.Next() {
			var k, m, a string
			if err := rows.Scan(&k, &m, &a); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
			values = append(values, k, m, a)
		}
		rows.Close()
		if len(keys) != 4 || !slices.IsSorted(keys) {
			t.Errorf("unordered rows come back as %v: want the 4 rows in key order", keys)
		}
		for tbl, cols := range columns {
			if tbl == table {
				continue
			}
			for _, c := range cols {
				if slices.Contains(own, c) {
					t.Errorf("column %s of %s shares its name with the statistics table", c, tbl)
				}
				var hits int
				cond, arg := "CAST("+c+" AS TEXT) IN (SELECT value FROM json_each($1))", any(mustJSON(values))
				if s.Dialect() == store.Postgres {
					cond = "CAST(" + c + " AS TEXT) = ANY($1)"
					arg = values
				}
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tbl+` WHERE `+cond, arg).Scan(&hits); err != nil {
					t.Fatalf("%s.%s: %v", tbl, c, err)
				}
				if hits > 0 {
					t.Errorf("%s.%s holds a value of the statistics table (%d rows)", tbl, c, hits)
				}
			}
		}
		if s.Dialect() == store.Postgres {
			var versions int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT xmin::text) FROM anonymised_statistics WHERE stat_month = '2026-03'`).Scan(&versions); err != nil || versions != 1 {
				t.Errorf("the month's rows carry %d row versions (%v), want 1", versions, err)
			}
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// tableColumns lists every table of the schema with its columns.
func tableColumns(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	var rows *sql.Rows
	var err error
	if s.Dialect() == store.Postgres {
		rows, err = s.Read().QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	} else {
		rows, err = s.Read().QueryContext(ctx, `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid`)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		out[tbl] = append(out[tbl], col)
	}
	return out
}
