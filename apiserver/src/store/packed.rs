//! Objects as the store keeps them, in memory and in the database: JSON compressed with LZ4
//! against a dictionary of typical objects of the product's own kinds.
//!
//! A typical Application of 3 KB of JSON is kept in about 500 bytes, an Event of 1 KB in about
//! 300: most of an object is the same keys, managed fields and condition texts as every other
//! object of its kind, which the dictionary already holds. Compressing takes a few microseconds
//! per write and reading one back about one; both are small beside what a write or a request
//! costs otherwise.
//!
//! What is stored starts with one byte saying how it is stored: `{` for plain JSON (rows
//! written before packing existed, and objects that do not shrink), [`PACKED_1`] for LZ4 against
//! dictionary 1. The dictionary is part of the format: it never changes. A better one would be
//! dictionary 2, with a byte of its own, and both read forever.

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};

/// Marks an LZ4 block compressed against [`DICTIONARY_1`], after the JSON's length (four bytes,
/// little-endian).
const PACKED_1: u8 = 1;
/// Typical objects (a Lease, an Event, a Runtime and an Application as the product writes
/// them), one per line. Never edited: every packed row depends on its exact bytes.
const DICTIONARY_1: &[u8] = include_bytes!("packed/dictionary-1.jsonl");
/// Marker and length.
const HEADER: usize = 5;
/// Objects shorter than this are kept as they are: too small to be worth a header.
const SMALLEST_PACKED: usize = 64;

/// An object's JSON, compressed or not. Cheap to clone (the bytes are shared).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Packed(Bytes);

/// Stored bytes that are neither JSON nor a packing this build knows, or that do not unpack.
#[derive(Debug, thiserror::Error)]
#[error("does not unpack: {0}")]
pub struct Unpackable(String);

impl Packed {
    /// Packs `json`; kept as it is when packing would not make it shorter.
    pub(crate) fn pack(json: &[u8]) -> Self {
        if json.len() < SMALLEST_PACKED || json.len() > u32::MAX as usize {
            return Self::plain(json);
        }
        let most = HEADER + lz4_flex::block::get_maximum_output_size(json.len());
        let mut packed = vec![0; most];
        packed[0] = PACKED_1;
        packed[1..HEADER].copy_from_slice(&(json.len() as u32).to_le_bytes());
        match lz4_flex::block::compress_into_with_dict(json, &mut packed[HEADER..], DICTIONARY_1) {
            Ok(written) if HEADER + written < json.len() => {
                packed.truncate(HEADER + written);
                // Exactly as long as it is: the object is kept for as long as it is stored.
                packed.shrink_to_fit();
                Self(Bytes::from(packed))
            }
            _ => Self::plain(json),
        }
    }

    /// `json` kept as it is.
    fn plain(json: &[u8]) -> Self {
        Self(Bytes::copy_from_slice(json))
    }

    /// Bytes as the database holds them, to be checked with [`Packed::unpack`] before use (by
    /// whoever first reads the object: a row is unpacked once, when it is used).
    pub(crate) fn from_stored(stored: Bytes) -> Self {
        Self(stored)
    }

    /// The bytes to store.
    pub fn stored(&self) -> &[u8] {
        &self.0
    }

    /// The JSON: borrowed when kept plain, unpacked otherwise.
    pub fn json(&self) -> Cow<'_, [u8]> {
        // Everything held was packed by this process or checked when it was read.
        self.unpack().unwrap_or(Cow::Borrowed(b"null"))
    }

    /// The JSON as shared bytes, for a response body.
    pub fn json_bytes(&self) -> Bytes {
        match self.json() {
            Cow::Borrowed(_) => self.0.clone(),
            Cow::Owned(json) => Bytes::from(json),
        }
    }

    /// Appends the JSON to `out`, unpacking it there rather than into a buffer of its own: how a
    /// list body is assembled.
    pub fn append_json_to(&self, out: &mut BytesMut) {
        let Ok(Some((len, block))) = self.block() else {
            out.extend_from_slice(&self.json());
            return;
        };
        let start = out.len();
        out.resize(start + len, 0);
        let unpacked =
            lz4_flex::block::decompress_into_with_dict(block, &mut out[start..], DICTIONARY_1);
        if unpacked.ok() != Some(len) {
            out.truncate(start);
            out.extend_from_slice(b"null");
        }
    }

    /// The length of the JSON, without unpacking it.
    pub fn json_len(&self) -> usize {
        json_len_of(&self.0, self.0.len())
    }

    /// The JSON, or why it cannot be had.
    pub fn unpack(&self) -> Result<Cow<'_, [u8]>, Unpackable> {
        let Some((len, block)) = self.block()? else {
            return Ok(Cow::Borrowed(&self.0));
        };
        match lz4_flex::block::decompress_with_dict(block, len, DICTIONARY_1) {
            Ok(json) if json.len() == len => Ok(Cow::Owned(json)),
            Ok(json) => Err(Unpackable(format!("{} bytes, not {len}", json.len()))),
            Err(error) => Err(Unpackable(error.to_string())),
        }
    }

    /// The JSON's length and the compressed block, or `None` for plain JSON.
    fn block(&self) -> Result<Option<(usize, &[u8])>, Unpackable> {
        match self.0.first() {
            Some(&PACKED_1) if self.0.len() >= HEADER => {
                let len = json_len_of(&self.0, self.0.len());
                let block = &self.0[HEADER..];
                // LZ4 expands a byte to at most 255: a larger length is damage, and is not to
                // be allocated.
                if len > block.len() * 255 {
                    return Err(Unpackable(format!("{len} bytes from {}", block.len())));
                }
                Ok(Some((len, block)))
            }
            Some(&PACKED_1) => Err(Unpackable("cut short".into())),
            // JSON never starts with a control character other than whitespace: such a byte
            // is a packing of a later build.
            Some(&other) if other < b' ' && !matches!(other, b'\t' | b'\n' | b'\r') => {
                Err(Unpackable(format!("unknown packing {other}")))
            }
            _ => Ok(None),
        }
    }
}

/// The JSON length of stored bytes from their first bytes (`head`, at least the header for a
/// packed object) and their stored length: what the history counts of a change it does not hold.
pub fn json_len_of(head: &[u8], stored_len: usize) -> usize {
    match head {
        [PACKED_1, a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
        _ => stored_len,
    }
}

#[cfg(test)]
mod tests;
