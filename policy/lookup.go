package policy

// index builds the lookup tables after a policy has been validated.
func (p *Policy) index() {
	p.purposes = make(map[string]*Purpose, len(p.Purposes))
	for i := range p.Purposes {
		p.purposes[p.Purposes[i].ID] = &p.Purposes[i]
	}
	p.records = make(map[string]*Record, len(p.Records))
	for i := range p.Records {
		p.records[p.Records[i].ID] = &p.Records[i]
	}
}

// Purpose returns the purpose with the given id, or nil.
func (p *Policy) Purpose(id string) *Purpose {
	if p.purposes == nil {
		p.index()
	}
	return p.purposes[id]
}

// Record returns the record kind with the given id, or nil.
func (p *Policy) Record(id string) *Record {
	if p.records == nil {
		p.index()
	}
	return p.records[id]
}

// Rule returns the retention rule with the given id, or nil.
func (p *Policy) Rule(id string) *Rule {
	for i := range p.Retention {
		if p.Retention[i].ID == id {
			return &p.Retention[i]
		}
	}
	return nil
}

// Processor returns the processor or recipient with the given id, or nil.
func (p *Policy) Processor(id string) *Processor {
	for i := range p.Processors {
		if p.Processors[i].ID == id {
			return &p.Processors[i]
		}
	}
	return nil
}

// ConsentPurposes returns the purposes that need consent, in file order.
func (p *Policy) ConsentPurposes() []*Purpose {
	var out []*Purpose
	for i := range p.Purposes {
		if p.Purposes[i].NeedsConsent() {
			out = append(out, &p.Purposes[i])
		}
	}
	return out
}

// RecipientsOf returns the processors and recipients that receive records of
// the given kind.
func (p *Policy) RecipientsOf(record string) []*Processor {
	var out []*Processor
	for i := range p.Processors {
		for _, r := range p.Processors[i].Records {
			if r == record {
				out = append(out, &p.Processors[i])
				break
			}
		}
	}
	return out
}

// RulesFor returns the retention rules that act on records of the given kind.
func (p *Policy) RulesFor(record string) []*Rule {
	var out []*Rule
	for i := range p.Retention {
		if p.Retention[i].Record == record {
			out = append(out, &p.Retention[i])
		}
	}
	return out
}

// Generalisation returns the hierarchy declared for "record.field", or nil.
func (p *Policy) Generalisation(field string) *Generalisation {
	for i := range p.Generalisations {
		if p.Generalisations[i].Field == field {
			return &p.Generalisations[i]
		}
	}
	return nil
}
