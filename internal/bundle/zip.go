package bundle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
)

// The canonical ZIP form (APPNOTE.TXT 6.3), a pure function of the
// entries' names and contents, in pathLess order. Every entry is a stored
// (uncompressed) file; its local header carries its CRC-32 and sizes (no
// data descriptor), a fixed time (1980-01-01 00:00), no flags and no
// comment; the central directory says "made by Unix" with the attributes of
// a 0644 file. The archive has no comment. Extra fields appear only where
// ZIP64 needs them: an entry of 4 GiB or more has sizes of 0xFFFFFFFF and a
// ZIP64 extra field with both sizes in its local header and in its central
// directory entry (which also holds the offset, if that is 4 GiB or more);
// ZIP64 end records precede the end record when the directory is too big or
// too far for it. Any ZIP tool reads the result; Verify writes it again
// from the entries and compares, byte for byte.

const (
	dosDate1980 = 1<<5 | 1 // 1980-01-01 in MS-DOS date format
	madeByUnix  = 3 << 8   // "made by" Unix, so that the attributes hold a mode
	modeFile    = 0o100644 // a regular file, rw-r--r--
	zipV20      = 20
	zipV45      = 45 // ZIP64
	u16max      = math.MaxUint16
	u32max      = math.MaxUint32
)

// Record sizes and signatures of the ZIP format.
const (
	localHeaderLen = 30
	cdHeaderLen    = 46
	eocdLen        = 22
	eocd64Len      = 56
	eocd64LocLen   = 20
	sigLocal       = 0x04034b50
	sigCD          = 0x02014b50
	sigEOCD        = 0x06054b50
	sigEOCD64      = 0x06064b50
	sigEOCD64Loc   = 0x07064b50
	zip64ID        = 0x0001
	maxCDExtra     = 4 + 3*8 // a ZIP64 extra field with sizes and offset
)

// zipWriter writes the canonical form.
type zipWriter struct {
	w    io.Writer
	off  uint64
	dir  []zipDirEntry
	left uint64 // content bytes the current entry still expects
	// mark, if not nil, is told where each part of the file begins.
	mark func(file, what string)
}

type zipDirEntry struct {
	zipEntry
	offset uint64
}

// zipRecord builds a little-endian record.
type zipRecord []byte

func (r zipRecord) u16(v uint64) zipRecord { return binary.LittleEndian.AppendUint16(r, uint16(v)) }
func (r zipRecord) u32(v uint64) zipRecord { return binary.LittleEndian.AppendUint32(r, uint32(v)) }
func (r zipRecord) u64(v uint64) zipRecord { return binary.LittleEndian.AppendUint64(r, v) }

// clamp is v, or the all-ones marker if v needs ZIP64.
func clamp(v, marker uint64) uint64 {
	if v >= marker {
		return marker
	}
	return v
}

func (z *zipWriter) write(b []byte) error {
	n, err := z.w.Write(b)
	z.off += uint64(n)
	return err
}

func (z *zipWriter) setMark(file, what string) {
	if z.mark != nil {
		z.mark(file, what)
	}
}

// create writes the local header of file name (a bag path) and returns the
// writer for its content, which takes exactly size bytes.
func (z *zipWriter) create(name string, crc uint32, size uint64) (io.Writer, error) {
	if z.left != 0 {
		return nil, fmt.Errorf("zip: %d bytes of %s missing", z.left, z.dir[len(z.dir)-1].name)
	}
	full := topDir + name
	if len(full) > u16max {
		return nil, fmt.Errorf("zip: name too long")
	}
	z.setMark(name, "the local header of "+full)
	big := size >= u32max
	version, extra := uint64(zipV20), zipRecord(nil)
	if big {
		version, extra = zipV45, zipRecord(nil).u16(zip64ID).u16(16).u64(size).u64(size)
	}
	h := zipRecord(make([]byte, 0, localHeaderLen+len(full)+len(extra))).
		u32(sigLocal).u16(version).u16(0).u16(0).u16(0).u16(dosDate1980).
		u32(uint64(crc)).u32(clamp(size, u32max)).u32(clamp(size, u32max)).
		u16(uint64(len(full))).u16(uint64(len(extra)))
	h = append(append(h, full...), extra...)
	z.dir = append(z.dir, zipDirEntry{zipEntry{name, crc, size}, z.off})
	if err := z.write(h); err != nil {
		return nil, err
	}
	z.setMark(name, "the content of "+full)
	z.left = size
	return (*zipContent)(z), nil
}

