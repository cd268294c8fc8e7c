package anonymise

import (
	"math"
	"slices"
	"strings"

	"steward"
)

// Algorithm names the algorithm in the report.
const Algorithm = "mondrian (strict, LeFevre, DeWitt and Ramakrishnan, ICDE 2006), cut along the policy's hierarchies"

// Dataset is what is to be released: one row per person, the columns in
// the order given. A column with a Hierarchy is a quasi-identifier; one
// listed in Sensitive is released as it is.
type Dataset struct {
	Columns []string
	Rows    [][]string
	// Statistics marks, per row, a row from the statistics an anonymised
	// account keeps (Z9): its quasi-identifiers are already generalised to
	// Config.StatisticsLevels and it has no sensitive values. nil: every
	// row is a live person's.
	Statistics []bool
}

// Config is what the release must satisfy (the policy's export).
type Config struct {
	// Hierarchies, by column, of the quasi-identifiers.
	Hierarchies map[string]*Hierarchy
	// Sensitive columns; with L > 0 each class shows at least L distinct
	// values of each.
	Sensitive []string
	K, L      int
	// MaxSuppressed is the most rows that may be left out.
	MaxSuppressed int
	// StatisticsLevels is, per quasi-identifier, the level the statistics
	// rows hold; a quasi-identifier the statistics do not keep is released
	// as Any in their rows.
	StatisticsLevels map[string]int
	// Partition holds the cuts of the earlier releases on the same
	// quasi-identifiers (nil: this is the first). The release routes its
	// rows through them and may only cut the classes further, so every
	// earlier class is a union of new ones.
	Partition *Partition
	// Previous are the releases already handed out on those cuts: a class
	// whose rows differ from what one of them showed by 1 to K−1 rows is
	// suppressed (comparing the two releases would single those rows out).
	Previous []Release
}

// Partition is the tree of Mondrian's cuts, kept from one release to the
// next (docs/anonymisation.md, two releases).
type Partition struct {
	Dims []Dim `json:"dims"`
	// Tree is the cuts in preorder: a leaf is -1; a cut is its dimension
	// followed by its key (rows whose key is at most it go left).
	Tree []int64 `json:"tree"`
}

// Dim is one quasi-identifier of a Partition.
type Dim struct {
	Field string `json:"field"`
	// Order is, for a categorical quasi-identifier, its values (normalised)
	// in the order the cuts rank them; a value not in it ranks after them
	// all. Empty for an ordered one.
	Order []string `json:"order,omitempty"`
}

// Fields returns the partition's quasi-identifiers.
func (p *Partition) Fields() []string {
	out := make([]string, len(p.Dims))
	for i, d := range p.Dims {
		out[i] = d.Field
	}
	return out
}

// Release is what an earlier release showed: its quasi-identifiers and
// sensitive columns and, per class, its rows. A class is keyed by its
// place in the Partition ("p:" and the path of left and right turns, 0
// and 1) or, for statistics rows, by their values ("s:" and ClassKey).
type Release struct {
	Columns   []string
	Sensitive []string
	Classes   map[string]Class
}

// Class is one released class: its rows, and its live rows counted by
// their sensitive values (ClassKey of the values in Release.Sensitive
// order). Statistics rows are Rows minus the live ones.
type Class struct {
	Rows int            `json:"rows"`
	Live map[string]int `json:"live"`
	// Values are the quasi-identifier values the class showed, in
	// Release.Columns order.
	Values []string `json:"values"`
}

// ClassKey joins values into one key.
func ClassKey(vals []string) string { return strings.Join(vals, "\x00") }

// Attribute says how one quasi-identifier was generalised.
type Attribute struct {
	Field string `json:"field"`
	// Recoding is "range" (the range of values a class holds) or
	// "hierarchy" (a value, its group, a run of leaves in the hierarchy's
	// order, or Any).
	Recoding string `json:"recoding"`
	// Cuts is how many of the partition's cuts are on this field;
	// Values how many distinct values the release shows.
	Cuts   int `json:"cuts"`
	Values int `json:"released_values"`
	// NCP is this field's mean penalty (suppressed rows counting 1).
	NCP float64 `json:"ncp"`
}

