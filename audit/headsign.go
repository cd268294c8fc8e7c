package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"sync"
	"sync/atomic"

	"filippo.io/edwards25519"
)

// headSigner makes the head's signature, made at every appending commit
// (issue 15: an ed25519 signature was 15-18% of a single append's CPU,
// on the path of every commit). Its signatures are ordinary Ed25519
// signatures — R, then S = r + SHA-512(R ‖ A ‖ message)·a — that
// ed25519.Verify checks like any other; only the nonce r is drawn at
// random instead of from the message, so that R = r·B, the costly
// scalar multiplication, is computed ahead by a goroutine while the
// previous commit writes, and signing a head is then a hash and a
// multiply-add. Verification, and what a signature proves, are the same.
//
// Each nonce is used for one signature only (a channel hands each out
// once), and is SHA-512 of the key's secret prefix and 32 fresh random
// bytes, so a weak random source alone cannot make two alike.
type headSigner struct {
	a      edwards25519.Scalar // the secret scalar
	prefix []byte              // the key's secret nonce prefix
	pub    []byte              // A
	ready  chan nonce
	// filling is set while a goroutine fills ready.
	filling atomic.Bool
}

// nonce is r and R = r·B, encoded.
type nonce struct {
	r edwards25519.Scalar
	R [32]byte
}

// headNonces is how many nonces are kept computed ahead. They are
// computed in rounds, started when half are used: starting a goroutine
// costs the signing one about 8 µs on this machine (it wakes a thread),
// half a signature, so not at every signature.
const headNonces = 64

func newHeadSigner(key ed25519.PrivateKey) *headSigner {
	h := sha512.Sum512(key.Seed())
	s := &headSigner{prefix: h[32:], pub: key.Public().(ed25519.PublicKey), ready: make(chan nonce, headNonces)}
	if _, err := s.a.SetBytesWithClamping(h[:32]); err != nil {
		panic("audit: head signer: " + err.Error()) // 32 bytes never fail
	}
	return s
}

// newNonce draws a fresh nonce.
func (s *headSigner) newNonce() nonce {
	var rnd [32]byte
	rand.Read(rnd[:]) // never fails (crypto/rand)
	d := sha512.New()
	d.Write(s.prefix)
	d.Write(rnd[:])
	var n nonce
	if _, err := n.r.SetUniformBytes(d.Sum(nil)); err != nil {
		panic("audit: head signer: " + err.Error()) // 64 bytes never fail
	}
	copy(n.R[:], new(edwards25519.Point).ScalarBaseMult(&n.r).Bytes())
	return n
}

// sign returns the Ed25519 signature of msg.
func (s *headSigner) sign(msg []byte) []byte {
	var n nonce
	select {
	case n = <-s.ready:
	default:
		n = s.newNonce()
	}
	s.refill()
	d := sha512.New()
	d.Write(n.R[:])
	d.Write(s.pub)
	d.Write(msg)
	var k, S edwards25519.Scalar
	if _, err := k.SetUniformBytes(d.Sum(nil)); err != nil {
		panic("audit: head signer: " + err.Error())
	}
	S.MultiplyAdd(&k, &s.a, &n.r)
	sig := make([]byte, 0, ed25519.SignatureSize)
	sig = append(sig, n.R[:]...)
	return append(sig, S.Bytes()...)
}

// refill starts a goroutine that computes nonces until ready is full,
// when half or more are used and none is running; it ends when ready is
// full, so an idle signer holds no goroutine.
func (s *headSigner) refill() {
	if len(s.ready) > cap(s.ready)/2 || !s.filling.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.filling.Store(false)
		for len(s.ready) < cap(s.ready) {
			n := s.newNonce()
			select {
			case s.ready <- n:
			default:
				return // filled meanwhile; n is dropped, never used
			}
		}
	}()
}

// lazyHeadSigner is a Signer's headSigner, made at its first head.
type lazyHeadSigner struct {
	once sync.Once
	s    *headSigner
}

func (l *lazyHeadSigner) get(key ed25519.PrivateKey) *headSigner {
	l.once.Do(func() { l.s = newHeadSigner(key) })
	return l.s
}
