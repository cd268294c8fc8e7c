package audit

import (
	"crypto/sha256"
	"encoding/binary"
)

// FormatV1 is the first canonical encoding. An entry records the format it
// was hashed in, so a later format can be introduced without rehashing (and
// so invalidating) the entries already written.
const FormatV1 uint8 = 1

// AppendCanonical appends the canonical encoding of e to dst: every column
// in a fixed order, integers big-endian and texts length-prefixed, so no two
// different entries encode the same and no column can change unnoticed.
//
//	format   1 byte  (FormatV1)
//	seq      8 bytes
//	time     8 bytes  unix milliseconds
//	actor, action, object_kind, object_id, subject, fields (joined with ","),
//	policy_version, request_id: each uvarint length + bytes
//	prev_hash 32 bytes
//
// Hash covers Format too, so a changed format byte breaks the hash as well.
func AppendCanonical(dst []byte, e *Entry) []byte {
	dst = append(dst, e.Format)
	dst = binary.BigEndian.AppendUint64(dst, e.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time.UnixMilli()))
	dst = appendText(dst, string(e.Actor))
	dst = appendText(dst, string(e.Action))
	dst = appendText(dst, e.ObjectKind)
	dst = appendText(dst, e.ObjectID)
	dst = appendText(dst, string(e.Subject))
	// Field names cannot contain ',' (Validate), so joining is unambiguous.
	n := 0
	for i, f := range e.Fields {
		if i > 0 {
			n++
		}
		n += len(f)
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for i, f := range e.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, f...)
	}
	dst = appendText(dst, e.PolicyVersion)
	dst = appendText(dst, e.RequestID)
	dst = append(dst, e.PrevHash[:]...)
	return dst
}

func appendText(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// ComputeHash returns SHA-256 over e's canonical encoding, PrevHash included.
func (e *Entry) ComputeHash() Hash {
	var buf [512]byte
	return sha256.Sum256(AppendCanonical(buf[:0], e))
}