// Report says what the release achieves; it holds no values.
type Report struct {
	Algorithm  string `json:"algorithm"`
	K          int    `json:"k"`
	L          int    `json:"l,omitempty"`
	RequiredK  int    `json:"required_k"`
	RequiredL  int    `json:"required_l,omitempty"`
	Records    int    `json:"records"`
	Released   int    `json:"released"`
	Suppressed int    `json:"suppressed"`
	// StatisticsRecords and StatisticsReleased count the rows of Records
	// and Released that came from the statistics of anonymised accounts
	// (Z9); the rest are live.
	StatisticsRecords  int `json:"statistics_records"`
	StatisticsReleased int `json:"statistics_released"`
	// SuppressedByEarlierReleases counts the rows suppressed because their
	// class's count differs from an earlier release's by fewer than k.
	SuppressedByEarlierReleases int `json:"suppressed_by_earlier_releases"`
	// KLive and KStatistics are the smallest number of live and of
	// statistics rows in a class that has any (0: none released).
	KLive       int         `json:"k_live"`
	KStatistics int         `json:"k_statistics"`
	Classes     int         `json:"equivalence_classes"`
	Attributes  []Attribute `json:"generalisation"`
	// Discernibility is Σ|E|² over the released classes plus
	// suppressed × records (Bayardo and Agrawal 2005).
	Discernibility int64 `json:"discernibility"`
	// NCP is the normalised certainty penalty in [0, 1] (Xu et al. 2006):
	// per quasi-identifier value, (distinct stored values the released
	// value covers − 1) / (distinct stored values − 1), averaged over
	// records and quasi-identifiers, a suppressed record counting 1.
	NCP float64 `json:"ncp"`
	// Cuts is the number of cuts in the partition; Refined those this
	// release added to the earlier releases' (all of them on a first).
	Cuts    int `json:"cuts"`
	Refined int `json:"cuts_added"`
}

// Result is the release: the columns, the rows with quasi-identifiers
// generalised (sorted, so their order says nothing of the source), the
// report, and what later releases need: the cuts and the classes.
type Result struct {
	Columns []string
	Rows    [][]string
	// Statistics marks, per released row, a statistics row.
	Statistics []bool
	Report     Report
	Partition  *Partition
	Release    Release
}

// missing is the key of a missing value: below every other.
const missing = math.MinInt64

// dim is one quasi-identifier prepared for the partitioning.
type dim struct {
	col   int
	h     *Hierarchy
	order []string       // categorical: the leaves in cut order
	rank  map[string]int // categorical: a leaf's rank
	keys  []int64        // per row: the key cut on (live rows)
	// vals are, per row, the normalised value (categorical) for
	// showing values outside order.
	vals []string
	// distinct are the distinct keys of the live rows, sorted; cum[i]
	// counts the distinct live values with a key up to distinct[i].
	distinct []int64
	cum      []int
	total    int
	cuts     int
}

// covered counts the distinct live values with a key in [lo, hi].
func (d *dim) covered(lo, hi int64) int {
	a, _ := slices.BinarySearch(d.distinct, lo)
	b, found := slices.BinarySearch(d.distinct, hi)
	if found {
		b++
	}
	if b == 0 {
		return 0
	}
	n := d.cum[b-1]
	if a > 0 {
		n -= d.cum[a-1]
	}
	return n
}

// penalty is (covered − 1) / (distinct − 1) for covered live values.
func (d *dim) penalty(covered int) float64 {
	if d.total < 2 {
		return 0
	}
	return float64(max(covered-1, 0)) / float64(d.total-1)
}

// node is one node of the partition tree.
type node struct {
	dim         int // -1: a leaf
	key         int64
	left, right *node
	rows        []int32 // a leaf's live rows
	path        string
}

// run is one anonymisation.
type run struct {
	c      Config
	rows   [][]string
	dims   []*dim
	sens   [][]int32 // [sensitive column][row] codes
	nsens  []int     // distinct codes per sensitive column
	stamp  [][]int32 // scratch for l-diversity
	gen    int32
	scr    []int64
	added  int
	leaves []*node
	// penalty of a statistics row's value, per dim and value
	statPen []map[string]float64
}

