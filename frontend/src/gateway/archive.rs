//! The newest file time in a downloaded archive, as the reference's `archiveMaxTimeFromRef`:
//! the file is decompressed like go-archive's `DecompressStream` (gzip, bzip2, xz, zstd, or
//! none, by magic number) and read as a tar the way Go's `archive/tar` reads it; the time is
//! the latest modification time of the entries Go calls regular files.

use std::io::{self, Read};

/// go-archive's compression detection (`compression.Detect`), on the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Bzip2,
    Gzip,
    Xz,
    Zstd,
}

pub fn detect(head: &[u8]) -> Compression {
    if head.starts_with(b"BZh") {
        Compression::Bzip2
    } else if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        Compression::Gzip
    } else if head.starts_with(&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
        Compression::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || is_zstd_skippable(head) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

fn is_zstd_skippable(b: &[u8]) -> bool {
    b.len() >= 8 && u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0xFFFF_FFF0 == 0x184D_2A50
}

/// A time as Go's `time.Time` compares them: seconds, then nanoseconds.
pub type Time = (i64, u32);

/// Go's zero `time.Time` (year 1) in Unix seconds: the time of a PAX global header entry.
const GO_ZERO_TIME: i64 = -62_135_596_800;

/// The newest regular file's time in `data` (None for an archive without regular files), or
/// an error where the reference's reading fails (not an archive, a corrupt stream).
pub fn max_file_time(data: &[u8]) -> io::Result<Option<Time>> {
    match detect(data) {
        Compression::None => tar_max_time(data),
        Compression::Gzip => tar_max_time(flate2::read::MultiGzDecoder::new(data)),
        Compression::Bzip2 => tar_max_time(bzip2::read::MultiBzDecoder::new(data)),
        Compression::Zstd => tar_max_time(ZstdFrames::new(data)),
        Compression::Xz => {
            // lzma-rs decodes into a writer only: the archive is decompressed in memory.
            let mut out = Vec::new();
            lzma_rs::xz_decompress(&mut io::BufReader::new(data), &mut out)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            tar_max_time(out.as_slice())
        }
    }
}

fn tar_max_time(r: impl Read) -> io::Result<Option<Time>> {
    let mut archive = tar::Archive::new(r);
    let mut max: Option<Time> = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let Some(t) = regular_file_time(&mut entry)? else {
            continue;
        };
        if max.is_none_or(|m| t > m) {
            max = Some(t);
        }
    }
    Ok(max)
}

/// The entry's time if Go's `FileInfo().Mode().IsRegular()` holds for it: neither its type
/// flag nor the file-type bits of its mode say directory, link, device, fifo or socket.
fn regular_file_time<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Option<Time>> {
    let header = entry.header();
    let flag = header.entry_type().as_byte();
    // Go returns a PAX global header as an entry of its own, with a zero time and mode.
    if flag == b'g' {
        return Ok(Some((GO_ZERO_TIME, 0)));
    }
    let mode = header.mode()?;
    let mtime = header.mtime()?;
    // Legacy (v7) entries: a trailing slash makes a directory.
    let legacy_dir = flag == b'\0' && entry.path_bytes().ends_with(b"/");
    let type_bits = mode & !0o7777;
    let special_mode = matches!(
        type_bits,
        0o040000 | 0o010000 | 0o120000 | 0o060000 | 0o020000 | 0o140000
    );
    if legacy_dir || special_mode || matches!(flag, b'2' | b'3' | b'4' | b'5' | b'6') {
        return Ok(None);
    }
    let mut time = (i64::try_from(mtime).unwrap_or(i64::MAX), 0);
    if let Some(exts) = entry.pax_extensions()? {
        for ext in exts {
            let ext = ext?;
            if ext.key_bytes() == b"mtime" {
                time = parse_pax_time(ext.value_bytes()).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "invalid PAX mtime")
                })?;
            }
        }
    }
    Ok(Some(time))
}

/// Go's `parsePAXTime`: `[-]seconds[.fraction]`, the fraction cut to nanoseconds.
fn parse_pax_time(v: &[u8]) -> Option<Time> {
    let s = std::str::from_utf8(v).ok()?;
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let negative = secs.starts_with('-');
    let digits = secs.strip_prefix(['-', '+']).unwrap_or(secs);
    if digits.is_empty() && frac.is_empty() {
        return None;
    }
    let ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if !ok(digits) || !ok(frac) {
        return None;
    }
    let secs: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut nanos_str: String = frac.chars().take(9).collect();
    while nanos_str.len() < 9 {
        nanos_str.push('0');
    }
    let nanos: u32 = nanos_str.parse().ok()?;
    if negative {
        // -1.5 is 1.5 seconds before the epoch: (-2, 0.5e9).
        if nanos == 0 {
            Some((-secs, 0))
        } else {
            Some((-secs - 1, 1_000_000_000 - nanos))
        }
    } else {
        Some((secs, nanos))
    }
}

/// Every frame of a zstd stream, skippable frames skipped (as klauspost's decoder reads it).
struct ZstdFrames<'a> {
    rest: &'a [u8],
    frame: Option<ruzstd::decoding::StreamingDecoder<&'a [u8], ruzstd::decoding::FrameDecoder>>,
}

