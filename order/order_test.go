package order_test

import (
	"strings"
	"testing"
	"time"

	"steward"
	"steward/order"
)

// TestImportNamesTheLine (issue 17 item 5): a wrong product in a CSV or
// JSON file makes the whole file wrong, and the error names its line and
// field; a file name that is a path is refused.
func TestImportNamesTheLine(t *testing.T) {
	head := strings.Join(order.CSVHeader, ",") + "\n"
	good := "handboek,Handboek,Handbook,,,2495,9,file,handboek.pdf,false,true\n"
	for name, c := range map[string]struct {
		csv, want string
	}{
		"vat":           {head + good + "poster,Poster,Poster,,,500,19,physical,,false,true\n", "line 3"},
		"path":          {head + "x,X,X,,,100,21,file,../etc/passwd,false,true\n", "line 2"},
		"subdirectory":  {head + "x,X,X,,,100,21,file,a/b.pdf,false,true\n", "line 2"},
		"free_physical": {head + "x,X,X,,,0,21,physical,,true,true\n", "line 2"},
		"twice":         {head + good + good, "line 3"},
		"header":        {"slug,title\n" + good, "line 1"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := order.ParseCSV([]byte(c.csv))
			if steward.ErrorCode(err) != steward.EINVALID || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
		})
	}
	ps, err := order.ParseCSV([]byte(head + good))
	if err != nil || len(ps) != 1 || ps[0].VATPercent != 9 || ps[0].Format != order.File {
		t.Fatalf("good file: %+v %v", ps, err)
	}
	_, err = order.ParseJSON([]byte("[\n {\"slug\": \"a\", \"title_nl\": \"A\", \"title_en\": \"A\", \"vat_percent\": 21, \"format\": \"physical\"},\n {\"slug\": \"b\", \"title_nl\": \"B\", \"title_en\": \"B\", \"vat_percent\": 21, \"format\": \"pdf\"}\n]"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("JSON: %v, want line 3", err)
	}
}

func TestVATIsIncludedAndRounded(t *testing.T) {
	for _, c := range []struct {
		price int64
		rate  int
		vat   int64
	}{{2495, 9, 206}, {500, 21, 87}, {1000, 0, 0}, {121, 21, 21}} {
		if got := order.VATOf(c.price, c.rate); got != c.vat {
			t.Errorf("VAT of %d at %d%% = %d, want %d", c.price, c.rate, got, c.vat)
		}
	}
}

// TestDownloadLink: a link is for one account, expires, and cannot be
// changed or made without the key.
func TestDownloadLink(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tok := order.Sign(key, order.Link{Account: "a_1", Product: "handboek", Expires: now.Add(order.LinkTTL)})
	if l, err := order.Verify(key, tok, "a_1", now); err != nil || l.Product != "handboek" {
		t.Fatalf("own link: %+v %v", l, err)
	}
	if _, err := order.Verify(key, tok, "a_2", now); steward.ErrorCode(err) != steward.EFORBIDDEN {
		t.Fatalf("another account: %v", err)
	}
	if _, err := order.Verify(key, tok, "a_1", now.Add(order.LinkTTL)); steward.ErrorCode(err) != steward.EFORBIDDEN || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired: %v", err)
	}
	forged := order.Sign([]byte("another key, same length as the r"), order.Link{Account: "a_1", Product: "handboek", Expires: now.Add(time.Hour)})
	if _, err := order.Verify(key, forged, "a_1", now); steward.ErrorCode(err) != steward.ENOTFOUND {
		t.Fatalf("forged: %v", err)
	}
}