// zipContent is the writer of an entry's content.
type zipContent zipWriter

func (c *zipContent) Write(p []byte) (int, error) {
	z := (*zipWriter)(c)
	if uint64(len(p)) > z.left {
		return 0, fmt.Errorf("zip: more content for %s than its header declares", z.dir[len(z.dir)-1].name)
	}
	n, err := z.w.Write(p)
	z.off += uint64(n)
	z.left -= uint64(n)
	return n, err
}

// close writes the central directory and the end records.
func (z *zipWriter) close() error {
	if z.left != 0 {
		return fmt.Errorf("zip: %d bytes of %s missing", z.left, z.dir[len(z.dir)-1].name)
	}
	cdStart := z.off
	for _, e := range z.dir {
		full := topDir + e.name
		z.setMark(e.name, "the central directory entry of "+full)
		var extra zipRecord
		if e.size >= u32max {
			extra = extra.u64(e.size).u64(e.size)
		}
		if e.offset >= u32max {
			extra = extra.u64(e.offset)
		}
		version := uint64(zipV20)
		if len(extra) > 0 {
			version = zipV45
			extra = append(zipRecord(nil).u16(zip64ID).u16(uint64(len(extra))), extra...)
		}
		h := zipRecord(make([]byte, 0, cdHeaderLen+len(full)+len(extra))).
			u32(sigCD).u16(madeByUnix | version).u16(version).u16(0).u16(0).u16(0).u16(dosDate1980).
			u32(uint64(e.crc)).u32(clamp(e.size, u32max)).u32(clamp(e.size, u32max)).
			u16(uint64(len(full))).u16(uint64(len(extra))).u16(0).u16(0).u16(0).
			u32(modeFile << 16).u32(clamp(e.offset, u32max))
		h = append(append(h, full...), extra...)
		if err := z.write(h); err != nil {
			return err
		}
	}
	records, cdSize := uint64(len(z.dir)), z.off-cdStart
	z.setMark("", "the end records of the ZIP file")
	if records >= u16max || cdSize >= u32max || cdStart >= u32max {
		end64 := z.off
		r := zipRecord(make([]byte, 0, eocd64Len+eocd64LocLen)).
			u32(sigEOCD64).u64(eocd64Len - 12).u16(madeByUnix | zipV45).u16(zipV45).u32(0).u32(0).
			u64(records).u64(records).u64(cdSize).u64(cdStart).
			u32(sigEOCD64Loc).u32(0).u64(end64).u32(1)
		if err := z.write(r); err != nil {
			return err
		}
	}
	r := zipRecord(make([]byte, 0, eocdLen)).
		u32(sigEOCD).u16(0).u16(0).u16(clamp(records, u16max)).u16(clamp(records, u16max)).
		u32(clamp(cdSize, u32max)).u32(clamp(cdStart, u32max)).u16(0)
	return z.write(r)
}

// zipEntry is a file as the central directory declares it.
type zipEntry struct {
	name string // bag path, without "bundle/"
	crc  uint32
	size uint64
}

func containerErr(file, format string, args ...any) error {
	return &VerifyError{File: file, Check: "container", Msg: fmt.Sprintf(format, args...)}
}

// readAt reads exactly len(p) bytes at off; running off the end of the file
// is a verification failure, anything else an I/O error.
func readAt(r io.ReaderAt, p []byte, off int64, what string) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return containerErr("", "the file ends before %s (byte %d): it is truncated", what, off+int64(n))
	}
	return fmt.Errorf("bundle: read: %w", err)
}

