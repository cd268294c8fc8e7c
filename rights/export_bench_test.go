package rights

import (
	"fmt"
	"io"
	"testing"
	"time"

	"steward/policy"
)

// BenchmarkWriteExport10k writes the export of a person with 10,000 items
// held in memory: the export's own share of the 100 ms goal, without the
// database reads (rights/desk BenchmarkExport10k measures both).
func BenchmarkWriteExport10k(b *testing.B) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ov := &Overview{Schema: ExportSchema, GeneratedAt: at, Site: "ivm", Categories: []Category{
		{Kind: "order", Fields: []FieldInfo{{ID: "order_number"}, {ID: "items"}}},
		{Kind: "download", Fields: []FieldInfo{{ID: "material"}}},
		{Kind: "learning_result", Fields: []FieldInfo{{ID: "course"}, {ID: "score"}}},
		{Kind: "voucher", Fields: []FieldInfo{{ID: "code"}}},
	}}
	for i := range 10000 {
		c := &ov.Categories[i%len(ov.Categories)]
		vals := map[string]string{}
		for _, f := range c.Fields {
			vals[f.ID] = fmt.Sprintf("%s-%06d", f.ID, i)
		}
		c.Items = append(c.Items, Item{ID: fmt.Sprint(i), CreatedAt: at.AddDate(0, 0, -i%700), Values: vals,
			Deletion: Deletion{Date: at.AddDate(7, 0, 0), Action: "delete", Rule: "bookkeeping", Reason: policy.Text{NL: "zeven jaar", EN: "seven years"}}})
	}
	for b.Loop() {
		if err := WriteExport(io.Discard, ov, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