// Anonymise returns the release of d that satisfies c, or an EINVALID
// error saying why none does.
func Anonymise(d Dataset, c Config) (*Result, error) {
	if c.K < 2 {
		return nil, steward.Errorf(steward.EINVALID, "error.anonymise_min_k", "k", c.K)
	}
	n := len(d.Rows)
	if n < c.K {
		return nil, steward.Errorf(steward.EINVALID, "error.anonymise_too_few", "records", n, "k", c.K)
	}
	stat := d.Statistics
	if stat == nil {
		stat = make([]bool, n)
	}
	r := &run{c: c, rows: d.Rows}
	var sensCols []int
	var qcols []int
	for j, col := range d.Columns {
		if c.Hierarchies[col] != nil {
			qcols = append(qcols, j)
		} else if slices.Contains(c.Sensitive, col) {
			sensCols = append(sensCols, j)
		} else {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_column_role", "field", col)
		}
	}
	// The dimensions in the partition's order (its fields are this
	// release's quasi-identifiers: the caller checks).
	if c.Partition != nil {
		byField := map[string]int{}
		for _, j := range qcols {
			byField[d.Columns[j]] = j
		}
		qcols = qcols[:0]
		for _, pd := range c.Partition.Dims {
			j, ok := byField[pd.Field]
			if !ok {
				return nil, steward.Errorf(steward.EINVALID, "error.anonymise_other_quasi_identifiers", "fields", strings.Join(c.Partition.Fields(), ", "))
			}
			qcols = append(qcols, j)
		}
		if len(qcols) != len(byField) {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_other_quasi_identifiers", "fields", strings.Join(c.Partition.Fields(), ", "))
		}
	}
	var live []int32
	for i := range d.Rows {
		if !stat[i] {
			live = append(live, int32(i))
		}
	}
	for x, j := range qcols {
		var order []string
		if c.Partition != nil {
			order = c.Partition.Dims[x].Order
		}
		dm, err := prepare(d.Rows, live, j, c.Hierarchies[d.Columns[j]], order, c.Partition != nil)
		if err != nil {
			return nil, err
		}
		r.dims = append(r.dims, dm)
	}
	sensNames := make([]string, len(sensCols))
	for i, j := range sensCols {
		sensNames[i] = d.Columns[j]
		codes, vals := encode(d.Rows, func(row []string) string { return row[j] })
		r.sens = append(r.sens, codes)
		r.nsens = append(r.nsens, len(vals))
		r.stamp = append(r.stamp, make([]int32, len(vals)))
	}
	if c.L <= 0 {
		r.sens = nil
	}

	// The tree: the earlier releases' cuts with this release's rows routed
	// through them, or the root; then every leaf cut further.
	root := &node{dim: -1}
	if c.Partition != nil {
		var err error
		if root, err = r.decode(c.Partition.Tree); err != nil {
			return nil, err
		}
		for _, i := range live {
			r.route(root, i)
		}
	} else {
		root.rows = live
	}
	r.refine(root)

	return r.release(d, stat, root, qcols, sensCols, sensNames)
}

// prepare codes column j of the live rows for the partitioning: a key per
// row, checking that the hierarchy covers every value. order is the
// categorical leaf order fixed by earlier releases (fixed: use it as it
// is); otherwise the hierarchy's leaves, or the values found, sorted.
func prepare(rows [][]string, live []int32, j int, h *Hierarchy, order []string, fixed bool) (*dim, error) {
	d := &dim{col: j, h: h, keys: make([]int64, len(rows))}
	ordered := h.kind != ""
	if !ordered {
		d.vals = make([]string, len(rows))
	}
	checked := map[string]bool{}
	values := map[string]bool{}
	for _, i := range live {
		v := rows[i][j]
		if !checked[v] {
			if _, err := h.Chain(v); err != nil {
				return nil, err
			}
			checked[v] = true
			if !ordered && v != "" {
				values[normal(v)] = true
			}
		}
	}
	if !ordered {
		switch {
		case fixed:
			d.order = order
		case h.leaves != nil:
			d.order = h.leaves
		default:
			d.order = slices.Sorted(func(yield func(string) bool) {
				for v := range values {
					if !yield(v) {
						return
					}
				}
			})
		}
		d.rank = make(map[string]int, len(d.order))
		for i, v := range d.order {
			d.rank[v] = i
		}
	}
	type kv struct {
		key int64
		val string
	}
	seen := map[kv]bool{}
	for _, i := range live {
		v := rows[i][j]
		var k int64 = missing
		var nv string
		if v != "" {
			if ordered {
				k, _ = h.key(v) // covered: Chain parsed it
			} else {
				nv = normal(v)
				rk, ok := d.rank[nv]
				if !ok {
					rk = len(d.order)
				}
				k = int64(rk)
				d.vals[i] = nv
			}
		}
		d.keys[i] = k
		seen[kv{k, nv}] = true
	}
	perKey := map[int64]int{}
	for p := range seen {
		perKey[p.key]++
	}
	for k := range perKey {
		d.distinct = append(d.distinct, k)
	}
	slices.Sort(d.distinct)
	d.cum = make([]int, len(d.distinct))
	for i, k := range d.distinct {
		d.total += perKey[k]
		d.cum[i] = d.total
	}
	return d, nil
}

// encode numbers the distinct values of rows in order of appearance.
func encode[T any](rows []T, v func(T) string) ([]int32, []string) {
	ids := map[string]int32{}
	var vals []string
	out := make([]int32, len(rows))
	for i, r := range rows {
		s := v(r)
		id, ok := ids[s]
		if !ok {
			id = int32(len(vals))
			ids[s] = id
			vals = append(vals, s)
		}
		out[i] = id
	}
	return out, vals
}