// readDirectory reads the entries the central directory declares, trusting
// none of its numbers: the end record must be where the canonical form puts
// it, and the counts and sizes must fit the file and the limits. It checks
// only what it needs to read safely; checkCanonical checks the rest.
func readDirectory(r io.ReaderAt, size int64) ([]zipEntry, error) {
	if size < eocdLen {
		return nil, containerErr("", "the file is %d bytes, too short to be a ZIP file", size)
	}
	var end [eocdLen]byte
	if err := readAt(r, end[:], size-eocdLen, "the end-of-central-directory record"); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if le.Uint32(end[0:]) != sigEOCD {
		return nil, containerErr("", "the file does not end with a ZIP end-of-central-directory record: it is truncated, has trailing bytes, or is not a bundle")
	}
	records, cdSize, cdOff := uint64(le.Uint16(end[10:])), uint64(le.Uint32(end[12:])), uint64(le.Uint32(end[16:]))
	endStart := uint64(size - eocdLen)
	if records == u16max || cdSize == u32max || cdOff == u32max {
		if size < eocdLen+eocd64LocLen+eocd64Len {
			return nil, containerErr("", "the end record points to ZIP64 records the file is too short to hold")
		}
		var z [eocd64Len + eocd64LocLen]byte
		endStart = uint64(size - eocdLen - eocd64LocLen - eocd64Len)
		if err := readAt(r, z[:], int64(endStart), "the ZIP64 end records"); err != nil {
			return nil, err
		}
		if le.Uint32(z[0:]) != sigEOCD64 || le.Uint32(z[eocd64Len:]) != sigEOCD64Loc {
			return nil, containerErr("", "the ZIP64 end records are missing or malformed")
		}
		records, cdSize, cdOff = le.Uint64(z[32:]), le.Uint64(z[40:]), le.Uint64(z[48:])
	}
	if records == 0 || records > MaxEntries {
		return nil, containerErr("", "the central directory declares %d files; a bundle holds 1 to %d", records, MaxEntries)
	}
	if cdOff > endStart || cdSize != endStart-cdOff {
		return nil, containerErr("", "the central directory (%d bytes at byte %d) does not end where the end record begins (byte %d)", cdSize, cdOff, endStart)
	}
	if cdSize > records*uint64(cdHeaderLen+len(topDir)+maxPath+maxCDExtra) {
		return nil, containerErr("", "the central directory is %d bytes, too large for %d files", cdSize, records)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, int64(cdOff), int64(cdSize)), int(min(64<<10, cdSize+1)))
	out := make([]zipEntry, 0, records)
	var h [cdHeaderLen]byte
	name := make([]byte, len(topDir)+maxPath)
	var extra [maxCDExtra]byte
	for i := uint64(0); i < records; i++ {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return nil, containerErr("", "central directory entry %d is cut short", i+1)
		}
		if le.Uint32(h[0:]) != sigCD {
			return nil, containerErr("", "central directory entry %d does not begin with the entry signature", i+1)
		}
		nameLen, extraLen, commentLen := int(le.Uint16(h[28:])), int(le.Uint16(h[30:])), int(le.Uint16(h[32:]))
		if nameLen > len(name) || extraLen > maxCDExtra || commentLen != 0 {
			return nil, containerErr("", "central directory entry %d has a name, extra field or comment the canonical form does not allow", i+1)
		}
		if _, err := io.ReadFull(br, name[:nameLen]); err != nil {
			return nil, containerErr("", "central directory entry %d is cut short", i+1)
		}
		e := zipEntry{name: string(name[:nameLen]), crc: le.Uint32(h[16:]), size: uint64(le.Uint32(h[24:]))}
		if _, err := io.ReadFull(br, extra[:extraLen]); err != nil {
			return nil, containerErr("", "central directory entry %d is cut short", i+1)
		}
		if e.size == u32max {
			// The ZIP64 extra field holds the sizes.
			if extraLen < 4+8 || le.Uint16(extra[0:]) != zip64ID {
				return nil, containerErr("", "central directory entry %d has no ZIP64 sizes", i+1)
			}
			e.size = le.Uint64(extra[4:])
		}
		rest, ok := strings.CutPrefix(e.name, topDir)
		if !ok || !validPath(rest) {
			return nil, containerErr("", "the bundle holds a file named %q: every file must be a safe path under %s (no \"..\", no absolute path, no unusual characters)", e.name, topDir)
		}
		e.name = rest
		if e.size > uint64(size) {
			return nil, containerErr(e.name, "its header declares %d bytes, more than the whole file", e.size)
		}
		out = append(out, e)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, containerErr("", "the central directory holds more than the %d entries the end record declares", records)
	}
	seen := make(map[string]string, len(out))
	for i, e := range out {
		if prev, dup := seen[strings.ToLower(e.name)]; dup {
			return nil, containerErr(e.name, "the bundle holds it twice (or also as %s, which differs only in case)", prev)
		}
		seen[strings.ToLower(e.name)] = e.name
		if i > 0 && !pathLess(out[i-1].name, e.name) {
			return nil, containerErr(e.name, "the files are not in canonical order: it comes after %s", out[i-1].name)
		}
	}
	return out, nil
}

