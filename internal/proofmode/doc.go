// Package proofmode checks a proof bundle made by ProofMode, the Guardian
// Project's app that signs photos, videos and audio on the phone that
// records them: every OpenPGP signature in the bundle is checked against
// the bundle's public key, and every proof's declared SHA-256 against the
// media file it describes (see Check). OpenMedia then reads one media file
// out of the bundle so that it can be ingested as an item.
//
// # The bundle, as ProofMode writes it
//
// What follows was read from ProofMode's Android sources
// (github.com/guardianproject/proofmode-android); the file names are those
// of that repository.
//
// When a photo or video is taken, MediaWatcher.writeProof
// (android-libproofmode/.../service/MediaWatcher.kt) computes the media
// file's SHA-256 (lower-case hex, HashUtils) and writes, in a folder named
// after that hash (DefaultStorageProvider.kt):
//
//	<sha256>.proof.csv       the proof as CSV: a header row and a row of values
//	<sha256>.proof.json      the same proof as a flat JSON object of strings
//	<sha256>.proof.csv.asc   detached OpenPGP signature of the CSV
//	<sha256>.proof.json.asc  detached OpenPGP signature of the JSON
//	<sha256>.asc             detached OpenPGP signature of the media file
//	<sha256>.ots             OpenTimestamps proof, when notarisation is on
//	<sha256>.gst             SafetyNet / Play Integrity token, likewise
//
// The suffixes are the constants PROOF_FILE_TAG, PROOF_FILE_JSON_TAG,
// OPENPGP_FILE_TAG, OPENTIMESTAMPS_FILE_TAG and GOOGLE_SAFETYNET_FILE_TAG of
// ProofMode.java. Note that the media signature is named after the media's
// hash, not after the media file; the app's own docs/verify.sh and its
// HowToVerifyProofData.txt check it with "gpg --verify <sha256>.asc <media>".
// Older versions (ShareProofActivity's shareProofClassic) named the
// signature and the CSV proof after the media file instead
// (<media>.asc, <media>.proof.csv, <media>.proof.csv.asc); both layouts are
// accepted here.
//
// Sharing (ShareProofActivity.zipProof, app/.../share/ShareProofActivity.kt)
// writes a flat zip: the media file under its own name, every file of the
// hash's folder, "pubkey.asc" (the armored public key, PUBKEY_FILE), a
// "HowToVerifyProofData.txt", and sometimes a C2PA certificate
// ("c2paidentity.cert") or, when several files are shared at once, a
// "<millis>batchproof.csv". The iOS app adds "<sha256>.devicecheck" (seen in
// the fixtures of github.com/location-proofs/plugin-proofmode). Those
// extras are not checked and are not reported.
//
// The proof's fields are named in ProofModeV1Constants.java: "File Hash
// SHA256", "File Path", "File Created", "File Modified", "Proof Generated",
// "Notes", then device and network facts ("DeviceID", "Wifi MAC", "IPv4",
// "IPv6", "Network", "CellInfo", "Hardware", "Manufacturer", ...) and the
// location ("Location.Latitude", "Location.Longitude", "Location.Accuracy",
// ...). 2016-era CSV proofs call the hash "SHA256" and the time
// "CurrentDateTime0GMT". Dates use the pattern
// "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", but the formatter is set to the phone's
// own time zone: the "Z" is a literal letter, so the time may be local time
// labelled as UTC. Generated is reported as written; older versions wrote
// locale-dependent dates, which are not parsed (Generated is then zero).
//
// Keys and signatures (PgpUtils.java, DetachedSignatureProcessor.java): an
// RSA-4096 primary key that signs, with an RSA encryption subkey, certified
// with SHA-1 (accepted for key certifications by the OpenPGP library,
// refused for signatures over data); each file is signed with an armored
// binary-document signature using SHA-256. The JSON and CSV files are
// written with println, so they end in a newline, and the signature covers
// the bytes exactly as stored.
//
// # What Check decides
//
// A media file is an entry with an image, video or audio extension, or
// any entry with a signature or a proof named after it. Each media file is
// tied to its proof by name (the classic layout, or the last element of the
// proof's "File Path"), else, when one media file and one proof are left,
// to each other, else by the media's hash. Its signature is <media>.asc,
// else <declared sha256>.asc, else <actual sha256>.asc. The media is read
// once, hashing it and checking its signature in the same pass.
//
// A valid signature shows only that the files were signed by the key in
// pubkey.asc, which is in the same bundle: whoever altered the files could
// have replaced the key too. Result.Signer is the key's fingerprint, for
// the caller to compare with a key it already trusts for that source.
//
// # Privacy
//
// A proof holds the phone's location, network and device identifiers.
// Check uses only the declared hash, the time the proof was generated and
// the last element of the file path (to find the media file); the rest is
// dropped as the proof is parsed, and never kept, returned or written into
// a problem's text.
//
// # A hostile zip
//
// The bundle comes from outside and is treated as hostile. No file is ever
// written, so the names of entries only identify them (by their last
// element; two entries with the same name make the bundle invalid). Limits:
// at most 1000 entries, no entry over 8 GiB, 32 GiB in all, proofs at most
// 1 MiB, signatures 64 KiB and the public key 1 MiB; each entry must yield
// exactly the number of bytes its header declares, counted as they are
// read, so a small entry that inflates into a large one is refused however
// the zip library behaves. Media are hashed as they stream and never held
// in memory.
package proofmode