// decode rebuilds the tree of a Partition.
func (r *run) decode(tree []int64) (*node, error) {
	at := 0
	var walk func(path string) (*node, error)
	walk = func(path string) (*node, error) {
		if at >= len(tree) {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_partition")
		}
		d := tree[at]
		at++
		if d < 0 {
			return &node{dim: -1, path: path}, nil
		}
		if d >= int64(len(r.dims)) || at >= len(tree) {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_partition")
		}
		nd := &node{dim: int(d), key: tree[at], path: path}
		at++
		r.dims[nd.dim].cuts++
		var err error
		if nd.left, err = walk(path + "0"); err != nil {
			return nil, err
		}
		if nd.right, err = walk(path + "1"); err != nil {
			return nil, err
		}
		return nd, nil
	}
	root, err := walk("")
	if err == nil && at != len(tree) {
		err = steward.Errorf(steward.EINVALID, "error.anonymise_partition")
	}
	return root, err
}

// encodeTree is the preorder of the tree (Partition.Tree).
func encodeTree(n *node, out []int64) []int64 {
	if n.dim < 0 {
		return append(out, -1)
	}
	out = append(out, int64(n.dim), n.key)
	return encodeTree(n.right, encodeTree(n.left, out))
}

func (r *run) route(n *node, i int32) {
	for n.dim >= 0 {
		if r.dims[n.dim].keys[i] <= n.key {
			n = n.left
		} else {
			n = n.right
		}
	}
	n.rows = append(n.rows, i)
}

// refine cuts every leaf under n as far as Mondrian allows.
func (r *run) refine(n *node) {
	if n.dim >= 0 {
		r.refine(n.left)
		r.refine(n.right)
		return
	}
	r.split(n)
}

// split is Mondrian's step on a leaf. On every quasi-identifier the cut
// at the median is tried (the median's own rows go left; if that empties
// the right, the cut just below the median), and it is allowed when both
// halves keep k rows and l-diversity. Of the allowed cuts the one whose
// halves lose the least — the sum over both halves and every
// quasi-identifier of rows × penalty of the half's range, which is what
// the halves add to the NCP if cut no further — is made, and both halves
// are split in turn. (LeFevre et al. choose the dimension of widest
// normalised range; choosing by the loss itself is the same median
// partitioning with the NCP as the measure of width.)
func (r *run) split(n *node) {
	rows := n.rows
	if len(rows) >= 2*r.c.K {
		bestDim, bestCut, bestLoss := -1, int64(0), math.Inf(1)
		for x, d := range r.dims {
			lo, hi := d.keys[rows[0]], d.keys[rows[0]]
			for _, i := range rows {
				lo, hi = min(lo, d.keys[i]), max(hi, d.keys[i])
			}
			if lo == hi {
				continue
			}
			if cap(r.scr) < len(rows) {
				r.scr = make([]int64, len(rows))
			}
			keys := r.scr[:len(rows)]
			for j, i := range rows {
				keys[j] = d.keys[i]
			}
			slices.Sort(keys)
			med := keys[(len(keys)-1)/2]
			for _, cut := range r.cutsAt(keys, med, hi) {
				left, _ := slices.BinarySearch(keys, cut+1)
				if left < r.c.K || len(rows)-left < r.c.K {
					continue
				}
				loss := r.loss(rows, func(i int32) bool { return d.keys[i] <= cut }) +
					r.loss(rows, func(i int32) bool { return d.keys[i] > cut })
				if loss >= bestLoss {
					continue
				}
				if !r.diverse(rows, func(i int32) bool { return d.keys[i] <= cut }) ||
					!r.diverse(rows, func(i int32) bool { return d.keys[i] > cut }) {
					continue
				}
				bestDim, bestCut, bestLoss = x, cut, loss
			}
		}
		if bestDim >= 0 {
			d, cut := r.dims[bestDim], bestCut
			var l, rt []int32
			for _, i := range rows {
				if d.keys[i] <= cut {
					l = append(l, i)
				} else {
					rt = append(rt, i)
				}
			}
			n.dim, n.key, n.rows = bestDim, cut, nil
			n.left = &node{dim: -1, rows: l, path: n.path + "0"}
			n.right = &node{dim: -1, rows: rt, path: n.path + "1"}
			d.cuts++
			r.added++
			r.split(n.left)
			r.split(n.right)
			return
		}
	}
	r.leaves = append(r.leaves, n)
}

// loss is the rows for which in holds times the sum of their ranges'
// penalties over every quasi-identifier.
func (r *run) loss(rows []int32, in func(int32) bool) float64 {
	total := 0.0
	for _, d := range r.dims {
		lo, hi, cnt, miss := int64(math.MaxInt64), int64(math.MinInt64), 0, 0
		for _, i := range rows {
			if !in(i) {
				continue
			}
			cnt++
			k := d.keys[i]
			if k == missing {
				miss = 1
				continue
			}
			lo, hi = min(lo, k), max(hi, k)
		}
		cov := miss
		if lo <= hi {
			cov += d.covered(lo, hi)
		}
		total += float64(cnt) * d.penalty(cov)
	}
	return total
}

