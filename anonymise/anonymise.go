package anonymise

import (
	"slices"
	"strings"

	"steward"
)

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
	// Sensitive columns; with L > 0 each group shows at least L distinct
	// values of each.
	Sensitive []string
	K, L      int
	// MaxSuppressed is the most rows that may be left out.
	MaxSuppressed int
	// StatisticsLevels is, per quasi-identifier, the level the statistics
	// rows hold: no release goes below it. A quasi-identifier the
	// statistics do not keep is missing ("") in their rows.
	StatisticsLevels map[string]int
	// Fixed pins quasi-identifiers to a level (the level earlier releases
	// chose, so that two releases cut the same boundaries).
	Fixed map[string]int
	// Previous are the releases already handed out: a class whose rows
	// differ from what one of them showed by 1 to K−1 rows is suppressed
	// (comparing the two releases would single those rows out).
	Previous []Release
}

// Release is what an earlier release showed: its quasi-identifiers and
// sensitive columns and, per class (ClassKey of the generalised
// quasi-identifier values), its rows.
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
}

// ClassKey joins a class's quasi-identifier values into a Release key.
func ClassKey(vals []string) string { return strings.Join(vals, "\x00") }

// Level is the generalisation chosen for one quasi-identifier.
type Level struct {
	Field string `json:"field"`
	Level int    `json:"level"`
	Of    int    `json:"of"`
	Name  string `json:"name"`
}

// Report says what the release achieves; it holds no values.
type Report struct {
	K          int `json:"k"`
	L          int `json:"l,omitempty"`
	RequiredK  int `json:"required_k"`
	RequiredL  int `json:"required_l,omitempty"`
	Records    int `json:"records"`
	Released   int `json:"released"`
	Suppressed int `json:"suppressed"`
	// FromStatistics counts the rows of Records and Released that came
	// from the statistics of anonymised accounts (Z9); the rest are live.
	StatisticsRecords  int `json:"statistics_records"`
	StatisticsReleased int `json:"statistics_released"`
	// SuppressedByEarlierReleases counts the rows suppressed because their
	// class's count differs from an earlier release's by fewer than k.
	SuppressedByEarlierReleases int `json:"suppressed_by_earlier_releases"`
	// KLive and KStatistics are the smallest number of live and of
	// statistics rows in a class that has any (0: none released).
	KLive       int     `json:"k_live"`
	KStatistics int     `json:"k_statistics"`
	Classes     int     `json:"equivalence_classes"`
	Levels      []Level `json:"generalisation"`
	// Discernibility is Σ|E|² over the released groups plus
	// suppressed × records (Bayardo and Agrawal 2005).
	Discernibility int64 `json:"discernibility"`
	// NCP is the normalised certainty penalty in [0, 1] (Xu et al. 2006):
	// per quasi-identifier value (covered source values − 1) / (distinct
	// source values − 1), averaged over records and quasi-identifiers, a
	// suppressed record counting 1.
	NCP float64 `json:"ncp"`
	// Nodes is how many lattice nodes were evaluated.
	Nodes int `json:"lattice_nodes"`
}

// Result is the release: the columns, the rows with quasi-identifiers
// generalised (sorted, so their order says nothing of the source), and
// the report.
type Result struct {
	Columns []string
	Rows    [][]string
	// Statistics marks, per released row, a statistics row.
	Statistics []bool
	Report     Report
}

// qi is one quasi-identifier prepared for the search: its values coded
// per level, and per level and code how many distinct stored values the
// code covers.
type qi struct {
	col    int
	h      *Hierarchy
	codes  [][]int32 // [level][row]
	values [][]string
	ncp    []float64   // [level] Σ over rows of the record's penalty
	pen    [][]float64 // [level][code] the penalty of one record
	lo, hi int         // the levels the search may choose
}

