package anonymise

import (
	"slices"

	"steward"
)

// Dataset is what is to be released: one row per person, the columns in
// the order given. A column with a Hierarchy is a quasi-identifier; one
// listed in Sensitive is released as it is.
type Dataset struct {
	Columns []string
	Rows    [][]string
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
}

// Level is the generalisation chosen for one quasi-identifier.
type Level struct {
	Field string `json:"field"`
	Level int    `json:"level"`
	Of    int    `json:"of"`
	Name  string `json:"name"`
}

// Report says what the release achieves; it holds no values.
type Report struct {
	K          int     `json:"k"`
	L          int     `json:"l,omitempty"`
	RequiredK  int     `json:"required_k"`
	RequiredL  int     `json:"required_l,omitempty"`
	Records    int     `json:"records"`
	Released   int     `json:"released"`
	Suppressed int     `json:"suppressed"`
	Classes    int     `json:"equivalence_classes"`
	Levels     []Level `json:"generalisation"`
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
	Report  Report
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
	var qis []*qi
	var sens []int
	for j, col := range d.Columns {
		if h := c.Hierarchies[col]; h != nil {
			q, err := prepare(d.Rows, j, h)
			if err != nil {
				return nil, err
			}
			qis = append(qis, q)
		} else if slices.Contains(c.Sensitive, col) {
			sens = append(sens, j)
		} else {
			return nil, steward.Errorf(steward.EINVALID, "error.anonymise_column_role", "field", col)
		}
	}
	sensCodes := make([][]int32, len(sens))
	for i, j := range sens {
		sensCodes[i], _ = encode(d.Rows, func(r []string) string { return r[j] })
	}

	best := (*evaluation)(nil)
	nodes := 0
	node := make([]int, len(qis))
	for {
		nodes++
		if e := evaluate(n, qis, node, sensCodes, c); e.suppressed <= c.MaxSuppressed && e.released > 0 && better(e, best) {
			best = e
		}
		if !next(node, qis) {
			break
		}
	}
	if best == nil {
		return nil, steward.Errorf(steward.EINVALID, "error.anonymise_infeasible", "k", c.K, "l", c.L, "max", c.MaxSuppressed)
	}
	return release(d, qis, best, c, nodes), nil
}

// next steps node through the lattice like an odometer; false after the
// last node.
func next(node []int, qis []*qi) bool {
	for i := range node {
		node[i]++
		if node[i] < qis[i].h.Height() {
			return true
		}
		node[i] = 0
	}
	return false
}

func prepare(rows [][]string, j int, h *Hierarchy) (*qi, error) {
	H := h.Height()
	q := &qi{col: j, h: h, codes: make([][]int32, H), values: make([][]string, H), ncp: make([]float64, H), pen: make([][]float64, H)}
	chains := make([][]string, len(rows))
	cache := map[string][]string{}
	for i, r := range rows {
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
	distinct := len(q.values[0])
	for lv := 0; lv < H; lv++ {
		covered := make([]map[int32]bool, len(q.values[lv]))
		for i := range rows {
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
		for cd, c := range covered {
			q.pen[lv][cd] = float64(len(c)-1) / float64(distinct-1)
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
}

func evaluate(n int, qis []*qi, node []int, sens [][]int32, c Config) *evaluation {
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
	for _, cl := range class {
		sizes[cl]++
	}
	keep := make([]bool, groups)
	for g, s := range sizes {
		keep[g] = s >= c.K
	}
	if c.L > 0 {
		for _, codes := range sens {
			seen := map[uint64]bool{}
			distinct := make([]int, groups)
			for i, cl := range class {
				key := uint64(uint32(cl))<<32 | uint64(uint32(codes[i]))
				if !seen[key] {
					seen[key] = true
					distinct[cl]++
				}
			}
			for g := range keep {
				if distinct[g] < c.L {
					keep[g] = false
				}
			}
		}
	}
	e := &evaluation{node: slices.Clone(node), class: class, keep: keep, sizes: sizes}
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

func release(d Dataset, qis []*qi, e *evaluation, c Config, nodes int) *Result {
	r := &Result{Columns: slices.Clone(d.Columns)}
	for i, row := range d.Rows {
		if !e.keep[e.class[i]] {
			continue
		}
		out := slices.Clone(row)
		for k, q := range qis {
			lv := e.node[k]
			out[q.col] = q.values[lv][q.codes[lv][i]]
		}
		r.Rows = append(r.Rows, out)
	}
	slices.SortFunc(r.Rows, func(a, b []string) int { return slices.Compare(a, b) })
	rep := Report{RequiredK: c.K, RequiredL: c.L, Records: len(d.Rows), Released: e.released, Suppressed: e.suppressed,
		Discernibility: e.dm, NCP: e.ncp, Nodes: nodes}
	for k, q := range qis {
		rep.Levels = append(rep.Levels, Level{Field: q.h.Field, Level: e.node[k], Of: q.h.Height() - 1, Name: q.h.LevelName(e.node[k])})
	}
	rep.K, rep.L, rep.Classes = Measure(r.Columns, r.Rows, c.Hierarchies, c.Sensitive)
	r.Report = rep
	return r
}

// Measure counts, independently of the search, the smallest group of
// rows sharing their quasi-identifier values (k), the fewest distinct
// values of a sensitive column within a group (l, 0 without sensitive
// columns) and the number of groups.
func Measure(cols []string, rows [][]string, hier map[string]*Hierarchy, sensitive []string) (k, l, groups int) {
	var qcols, scols []int
	for j, c := range cols {
		if hier[c] != nil {
			qcols = append(qcols, j)
		} else if slices.Contains(sensitive, c) {
			scols = append(scols, j)
		}
	}
	type group struct {
		n    int
		vals []map[string]bool
	}
	gs := map[string]*group{}
	for _, r := range rows {
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
		for i, j := range scols {
			g.vals[i][r[j]] = true
		}
	}
	k, l = -1, -1
	for _, g := range gs {
		k = minOr(k, g.n)
		for _, v := range g.vals {
			l = minOr(l, len(v))
		}
	}
	return max(k, 0), max(l, 0), len(gs)
}

func minOr(a, b int) int {
	if a < 0 {
		return b
	}
	return min(a, b)
}