// cutsAt returns the cuts to try around the median of the sorted keys:
// at the median (if anything lies above it), then just below it.
func (r *run) cutsAt(keys []int64, med, hi int64) []int64 {
	var out []int64
	if med < hi {
		out = append(out, med)
	}
	if x, _ := slices.BinarySearch(keys, med); x > 0 {
		out = append(out, keys[x-1])
	}
	return out
}

// diverse says whether the rows for which in holds show at least L
// distinct values of every sensitive column.
func (r *run) diverse(rows []int32, in func(int32) bool) bool {
	for s, codes := range r.sens {
		r.gen++
		stamp := r.stamp[s]
		n := 0
		for _, i := range rows {
			if in(i) && stamp[codes[i]] != r.gen {
				stamp[codes[i]] = r.gen
				if n++; n >= r.c.L {
					break
				}
			}
		}
		if n < r.c.L {
			return false
		}
	}
	return true
}

// class is one class of the release before the earlier releases are
// compared: a leaf's live rows or statistics rows with the same values.
type class struct {
	key  string // "p:path" or "s:values"
	rows []int32
	vals []string // the released quasi-identifier values, in dims order
	keep bool
	stat bool
}

// release forms the classes — the leaves' live rows, and the statistics
// rows grouped by their values — keeps those of k rows (and l-diversity,
// for the leaves an earlier release's cuts left too small), holds back
// those an earlier release would let be differenced, and returns the
// rows with their released values and the report.
func (r *run) release(d Dataset, stat []bool, root *node, qcols, sensCols []int, sensNames []string) (*Result, error) {
	c := r.c
	n := len(d.Rows)
	var classes []*class
	for _, lf := range r.leaves {
		if len(lf.rows) == 0 {
			continue
		}
		cl := &class{key: "p:" + lf.path, rows: lf.rows}
		cl.keep = len(lf.rows) >= c.K && r.diverse(lf.rows, func(int32) bool { return true })
		classes = append(classes, cl)
	}
	// Statistics rows: grouped by their values as kept; the rows of groups
	// below k are grouped again with one more field shown as Any, from
	// the last quasi-identifier to the first, until all are Any (the
	// anonymised accounts still count, Z9). What is left is suppressed.
	var pending []int32
	for i := range d.Rows {
		if stat[i] {
			pending = append(pending, int32(i))
		}
	}
	statRows := len(pending)
	for lifted := 0; lifted <= len(r.dims) && len(pending) > 0; lifted++ {
		byVals := map[string]*class{}
		var order []string
		for _, i := range pending {
			vals := make([]string, len(r.dims))
			for x, dm := range r.dims {
				vals[x] = Any
				if _, kept := c.StatisticsLevels[d.Columns[dm.col]]; kept && x < len(r.dims)-lifted {
					vals[x] = d.Rows[i][dm.col]
				}
			}
			k := "s:" + ClassKey(vals)
			cl := byVals[k]
			if cl == nil {
				cl = &class{key: k, vals: vals, stat: true}
				byVals[k] = cl
				order = append(order, k)
			}
			cl.rows = append(cl.rows, i)
		}
		pending = pending[:0:0]
		for _, k := range order {
			cl := byVals[k]
			if len(cl.rows) >= c.K || lifted == len(r.dims) {
				cl.keep = len(cl.rows) >= c.K
				classes = append(classes, cl)
			} else {
				pending = append(pending, cl.rows...)
			}
		}
	}
	suppressed := func() (s int) {
		for _, cl := range classes {
			if !cl.keep {
				s += len(cl.rows)
			}
		}
		return s
	}
	before := suppressed()
	r.intersections(classes)
	r.againstEarlier(classes, sensCols, sensNames)
	sup := suppressed()
	released := n - sup
	if sup > c.MaxSuppressed || released == 0 {
		if before <= c.MaxSuppressed && n-before > 0 {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_release_differs", "k", c.K, "max", c.MaxSuppressed)
		}
		return nil, steward.Errorf(steward.EINVALID, "error.anonymise_infeasible", "k", c.K, "l", c.L, "max", c.MaxSuppressed)
	}

	res := &Result{Columns: slices.Clone(d.Columns), Partition: &Partition{Tree: encodeTree(root, nil)},
		Release: Release{Classes: map[string]Class{}, Sensitive: sensNames}}
	for _, dm := range r.dims {
		res.Partition.Dims = append(res.Partition.Dims, Dim{Field: dm.h.Field, Order: dm.order})
		res.Release.Columns = append(res.Release.Columns, dm.h.Field)
	}
	rep := Report{Algorithm: Algorithm, RequiredK: c.K, RequiredL: c.L, Records: n, Released: released, Suppressed: sup,
		StatisticsRecords: statRows, SuppressedByEarlierReleases: sup - before, Refined: r.added}
	attrNCP := make([]float64, len(r.dims))
	attrVals := make([]map[string]bool, len(r.dims))
	for x := range attrVals {
		attrVals[x] = map[string]bool{}
	}
	type out struct {
		row  []string
		stat bool
	}
	var rows []out
	for _, cl := range classes {
		if !cl.keep {
			continue
		}
		pen := make([]float64, len(r.dims))
		if cl.stat {
			for x := range r.dims {
				pen[x] = r.statPenalty(d, x, cl.vals[x])
			}
		} else {
			cl.vals = make([]string, len(r.dims))
			for x, dm := range r.dims {
				var cov int
				cl.vals[x], cov = r.render(dm, cl.rows)
				pen[x] = dm.penalty(cov)
			}
		}
		size := len(cl.rows)
		rep.Discernibility += int64(size) * int64(size)
		rc := Class{Rows: size, Live: map[string]int{}, Values: cl.vals}
		for _, i := range cl.rows {
			o := slices.Clone(d.Rows[i])
			for x, dm := range r.dims {
				o[dm.col] = cl.vals[x]
			}
			rows = append(rows, out{o, cl.stat})
			if !cl.stat {
				rc.Live[ClassKey(pick(d.Rows[i], sensCols))]++
			}
		}
		res.Release.Classes[cl.key] = rc
		for x := range r.dims {
			attrNCP[x] += pen[x] * float64(size)
			attrVals[x][cl.vals[x]] = true
		}
	}
	rep.Discernibility += int64(sup) * int64(n)
	slices.SortFunc(rows, func(a, b out) int { return slices.Compare(a.row, b.row) })
	for _, o := range rows {
		res.Rows = append(res.Rows, o.row)
		res.Statistics = append(res.Statistics, o.stat)
	}
	for x, dm := range r.dims {
		a := Attribute{Field: dm.h.Field, Recoding: "hierarchy", Cuts: dm.cuts, Values: len(attrVals[x]),
			NCP: (attrNCP[x] + float64(sup)) / float64(n)}
		if dm.h.kind != "" {
			a.Recoding = "range"
		}
		rep.Attributes = append(rep.Attributes, a)
		rep.Cuts += dm.cuts
		rep.NCP += a.NCP
	}
	if len(r.dims) > 0 {
		rep.NCP /= float64(len(r.dims))
	}
	m := MeasureParts(res.Columns, res.Rows, res.Statistics, c.Hierarchies, c.Sensitive)
	rep.K, rep.L, rep.Classes, rep.KLive, rep.KStatistics, rep.StatisticsReleased = m.K, m.L, m.Classes, m.KLive, m.KStatistics, m.StatisticsRows
	res.Report = rep
	return res, nil
}