// Anonymise returns the release of d that satisfies c with the least
// information loss, or an EINVALID error saying why none does.
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
	var qis []*qi
	var sens []int
	for j, col := range d.Columns {
		if h := c.Hierarchies[col]; h != nil {
			lv, kept := c.StatisticsLevels[col]
			if !kept {
				lv = -1
			}
			q, err := prepare(d.Rows, stat, j, h, lv)
			if err != nil {
				return nil, err
			}
			q.lo, q.hi = max(lv, 0), h.Height()-1
			if f, ok := c.Fixed[col]; ok {
				if f < q.lo || f > q.hi {
					return nil, steward.Errorf(steward.EINVALID, "error.anonymise_fixed_level", "field", col, "level", f)
				}
				q.lo, q.hi = f, f
			}
			qis = append(qis, q)
		} else if slices.Contains(c.Sensitive, col) {
			sens = append(sens, j)
		} else {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_column_role", "field", col)
		}
	}
	sensNames := make([]string, len(sens))
	for i, j := range sens {
		sensNames[i] = d.Columns[j]
	}
	sensCodes := make([][]int32, len(sens))
	for i, j := range sens {
		sensCodes[i], _ = encode(d.Rows, func(r []string) string { return r[j] })
	}

	best := (*evaluation)(nil)
	blocked := false
	nodes := 0
	node := make([]int, len(qis))
	for k, q := range qis {
		node[k] = q.lo
	}
	for {
		nodes++
		e := evaluate(n, d.Rows, qis, node, sensCodes, sens, sensNames, stat, c)
		if e.suppressed <= c.MaxSuppressed && e.released > 0 && better(e, best) {
			best = e
		}
		// Would the node do but for the earlier releases?
		blocked = blocked || e.suppressed-e.byEarlier <= c.MaxSuppressed && e.released+e.byEarlier > 0
		if !next(node, qis) {
			break
		}
	}
	if best == nil && blocked {
		return nil, steward.Errorf(steward.EINVALID, "error.anonymise_release_differs", "k", c.K, "max", c.MaxSuppressed)
	}
	if best == nil {
		return nil, steward.Errorf(steward.EINVALID, "error.anonymise_infeasible", "k", c.K, "l", c.L, "max", c.MaxSuppressed)
	}
	return release(d, stat, qis, best, c, nodes), nil
}

// next steps node through the lattice like an odometer; false after the
// last node.
func next(node []int, qis []*qi) bool {
	for i := range node {
		node[i]++
		if node[i] <= qis[i].hi {
			return true
		}
		node[i] = qis[i].lo
	}
	return false
}

