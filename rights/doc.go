// Package rights is the domain of data-subject rights (R13, Z8; Chapter
// III GDPR): requests that arrive by e-mail, letter, phone or self-service,
// their identity verification, their legal deadline (Art. 12(3)), their
// extension and their timeline; disclosures to third parties (R7); what a
// person sees on "My data" and gets in an export (Art. 15, 20); and what
// erasure will do per record kind before the person confirms (Art. 17, Z9).
//
// It holds no SQL and no HTTP: package store keeps requests and
// disclosures, package web serves the pages, and every change that touches
// another domain's data runs through that domain's one code path.
package rights