impl<'a> ZstdFrames<'a> {
    fn new(data: &'a [u8]) -> Self {
        ZstdFrames {
            rest: data,
            frame: None,
        }
    }
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(frame) = &mut self.frame {
                let n = frame.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                if let Some(done) = self.frame.take() {
                    self.rest = done.into_inner();
                }
                continue;
            }
            if self.rest.is_empty() {
                return Ok(0);
            }
            if is_zstd_skippable(self.rest) {
                let b = self.rest;
                let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
                self.rest = b.get(8 + len..).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::UnexpectedEof, "truncated skippable frame")
                })?;
                continue;
            }
            let frame = ruzstd::decoding::StreamingDecoder::new(self.rest)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            self.frame = Some(frame);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A tar of (name, type flag, mode, mtime) entries, each with a few bytes of data for files.
    pub(crate) fn tar_of(entries: &[(&str, u8, u32, u64)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for &(name, flag, mode, mtime) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::new(flag));
            h.set_mode(mode);
            h.set_mtime(mtime);
            let data: &[u8] = if flag == b'0' { b"bar" } else { b"" };
            h.set_size(data.len() as u64);
            if flag == b'2' {
                h.set_link_name("target").unwrap();
            }
            b.append_data(&mut h, name, data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn newest_regular_file_wins() {
        let t = tar_of(&[
            ("Dockerfile", b'0', 0o600, 1_700_000_302 - 3600),
            ("foo", b'0', 0o600, 1_700_000_302),
            ("dir/", b'5', 0o755, 1_800_000_000),
            ("link", b'2', 0o777, 1_800_000_000),
            ("fifo", b'6', 0o644, 1_800_000_000),
        ]);
        assert_eq!(max_file_time(&t).unwrap(), Some((1_700_000_302, 0)));
        // Hard links count as regular files, as in Go; mode bits saying "directory" do not.
        let t = tar_of(&[
            ("a", b'0', 0o644, 10),
            ("b", b'1', 0o644, 20),
            ("c", b'0', 0o040755, 30),
        ]);
        assert_eq!(max_file_time(&t).unwrap(), Some((20, 0)));
        // Only directories: no time.
        assert_eq!(
            max_file_time(&tar_of(&[("d/", b'5', 0o755, 5)])).unwrap(),
            None
        );
        // Empty input: no entries (Go's reader ends at once).
        assert_eq!(max_file_time(b"").unwrap(), None);
    }

    #[test]
    fn not_an_archive_is_an_error() {
        assert!(max_file_time(b"FROM scratch\nCOPY foo /\n".repeat(40).as_slice()).is_err());
        // A gzip header over garbage.
        assert!(max_file_time(&[0x1f, 0x8b, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]).is_err());
    }

    #[test]
    fn pax_times() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_mtime(100);
        h.set_size(0);
        b.append_pax_extensions([("mtime", &b"200.75"[..])])
            .unwrap();
        b.append_data(&mut h, "a", &b""[..]).unwrap();
        let t = b.into_inner().unwrap();
        assert_eq!(max_file_time(&t).unwrap(), Some((200, 750_000_000)));
        assert_eq!(parse_pax_time(b"-1.5"), Some((-2, 500_000_000)));
        assert_eq!(parse_pax_time(b"12"), Some((12, 0)));
        assert_eq!(parse_pax_time(b"1.1234567899"), Some((1, 123_456_789)));
        assert_eq!(parse_pax_time(b"x"), None);
    }

    fn sample() -> Vec<u8> {
        tar_of(&[("x", b'0', 0o644, 111), ("y", b'0', 0o644, 222)])
    }

    #[test]
    fn gzip_including_several_members() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&sample()).unwrap();
        let data = gz.finish().unwrap();
        assert_eq!(detect(&data), Compression::Gzip);
        assert_eq!(max_file_time(&data).unwrap(), Some((222, 0)));
        // A tar split over two gzip members reads as one stream.
        let t = sample();
        let (a, b) = t.split_at(700);
        let mut two = Vec::new();
        for part in [a, b] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(part).unwrap();
            two.extend(gz.finish().unwrap());
        }
        assert_eq!(max_file_time(&two).unwrap(), Some((222, 0)));
    }

    #[test]
    fn bzip2() {
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&sample()).unwrap();
        let data = bz.finish().unwrap();
        assert_eq!(detect(&data), Compression::Bzip2);
        assert_eq!(max_file_time(&data).unwrap(), Some((222, 0)));
    }

    #[test]
    fn xz() {
        let t = sample();
        let mut data = Vec::new();
        lzma_rs::xz_compress(&mut t.as_slice(), &mut data).unwrap();
        assert_eq!(detect(&data), Compression::Xz);
        assert_eq!(max_file_time(&data).unwrap(), Some((222, 0)));
    }

    /// A zstd frame of raw (uncompressed) blocks, as the format allows.
    fn zstd_raw_frame(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd];
        // Frame header: single segment, 4-byte content size (FCS flag 2).
        f.push(0b1010_0000);
        f.extend((payload.len() as u32).to_le_bytes());
        let chunks: Vec<&[u8]> = payload.chunks(100_000).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let last = u32::from(i + 1 == chunks.len());
            // Block header: last bit, type 0 (raw), size.
            let h = last | ((chunk.len() as u32) << 3);
            f.extend(&h.to_le_bytes()[..3]);
            f.extend(*chunk);
        }
        f
    }

    #[test]
    fn zstd_frames_and_skippable_frames() {
        let t = sample();
        let one = zstd_raw_frame(&t);
        assert_eq!(detect(&one), Compression::Zstd);
        assert_eq!(max_file_time(&one).unwrap(), Some((222, 0)));
        // A skippable frame first, then the tar split over two frames.
        let mut data = vec![0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
        let (a, b) = t.split_at(1024);
        data.extend(zstd_raw_frame(a));
        data.extend(zstd_raw_frame(b));
        assert_eq!(detect(&data), Compression::Zstd);
        assert_eq!(max_file_time(&data).unwrap(), Some((222, 0)));
    }
}