// render returns the value a class of live rows shows for dm and how many
// distinct live values it covers. An ordered field shows the range its
// rows span ("37-41"); a categorical one its one value, its group when the
// rows span exactly a group's leaves, else Any when they span every value,
// or else the run of leaves in the hierarchy's order joined by "|". A missing
// value among others is an empty alternative ("|37-41").
func (r *run) render(dm *dim, rows []int32) (string, int) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	hasMissing := false
	for _, i := range rows {
		k := dm.keys[i]
		if k == missing {
			hasMissing = true
			continue
		}
		lo, hi = min(lo, k), max(hi, k)
	}
	extra := 0
	if hasMissing {
		extra = 1
	}
	if lo > hi { // only missing values
		return "", extra
	}
	cov := dm.covered(lo, hi) + extra
	var alts []string
	if hasMissing {
		alts = append(alts, "")
	}
	if dm.h.kind != "" {
		return strings.Join(append(alts, dm.h.span(lo, hi)), "|"), cov
	}
	var leaves []string
	for k := lo; k <= min(hi, int64(len(dm.order)-1)); k++ {
		leaves = append(leaves, dm.order[k])
	}
	if hi >= int64(len(dm.order)) {
		var unknown []string
		for _, i := range rows {
			if dm.keys[i] == int64(len(dm.order)) {
				unknown = append(unknown, dm.vals[i])
			}
		}
		slices.Sort(unknown)
		leaves = append(leaves, slices.Compact(unknown)...)
	}
	if len(leaves) > 1 && !hasMissing && dm.h.group != nil {
		g, ok := dm.h.group[leaves[0]]
		same := ok && dm.h.groupSize[g] == len(leaves)
		for _, l := range leaves {
			same = same && dm.h.group[l] == g
		}
		if same {
			return g, cov
		}
	}
	if cov == dm.total && cov > 1 {
		return Any, cov
	}
	return strings.Join(append(alts, leaves...), "|"), cov
}

