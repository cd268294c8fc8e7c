package audit

import (
	"crypto/ed25519"
	"strings"

	"steward"
)

// GenesisState says what the store holds of the log's genesis record.
type GenesisState uint8

const (
	// GenesisUnsealed: the record is there, as migration 0015 wrote it,
	// but no entry has been appended with the key since, so it vouches
	// for nothing yet. The zero value.
	GenesisUnsealed GenesisState = iota
	// GenesisSealed: the record is a signed genesis.
	GenesisSealed
	// GenesisMissing: the record is gone. A migrated database always has
	// it, so it was deleted: the log was wiped.
	GenesisMissing
	// GenesisDamaged: the record is neither unsealed nor a genesis.
	GenesisDamaged
)

// Genesis is the log's birth certificate: a signed statement, made once,
// in the transaction that first appends an entry with the key, that entry
// Size has hash Hash. It is kept apart from the audit tables (the
// settings row audit_genesis, written unsealed by migration 0015), so a
// database whose audit tables were emptied still has a genesis vouching
// for an entry that is gone, and one that deleted the genesis too has
// none — both reported broken. Its limits are in docs/audit.md.
type Genesis struct {
	State     GenesisState
	Size      uint64
	Hash      Hash
	KeyID     string
	Signature []byte
}

// genesisLabel is the genesis's own message, so that neither a head nor a
// checkpoint signature can pass for one (see headLabel).
const genesisLabel = "steward audit genesis v1"

// GenesisUnsealedValue is the stored form of an unsealed genesis.
const GenesisUnsealedValue = "unsealed"

// Genesis returns the sealed genesis "the log's first entry appended with
// the key is entry size, with hash h".
func (s *Signer) Genesis(size uint64, h Hash) Genesis {
	return Genesis{State: GenesisSealed, Size: size, Hash: h, KeyID: s.id,
		Signature: ed25519.Sign(s.key, signedMessage(genesisLabel, size, h))}
}

// Verify reports whether the genesis is sealed and signed, as a genesis,
// by pub.
func (g Genesis) Verify(pub ed25519.PublicKey) bool {
	return g.State == GenesisSealed && verifySigned(pub, genesisLabel, g.KeyID, g.Size, g.Hash, g.Signature)
}

// Value is the genesis as the store keeps it, on one line:
//
//	genesis size=N hash=HEX key=KEYID signature=HEX
//
// or GenesisUnsealedValue. ParseGenesis reads it back.
func (g Genesis) Value() string {
	if g.State != GenesisSealed {
		return GenesisUnsealedValue
	}
	return Checkpoint{Size: g.Size, Hash: g.Hash, KeyID: g.KeyID, Signature: g.Signature}.line("genesis")
}

// ParseGenesis reads a value written by Genesis.Value. Anything else is a
// genesis with State GenesisDamaged and an EINVALID error saying why.
func ParseGenesis(v string) (Genesis, error) {
	if strings.TrimSpace(v) == GenesisUnsealedValue {
		return Genesis{State: GenesisUnsealed}, nil
	}
	cp, err := parseSigned("genesis", v)
	if err != nil {
		return Genesis{State: GenesisDamaged}, steward.Errorf(steward.EINVALID, "error.audit_genesis", "err", err)
	}
	return Genesis{State: GenesisSealed, Size: cp.Size, Hash: cp.Hash, KeyID: cp.KeyID, Signature: cp.Signature}, nil
}