// region labels a stretch of the canonical form, for error messages.
type region struct {
	start int64
	file  string
	what  string
}

// canonSink receives the canonical form as zipWriter writes it and
// compares it with the file. While pass is set, the bytes written are the
// file's own bytes at the current offset (an entry's content, read from
// the file), so there is nothing to compare.
type canonSink struct {
	r        io.ReaderAt
	size     int64
	off      int64
	pass     bool
	buf      []byte
	regions  []region
	progress func(int64)
}

func (s *canonSink) mark(file, what string) {
	s.regions = append(s.regions, region{s.off, file, what})
}

func (s *canonSink) where(off int64) region {
	var r region
	for _, x := range s.regions {
		if x.start <= off {
			r = x
		}
	}
	return r
}

func (s *canonSink) Write(p []byte) (int, error) {
	n := len(p)
	if s.pass {
		s.off += int64(n)
		if s.progress != nil {
			s.progress(s.off)
		}
		return n, nil
	}
	for len(p) > 0 {
		if s.off >= s.size {
			r := s.where(s.off)
			return 0, containerErr(r.file, "the file ends at byte %d, inside %s: it is truncated", s.size, r.what)
		}
		k := int(min(int64(len(p)), int64(len(s.buf)), s.size-s.off))
		if err := readAt(s.r, s.buf[:k], s.off, "its end"); err != nil {
			return 0, err
		}
		if i := firstDiff(s.buf[:k], p[:k]); i >= 0 {
			at := s.off + int64(i)
			r := s.where(at)
			return 0, containerErr(r.file, "byte %d of the bundle, in %s, is 0x%02x where the canonical form has 0x%02x: the file was altered, or was not written by Vigil", at, r.what, s.buf[i], p[i])
		}
		s.off += int64(k)
		p = p[k:]
	}
	if s.progress != nil {
		s.progress(s.off)
	}
	return n, nil
}

func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// checkCanonical re-derives the canonical form of the entries and compares
// it with the file, byte for byte. It reads each entry's content once, in
// place, through consume, which must read all of it; the CRC-32 of what it
// read must be the one the headers declare.
func checkCanonical(r io.ReaderAt, size int64, entries []zipEntry, consume func(e zipEntry, content io.Reader) error, progress func(int64)) error {
	sink := &canonSink{r: r, size: size, buf: make([]byte, max(512, min(32<<10, size))), progress: progress}
	zw := &zipWriter{w: sink, mark: sink.mark}
	for _, e := range entries {
		fw, err := zw.create(e.name, e.crc, e.size)
		if err != nil {
			return err
		}
		if e.size > uint64(size-sink.off) {
			return containerErr(e.name, "its header declares %d bytes, but the file ends %d bytes after its start: it is truncated", e.size, size-sink.off)
		}
		crc := crc32.NewIEEE()
		src := io.NewSectionReader(r, sink.off, int64(e.size))
		sink.pass = true
		err = consume(e, io.TeeReader(src, io.MultiWriter(crc, fw)))
		sink.pass = false
		if err != nil {
			return err
		}
		if got := crc.Sum32(); got != e.crc {
			return containerErr(e.name, "its CRC-32 is %08x but its ZIP headers say %08x: its content was altered", got, e.crc)
		}
	}
	if err := zw.close(); err != nil {
		return err
	}
	if sink.off != size {
		return containerErr("", "the file has %d bytes after the end of the ZIP archive", size-sink.off)
	}
	return nil
}
