// Package bundle writes and verifies evidence bundles: exports of evidence
// items that a court or a foreign authority can check offline, with nothing
// but the bundle file and the log's public key.
//
// A bundle is a BagIt bag (RFC 8493) in a ZIP file, all under one top
// directory, bundle/:
//
//	bagit.txt                          BagIt 1.0, UTF-8
//	bag-info.txt                       Payload-Oxum, the log's origin and checkpoint size, case fields
//	data/items/<ID>/<Filename>         the item's original bytes, or
//	data/items/<ID>/<Filename>.age     the same, encrypted with age to the bundle's recipients
//	data/items/<ID>/item.json          the item's metadata, with the salt that opens its commitment
//	data/custody/<index>.entry         a custody event, the log entry exactly as logged
//	data/custody/<index>.proof.json    its inclusion proof against the checkpoint
//	data/checkpoint                    the signed checkpoint the proofs are against, with its cosignatures
//	manifest-sha256.txt                SHA-256 of every payload file
//	tagmanifest-sha256.txt             SHA-256 of bagit.txt, bag-info.txt and manifest-sha256.txt
//	vigil-signature.txt                a signed note over the tag manifest's hash
//
// The log key signs both the checkpoint and vigil-signature.txt, so one
// public key checks everything: the signature covers the tag manifest, which
// covers the manifest, which covers every payload file; the checkpoint
// proves every custody event is in the public log; each item's ingest event
// commits to its content, and item.json holds the salt that opens the
// commitment.
//
// The checkpoint is the one the log published: if the log has witnesses,
// it carries their cosignatures (C2SP tlog-cosignature), which show that
// the log showed this same history to them. Verify checks the log's
// signature and reports the note in Report.Checkpoint; which witnesses to
// require is the verifier's choice, checked with witness.Policy (`vigil
// verify --witness`). The manifests cover the checkpoint, so a changed
// cosignature fails Verify too; but the log's key signs the manifests, so
// only the witnesses' keys show a cosignature is genuine.
//
// The ZIP container has one canonical form, a pure function of the entries'
// names and bytes (see zipWriter), and Verify re-derives it and
// compares byte for byte, so that no byte of the file, not even a timestamp
// or padding the ZIP format ignores, can change without verification
// failing.
package bundle
