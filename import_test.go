package steward_test

import (
	"errors"
	"slices"
	"testing"

	"steward"
)

type item struct{ Key, Value string }

func (it *item) Check() error {
	if it.Value == "bad" {
		return steward.FieldError("value", "error.import_line")
	}
	return nil
}

func (it *item) Changed(old *item) []string {
	if it.Value != old.Value {
		return []string{"value"}
	}
	return nil
}

// The one loop of the course and product imports: counted by key, only
// an added or changed item written, then audited with the fields that
// changed; the first error (a check, a read other than not found, a write) stops it,
// a failed write before its audit entry.
func TestImportEachCountsAndPutsOnlyWhatChanged(t *testing.T) {
	stored := map[string]*item{"a": {"a", "1"}, "b": {"b", "2"}}
	lookup := func(it *item) (*item, error) {
		if it.Key == "broken" {
			return nil, errors.New("read failed")
		}
		if old, ok := stored[it.Key]; ok {
			return old, nil
		}
		return nil, steward.Errorf(steward.ENOTFOUND, "error.not_found")
	}
	var puts []string
	write := func(it *item) error {
		if it.Key == "unwritable" {
			return errors.New("write failed")
		}
		puts = append(puts, it.Key)
		return nil
	}
	audit := func(it *item, fields []string) error {
		puts = append(puts, it.Key+":"+fields[0])
		return nil
	}
	res, err := steward.ImportEach([]item{{"a", "1"}, {"b", "3"}, {"c", "4"}}, []string{"all"}, lookup, write, audit)
	if err != nil || res != (steward.ImportResult{Added: 1, Changed: 1, Unchanged: 1}) {
		t.Fatalf("got %+v, %v", res, err)
	}
	if !slices.Equal(puts, []string{"b", "b:value", "c", "c:all"}) {
		t.Fatalf("put %v", puts)
	}
	for _, items := range [][]item{{{"c", "bad"}}, {{"broken", "1"}}, {{"unwritable", "1"}}} {
		puts = nil
		if _, err := steward.ImportEach(items, []string{"all"}, lookup, write, audit); err == nil || len(puts) != 0 {
			t.Fatalf("%v: err %v, put %v", items, err, puts)
		}
	}
}