// statPenalty is the penalty of a statistics row's value v for dim x: the
// distinct live values whose generalisation to the statistics level is v
// (Any covers them all).
func (r *run) statPenalty(d Dataset, x int, v string) float64 {
	dm := r.dims[x]
	if v == Any {
		return 1
	}
	if r.statPen == nil {
		r.statPen = make([]map[string]float64, len(r.dims))
	}
	if r.statPen[x] == nil {
		lv := r.c.StatisticsLevels[d.Columns[dm.col]]
		type id struct {
			k int64
			v string
		}
		sets := map[string]map[id]bool{}
		chains := map[string]string{}
		for i, row := range d.Rows {
			if d.Statistics != nil && d.Statistics[i] {
				continue
			}
			g, ok := chains[row[dm.col]]
			if !ok {
				ch, _ := dm.h.Chain(row[dm.col]) // covered: prepare checked it
				if lv < len(ch) {
					g = ch[lv]
				}
				chains[row[dm.col]] = g
			}
			if sets[g] == nil {
				sets[g] = map[id]bool{}
			}
			var nv string
			if dm.vals != nil {
				nv = dm.vals[i]
			}
			sets[g][id{dm.keys[i], nv}] = true
		}
		r.statPen[x] = map[string]float64{}
		for g, s := range sets {
			r.statPen[x][g] = dm.penalty(len(s))
		}
	}
	return r.statPen[x][v]
}

// Measure counts, independently of the partitioning, the smallest group
// of rows sharing their quasi-identifier values (k), the fewest distinct
// values of a sensitive column within a group (l, 0 without sensitive
// columns) and the number of groups.
func Measure(cols []string, rows [][]string, hier map[string]*Hierarchy, sensitive []string) (k, l, groups int) {
	m := MeasureParts(cols, rows, nil, hier, sensitive)
	return m.K, m.L, m.Classes
}

// Measured is what MeasureParts counts on released rows.
type Measured struct {
	// K is the smallest class, L the fewest distinct values of a
	// sensitive column among the live rows of a class with live rows.
	K, L, Classes int
	// KLive and KStatistics are the fewest live and statistics rows in a
	// class that has any (0 when none).
	KLive, KStatistics int
	StatisticsRows     int
}

// MeasureParts is Measure on rows of which those marked in stat (nil:
// none) are statistics rows.
func MeasureParts(cols []string, rows [][]string, stat []bool, hier map[string]*Hierarchy, sensitive []string) Measured {
	var qcols, scols []int
	for j, c := range cols {
		if hier[c] != nil {
			qcols = append(qcols, j)
		} else if slices.Contains(sensitive, c) {
			scols = append(scols, j)
		}
	}
	type group struct {
		n, stats int
		vals     []map[string]bool
	}
	gs := map[string]*group{}
	var m Measured
	for i, r := range rows {
		var key []byte
		for _, j := range qcols {
			key = append(append(key, r[j]...), 0)
		}
		g := gs[string(key)]
		if g == nil {
			g = &group{vals: make([]map[string]bool, len(scols))}
			for i := range g.vals {
				g.vals[i] = map[string]bool{}
			}
			gs[string(key)] = g
		}
		g.n++
		if stat != nil && stat[i] {
			g.stats++
			m.StatisticsRows++
			continue
		}
		for i, j := range scols {
			g.vals[i][r[j]] = true
		}
	}
	k, l, kl, ks := -1, -1, -1, -1
	for _, g := range gs {
		k = minOr(k, g.n)
		if g.stats > 0 {
			ks = minOr(ks, g.stats)
		}
		if g.n > g.stats {
			kl = minOr(kl, g.n-g.stats)
			for _, v := range g.vals {
				l = minOr(l, len(v))
			}
		}
	}
	m.K, m.L, m.Classes, m.KLive, m.KStatistics = max(k, 0), max(l, 0), len(gs), max(kl, 0), max(ks, 0)
	return m
}

func minOr(a, b int) int {
	if a < 0 {
		return b
	}
	return min(a, b)
}

