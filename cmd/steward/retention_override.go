package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"steward"
	"steward/audit"
	"steward/policy"
	"steward/retention"
	"steward/store"
)

// overrideFields are the field names a retention.override audit entry
// names: what an override consists of, never its values (G2).
var overrideFields = []string{"organisation_id", "rule_id", "period", "contract_ref", "valid_from", "valid_until"}

// overrideDay parses a --from/--until date; "" is the zero time.
func overrideDay(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, steward.Errorf(steward.EINVALID, "error.flag_must_be_a_date", "flag", flag, "value", s)
	}
	return t, nil
}

// runOverrideSet stores a per-organisation contract override (R9, R10:
// "unless a contract says otherwise") with its audit entry in one
// transaction. Everything that can be checked without the database is
// checked first (G3: bad input changes nothing).
func runOverrideSet(ctx context.Context, a *app, args []string) error {
	fs := a.flags("retention override set", "--organisation ID --rule ID --period P5Y --contract REF --from YYYY-MM-DD [--until YYYY-MM-DD] --staff ID",
		"Sets, for the members of an organisation, another period for a retention rule\n"+
			"that allows it (contract_override in the policy). The override applies from\n"+
			"--from until --until (open-ended without it). Audited to your staff account.")
	db, pol, staff := a.dbFlag(fs), a.policyFlag(fs), a.staffFlag(fs)
	org := fs.String("organisation", "", "the organisation's id")
	rule := fs.String("rule", "", "the retention rule's id in the policy")
	period := fs.String("period", "", "the contract's period, ISO 8601 (P5Y, P18M)")
	contract := fs.String("contract", "", "the contract's reference, e.g. IVM-2025-014")
	from := fs.String("from", "", "first day the contract applies (YYYY-MM-DD)")
	until := fs.String("until", "", "day the contract ends (YYYY-MM-DD), empty for open-ended")
	if err := parse(fs, args); err != nil {
		return err
	}
	o := retention.Override{Organisation: *org, Rule: *rule, ContractRef: *contract}
	var err error
	if o.ValidFrom, err = overrideDay("from", *from); err != nil {
		return err
	}
	if o.ValidFrom.IsZero() {
		return steward.FieldError("from", "error.is_required_first_day")
	}
	if o.ValidUntil, err = overrideDay("until", *until); err != nil {
		return err
	}
	if o.Period, err = policy.ParseDuration(*period); err != nil {
		return steward.FieldError("period", "error.is_not_iso_8601", "period", *period)
	}
	p, err := loadPolicy(*pol)
	if err != nil {
		return err
	}
	if r := p.Rule(o.Rule); r == nil {
		_, err := retentionEngine(p).Rule(o.Rule)
		return err
	} else if !r.ContractOverride {
		return steward.FieldError("rule", "error.retention_rule_no_contract_override", "rule", o.Rule)
	}
	s, actor, err := a.openStoreAsStaff(ctx, *db, *staff)
	if err != nil {
		return err
	}
	defer s.Close()
	log := &audit.Log{Clock: a.clock, PolicyVersion: func() string { return p.Version.Number }}
	var id int64
	err = s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if err := retention.CheckOverride(p, o); err != nil {
			return err
		}
		if id, err = tx.SetOverride(ctx, store.Override(o), a.clock.Now()); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: actor, Action: audit.RetentionOverride,
			ObjectKind: "retention_override", ObjectID: strconv.FormatInt(id, 10), Fields: overrideFields})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "override %d: organisation %s, rule %s, period %s, contract %s, from %s\n",
		id, o.Organisation, o.Rule, o.Period, o.ContractRef, o.ValidFrom.Format(time.DateOnly))
	return nil
}

// retentionEngine is the engine of a policy that loaded, for its errors.
func retentionEngine(p *policy.Policy) *retention.Engine {
	e, err := retention.New(p)
	if err != nil {
		panic(err) // loadPolicy validated the policy
	}
	return e
}

// runOverrideList lists the overrides, optionally of one organisation or rule.
func runOverrideList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("retention override list", "[--organisation ID] [--rule ID] [--format table|json]",
		"Lists the contract overrides of retention periods.")
	db := a.dbFlag(fs)
	org := fs.String("organisation", "", "only this organisation")
	rule := fs.String("rule", "", "only this rule")
	format := formatFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := format.check(); err != nil {
		return err
	}
	s, err := a.openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.ListOverrides(ctx, store.OverrideFilter{Organisation: *org, Rule: *rule})
	if err != nil {
		return err
	}
	// The organisation's name beside its id: an id alone says nothing
	// to the reader. An organisation no longer there has none ("-").
	orgs, err := s.Organisations(ctx)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	if format.json() {
		type row struct {
			ID           int64  `json:"id"`
			Organisation string `json:"organisation"`
			Name         string `json:"organisation_name,omitempty"`
			Rule         string `json:"rule"`
			Period       string `json:"period"`
			Contract     string `json:"contract"`
			From         string `json:"from"`
			Until        string `json:"until,omitempty"`
		}
		out := make([]row, 0, len(list))
		for _, o := range list {
			r := row{o.ID, o.Organisation, names[o.Organisation], o.Rule, o.Period.String(), o.ContractRef, o.ValidFrom.Format(time.DateOnly), ""}
			if !o.ValidUntil.IsZero() {
				r.Until = o.ValidUntil.Format(time.DateOnly)
			}
			out = append(out, r)
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tORGANISATION\tNAME\tRULE\tPERIOD\tCONTRACT\tFROM\tUNTIL")
	for _, o := range list {
		until := "-"
		if !o.ValidUntil.IsZero() {
			until = o.ValidUntil.Format(time.DateOnly)
		}
		name := names[o.Organisation]
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Organisation, name, o.Rule, o.Period, o.ContractRef, o.ValidFrom.Format(time.DateOnly), until)
	}
	return tw.Flush()
}

// runOverrideRemove removes an override by id with its audit entry.
func runOverrideRemove(ctx context.Context, a *app, args []string) error {
	fs := a.flags("retention override remove", "--id N --staff ID",
		"Removes a contract override; the rule's own period applies again. Audited.")
	db, staff := a.dbFlag(fs), a.staffFlag(fs)
	idFlag := fs.String("id", "", "the override's id (see 'retention override list')")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := strconv.ParseInt(*idFlag, 10, 64)
	if err != nil || id <= 0 {
		return steward.FieldError("id", "error.is_not_override_id", "id_flag", *idFlag)
	}
	s, actor, err := a.openStoreAsStaff(ctx, *db, *staff)
	if err != nil {
		return err
	}
	defer s.Close()
	log := &audit.Log{Clock: a.clock}
	var o store.StoredOverride
	err = s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if o, err = tx.RemoveOverride(ctx, id); err != nil {
			return err
		}
		return log.Record(ctx, tx, audit.Entry{Actor: actor, Action: audit.RetentionOverride,
			ObjectKind: "retention_override", ObjectID: strconv.FormatInt(id, 10), Fields: overrideFields})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "override %d removed (organisation %s, rule %s)\n", id, o.Organisation, o.Rule)
	return nil
}