// prepare codes column j of rows at every level of h. A statistics row
// holds its value at level statLevel (-1: it has none of this column).
// The penalties are counted over the live rows' stored values: a
// statistics row's value is no stored value, and it gets the penalty of
// the class it falls in.
func prepare(rows [][]string, stat []bool, j int, h *Hierarchy, statLevel int) (*qi, error) {
	H := h.Height()
	q := &qi{col: j, h: h, codes: make([][]int32, H), values: make([][]string, H), ncp: make([]float64, H), pen: make([][]float64, H)}
	chains := make([][]string, len(rows))
	cache := map[string][]string{}
	statCache := map[string][]string{}
	for i, r := range rows {
		if stat[i] {
			ch, ok := statCache[r[j]]
			if !ok {
				var err error
				if statLevel < 0 {
					ch, err = h.Chain("")
				} else {
					ch, err = h.ChainFrom(r[j], statLevel)
				}
				if err != nil {
					return nil, err
				}
				statCache[r[j]] = ch
			}
			chains[i] = ch
			continue
		}
		ch, ok := cache[r[j]]
		if !ok {
			var err error
			if ch, err = h.Chain(r[j]); err != nil {
				return nil, err
			}
			cache[r[j]] = ch
		}
		chains[i] = ch
	}
	for lv := 0; lv < H; lv++ {
		q.codes[lv], q.values[lv] = encode(chains, func(ch []string) string { return ch[lv] })
	}
	// Distinct stored values covered by each code of each level.
	seen := map[int32]bool{}
	for i := range rows {
		if !stat[i] {
			seen[q.codes[0][i]] = true
		}
	}
	distinct := len(seen)
	for lv := 0; lv < H; lv++ {
		covered := make([]map[int32]bool, len(q.values[lv]))
		for i := range rows {
			if stat[i] {
				continue
			}
			cd := q.codes[lv][i]
			if covered[cd] == nil {
				covered[cd] = map[int32]bool{}
			}
			covered[cd][q.codes[0][i]] = true
		}
		q.pen[lv] = make([]float64, len(covered))
		if distinct < 2 {
			continue
		}
		// A code only statistics rows hold covers no stored value: it
		// gets the level's mean penalty.
		mean, live := 0.0, 0
		for cd, c := range covered {
			if len(c) > 0 {
				q.pen[lv][cd] = float64(len(c)-1) / float64(distinct-1)
				mean += q.pen[lv][cd]
				live++
			}
		}
		if live > 0 {
			mean /= float64(live)
		}
		for cd, c := range covered {
			if len(c) == 0 {
				q.pen[lv][cd] = mean
			}
		}
		for i := range rows {
			q.ncp[lv] += q.pen[lv][q.codes[lv][i]]
		}
	}
	return q, nil
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

// evaluation is one lattice node's outcome.
type evaluation struct {
	node       []int
	class      []int32 // per row, the row's group
	keep       []bool  // per group
	sizes      []int
	suppressed int
	released   int
	ncp        float64
	dm         int64
	// byEarlier counts the rows suppressed by againstEarlier.
	byEarlier int
}

// evaluate groups the rows at node and decides which groups are
// released: at least K rows, of which the live rows number none or at
// least K (an attacker holding the statistics table subtracts it; the
// statistics rows carry nothing beyond that table, so they need no bound
// of their own); L distinct values of each sensitive column among the
// live rows (statistics rows have none); and no class that an earlier
// release would let be differenced.
func evaluate(n int, rows [][]string, qis []*qi, node []int, sens [][]int32, sensIdx []int, sensNames []string, stat []bool, c Config) *evaluation {
	class := make([]int32, n)
	for k, q := range qis {
		codes := q.codes[node[k]]
		if k == 0 {
			copy(class, codes)
			continue
		}
		ids := make(map[uint64]int32, 64)
		for i := range class {
			key := uint64(uint32(class[i]))<<32 | uint64(uint32(codes[i]))
			id, ok := ids[key]
			if !ok {
				id = int32(len(ids))
				ids[key] = id
			}
			class[i] = id
		}
	}
	if len(qis) == 0 {
		clear(class)
	}
	groups := int32(0)
	for _, cl := range class {
		groups = max(groups, cl+1)
	}
	sizes := make([]int, groups)
	stats := make([]int, groups)
	for i, cl := range class {
		sizes[cl]++
		if stat[i] {
			stats[cl]++
		}
	}
	keep := make([]bool, groups)
	for g, s := range sizes {
		live := s - stats[g]
		keep[g] = s >= c.K && (live == 0 || live >= c.K)
	}
	if c.L > 0 {
		for _, codes := range sens {
			seen := map[uint64]bool{}
			distinct := make([]int, groups)
			for i, cl := range class {
				if stat[i] {
					continue
				}
				key := uint64(uint32(cl))<<32 | uint64(uint32(codes[i]))
				if !seen[key] {
					seen[key] = true
					distinct[cl]++
				}
			}
			for g := range keep {
				if distinct[g] < c.L && sizes[g] > stats[g] {
					keep[g] = false
				}
			}
		}
	}
	e := &evaluation{node: slices.Clone(node), class: class, keep: keep, sizes: sizes}
	if len(c.Previous) > 0 {
		e.byEarlier = againstEarlier(qis, node, class, sizes, keep, rows, sensIdx, sensNames, stat, c)
	}
	for g, s := range sizes {
		if keep[g] {
			e.released += s
			e.dm += int64(s) * int64(s)
		} else {
			e.suppressed += s
		}
	}
	e.dm += int64(e.suppressed) * int64(n)
	// NCP: each released record's penalty, suppressed records count 1.
	if len(qis) > 0 {
		total := float64(e.suppressed * len(qis))
		if e.suppressed == 0 {
			for k, q := range qis {
				total += q.ncp[node[k]]
			}
		} else {
			for i, cl := range class {
				if !keep[cl] {
					continue
				}
				for k, q := range qis {
					total += q.pen[node[k]][q.codes[node[k]][i]]
				}
			}
		}
		e.ncp = total / float64(n*len(qis))
	}
	return e
}

// better orders feasible nodes: least NCP, then least discernibility,
// then lowest height, then the first in lattice order.
func better(e, best *evaluation) bool {
	if best == nil {
		return true
	}
	const eps = 1e-12
	if e.ncp < best.ncp-eps {
		return true
	}
	if e.ncp > best.ncp+eps {
		return false
	}
	if e.dm != best.dm {
		return e.dm < best.dm
	}
	h := func(n []int) (s int) {
		for _, v := range n {
			s += v
		}
		return s
	}
	return h(e.node) < h(best.node)
}

func release(d Dataset, stat []bool, qis []*qi, e *evaluation, c Config, nodes int) *Result {
	r := &Result{Columns: slices.Clone(d.Columns)}
	type out struct {
		row  []string
		stat bool
	}
	var rows []out
	rep := Report{RequiredK: c.K, RequiredL: c.L, Records: len(d.Rows), Released: e.released, Suppressed: e.suppressed,
		SuppressedByEarlierReleases: e.byEarlier, Discernibility: e.dm, NCP: e.ncp, Nodes: nodes}
	for i, row := range d.Rows {
		if stat[i] {
			rep.StatisticsRecords++
		}
		if !e.keep[e.class[i]] {
			continue
		}
		o := slices.Clone(row)
		for k, q := range qis {
			lv := e.node[k]
			o[q.col] = q.values[lv][q.codes[lv][i]]
		}
		rows = append(rows, out{o, stat[i]})
	}
	slices.SortFunc(rows, func(a, b out) int { return slices.Compare(a.row, b.row) })
	for _, o := range rows {
		r.Rows = append(r.Rows, o.row)
		r.Statistics = append(r.Statistics, o.stat)
	}
	for k, q := range qis {
		rep.Levels = append(rep.Levels, Level{Field: q.h.Field, Level: e.node[k], Of: q.h.Height() - 1, Name: q.h.LevelName(e.node[k])})
	}
	m := MeasureParts(r.Columns, r.Rows, r.Statistics, c.Hierarchies, c.Sensitive)
	rep.K, rep.L, rep.Classes, rep.KLive, rep.KStatistics, rep.StatisticsReleased = m.K, m.L, m.Classes, m.KLive, m.KStatistics, m.StatisticsRows
	r.Report = rep
	return r
}

// Measure counts, independently of the search, the smallest group of
// rows sharing their quasi-identifier values (k), the fewest distinct
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

// againstEarlier suppresses the classes an earlier release would let an
// attacker difference (the intersection attack between two releases of
// the same partner or of two): on the quasi-identifiers and sensitive
// columns both releases share, a class whose live rows gained or lost 1 to
// K−1 rows (by their sensitive values), or whose statistics rows did,
// shows those few rows apart from the others. Such a class is suppressed;
// a difference of 0 or of at least K rows is not. The search pins the
// levels (Config.Fixed), so the classes of both releases cut the same
// boundaries. Releases that share no quasi-identifier are not compared
// (docs/anonymisation.md says why that is the limit of this check). It
// returns the rows it suppressed.
func againstEarlier(qis []*qi, node []int, class []int32, sizes []int, keep []bool, rows [][]string, sensIdx []int, sensCols []string, stat []bool, c Config) int {
	byName := map[string]int{}
	for k, q := range qis {
		byName[q.h.Field] = k
	}
	suppressed := 0
	for _, p := range c.Previous {
		var ours, theirs []int // the shared quasi-identifiers: our qi index, their column index
		for j, col := range p.Columns {
			if k, ok := byName[col]; ok {
				ours, theirs = append(ours, k), append(theirs, j)
			}
		}
		if len(ours) == 0 {
			continue
		}
		var oursS, theirsS []int // the shared sensitive columns: our row column, their index
		for j, col := range p.Sensitive {
			if k := slices.Index(sensCols, col); k >= 0 {
				oursS, theirsS = append(oursS, sensIdx[k]), append(theirsS, j)
			}
		}
		before := map[string]*Class{}
		for key, cl := range p.Classes {
			vals := strings.Split(key, "\x00")
			if len(vals) != len(p.Columns) {
				continue
			}
			b := classAt(before, ClassKey(pick(vals, theirs)))
			b.Rows += cl.Rows
			for t, n := range cl.Live {
				if tv := strings.Split(t, "\x00"); len(tv) == len(p.Sensitive) {
					b.Live[ClassKey(pick(tv, theirsS))] += n
				}
			}
		}
		keyOf := make([]string, len(sizes))
		done := make([]bool, len(sizes))
		tuple := make([]string, len(class))
		for i, g := range class {
			if !stat[i] {
				tuple[i] = ClassKey(pick(rows[i], oursS))
			}
			if done[g] {
				continue
			}
			done[g] = true
			proj := make([]string, len(ours))
			for x, k := range ours {
				lv := node[k]
				proj[x] = qis[k].values[lv][qis[k].codes[lv][i]]
			}
			keyOf[g] = ClassKey(proj)
		}
		for changed := true; changed; {
			changed = false
			now := map[string]*Class{}
			for i, g := range class {
				if !keep[g] {
					continue
				}
				n := classAt(now, keyOf[g])
				n.Rows++
				if !stat[i] {
					n.Live[tuple[i]]++
				}
			}
			bad := map[string]bool{}
			for k, n := range now {
				bad[k] = differs(n, before[k], c.K)
			}
			for k, b := range before {
				if now[k] == nil {
					bad[k] = differs(nil, b, c.K)
				}
			}
			for g := range sizes {
				if keep[g] && bad[keyOf[g]] {
					keep[g], changed = false, true
					suppressed += sizes[g]
				}
			}
		}
	}
	return suppressed
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

// ReleaseOf is what res shows a partner, for the checks of later
// releases: its quasi-identifiers (in the order of the report's levels),
// its sensitive columns and its classes with their live rows by
// sensitive values.
func ReleaseOf(res *Result, sensitive []string) Release {
	r := Release{Classes: map[string]Class{}}
	var qcols, scols []int
	for _, l := range res.Report.Levels {
		r.Columns = append(r.Columns, l.Field)
		qcols = append(qcols, slices.Index(res.Columns, l.Field))
	}
	for j, col := range res.Columns {
		if slices.Contains(sensitive, col) {
			r.Sensitive = append(r.Sensitive, col)
			scols = append(scols, j)
		}
	}
	for i, row := range res.Rows {
		k := ClassKey(pick(row, qcols))
		cl := r.Classes[k]
		if cl.Live == nil {
			cl.Live = map[string]int{}
		}
		cl.Rows++
		if res.Statistics == nil || !res.Statistics[i] {
			cl.Live[ClassKey(pick(row, scols))]++
		}
		r.Classes[k] = cl
	}
	return r
}