// againstEarlier holds back the classes an earlier release would let an
// attacker difference (the intersection attack between two releases of
// the same partner or of two). The cuts only ever refine, so each earlier
// class is a union of this release's classes: a class of live rows is
// compared, summed with its siblings, as the earlier class whose path is
// the longest prefix of its own; a statistics class with the earlier one
// of the same values. An earlier class whose live rows gained or lost 1 to
// K−1 rows (counted by the sensitive values both releases show), or whose
// statistics rows did, would show those few rows apart from the others:
// every class within it is suppressed. A difference of 0 or of at least K
// is not. It repeats until nothing more is suppressed.
func (r *run) againstEarlier(classes []*class, sensCols []int, sensNames []string) {
	c := r.c
	for _, p := range c.Previous {
		var oursS, theirsS []int // the shared sensitive columns: our row column, their index
		for j, col := range p.Sensitive {
			if k := slices.Index(sensNames, col); k >= 0 {
				oursS, theirsS = append(oursS, sensCols[k]), append(theirsS, j)
			}
		}
		before := map[string]*Class{}
		for key, cl := range p.Classes {
			b := classAt(before, key)
			b.Rows += cl.Rows
			for t, n := range cl.Live {
				if tv := strings.Split(t, "\x00"); len(tv) == len(p.Sensitive) {
					b.Live[ClassKey(pick(tv, theirsS))] += n
				}
			}
		}
		// The earlier class each class falls in.
		in := make([]string, len(classes))
		for x, cl := range classes {
			in[x] = cl.key
			if strings.HasPrefix(cl.key, "p:") {
				for l := len(cl.key); l >= 2; l-- {
					if _, ok := before[cl.key[:l]]; ok {
						in[x] = cl.key[:l]
						break
					}
				}
			}
		}
		for changed := true; changed; {
			changed = false
			now := map[string]*Class{}
			for x, cl := range classes {
				if !cl.keep {
					continue
				}
				nc := classAt(now, in[x])
				nc.Rows += len(cl.rows)
				if !cl.stat {
					for _, i := range cl.rows {
						nc.Live[ClassKey(pick(r.rows[i], oursS))]++
					}
				}
			}
			for x, cl := range classes {
				if cl.keep && differs(now[in[x]], before[in[x]], c.K) {
					cl.keep, changed = false, true
				}
			}
		}
	}
}

// intersections holds back every class of live rows that an earlier
// class, as it was shown, cuts into a group of 1 to K−1 rows: whoever knows
// the quasi-identifiers of the people in both releases intersects the two
// classes a person falls in. The earlier class is the one the class's
// cuts refine (no other earlier class of live rows reaches into it); its
// shown values — the ranges and values of the rows it held then — may
// leave out rows that joined since.
func (r *run) intersections(classes []*class) {
	for _, p := range r.c.Previous {
		if !slices.Equal(p.Columns, r.fields()) {
			continue
		}
		for _, cl := range classes {
			if !cl.keep || cl.stat {
				continue
			}
			for l := len(cl.key); l >= 2; l-- {
				d, ok := p.Classes[cl.key[:l]]
				if !ok {
					continue
				}
				if len(d.Values) == len(r.dims) {
					in := 0
					for _, i := range cl.rows {
						if r.inside(i, d.Values) {
							in++
						}
					}
					if in > 0 && in < r.c.K {
						cl.keep = false
					}
				}
				break
			}
		}
	}
}

func (r *run) fields() []string {
	out := make([]string, len(r.dims))
	for x, d := range r.dims {
		out[x] = d.h.Field
	}
	return out
}

// inside says whether live row i falls within the values a class showed.
func (r *run) inside(i int32, vals []string) bool {
	for x, d := range r.dims {
		if !d.shows(vals[x], i) {
			return false
		}
	}
	return true
}

// shows says whether the shown value v (as render writes it) covers row
// i's value.
func (d *dim) shows(v string, i int32) bool {
	k := d.keys[i]
	if v == Any {
		return true
	}
	for _, alt := range strings.Split(v, "|") {
		if alt == "" {
			if k == missing {
				return true
			}
			continue
		}
		if k == missing {
			continue
		}
		if d.h.kind != "" {
			sep := "-"
			if d.h.kind == "date" {
				sep = "/"
			}
			lo, hi, isRange := strings.Cut(alt, sep)
			if !isRange {
				hi = lo
			}
			a, okA := d.h.key(lo)
			b, okB := d.h.key(hi)
			if okA && okB && k >= a && k <= b {
				return true
			}
			continue
		}
		if d.vals[i] == alt || d.h.group != nil && d.h.group[d.vals[i]] == alt {
			return true
		}
	}
	return false
}

func classAt(m map[string]*Class, k string) *Class {
	c := m[k]
	if c == nil {
		c = &Class{Live: map[string]int{}}
		m[k] = c
	}
	return c
}

// differs says whether a class changed between two releases by 1 to k−1
// rows: live rows gained or lost (by their sensitive values), or
// statistics rows gained or lost. A nil class is an empty one.
func differs(now, before *Class, k int) bool {
	if now == nil {
		now = &Class{}
	}
	if before == nil {
		before = &Class{}
	}
	few := func(n int) bool { return n > 0 && n < k }
	gained, lost, liveNow, liveBefore := 0, 0, 0, 0
	for t, n := range now.Live {
		liveNow += n
		gained += max(0, n-before.Live[t])
	}
	for t, n := range before.Live {
		liveBefore += n
		lost += max(0, n-now.Live[t])
	}
	return few(gained) || few(lost) || few(abs((now.Rows-liveNow)-(before.Rows-liveBefore)))
}

func pick(vals []string, idx []int) []string {
	out := make([]string, len(idx))
	for x, j := range idx {
		out[x] = vals[j]
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
