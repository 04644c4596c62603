// Package tus speaks the tus 1.0.0 resumable upload protocol
// (https://tus.io/protocols/resumable-upload) with its creation,
// termination and expiration extensions: a Server that keeps uploads in
// the database and in encrypted chunk blobs, and a Client that sends a file
// and picks up where it left off after a dropped connection, a crash or a
// restart.
//
// Nothing an upload carries is stored in the clear. Each upload has a Tink
// streaming AEAD key of its own, wrapped by the key-encryption key; its
// metadata (file names, purposes) is sealed with that key, and every PATCH
// body becomes one chunk blob encrypted with it. Bytes are acknowledged
// only once their chunk is stored and recorded, so a server killed at any
// moment loses nothing it acknowledged. When the last byte arrives the
// server hands the decrypted content to Config.Complete, which turns it
// into an item; until then the upload is not an item anywhere.
package tus
