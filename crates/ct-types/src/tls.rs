//! The TLS presentation language (RFC 5246 §4) as RFC 6962 uses it: big-endian integers and
//! length-prefixed opaque vectors. Decoding only slices its input, so nothing it allocates can
//! be larger than the input it was given.

/// Why bytes could not be decoded as a CT structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside `what`.
    #[error("truncated input while reading {what}")]
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// Bytes were left over after `what`.
    #[error("{count} trailing bytes after {what}")]
    TrailingBytes {
        /// The structure that should have ended.
        what: &'static str,
        /// How many bytes were left.
        count: usize,
    },
    /// A field holds a value this crate does not accept (unknown version, entry type,
    /// algorithm).
    #[error("unsupported {field} value {value}")]
    Unsupported {
        /// The field.
        field: &'static str,
        /// The value found.
        value: u64,
    },
    /// A vector that must not be empty is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// The vector.
        what: &'static str,
    },
    /// A DER wrapper around TLS bytes is malformed.
    #[error("malformed DER: {0}")]
    Der(String),
}

/// Why a CT structure could not be encoded: a field is longer than its length prefix allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// `what` is `len` bytes, more than its prefix can express (`max`).
    #[error("{what} is {len} bytes, more than the maximum {max}")]
    TooLong {
        /// The field.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The largest length its prefix allows.
        max: usize,
    },
    /// A vector that must not be empty is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// The vector.
        what: &'static str,
    },
    /// DER encoding of a wrapper failed.
    #[error("DER encoding failed: {0}")]
    Der(String),
}

pub(crate) const U16_MAX: usize = 0xFFFF;
pub(crate) const U24_MAX: usize = 0xFF_FFFF;

/// A cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated { what });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn uint(&mut self, width: usize, what: &'static str) -> Result<u64, DecodeError> {
        Ok(self
            .take(width, what)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(self.uint(2, what)? as u16)
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        self.uint(8, what)
    }

    pub(crate) fn array32(&mut self, what: &'static str) -> Result<[u8; 32], DecodeError> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.take(32, what)?);
        Ok(out)
    }

    /// An `opaque x<0..2^16-1>`.
    pub(crate) fn opaque16(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.uint(2, what)? as usize;
        self.take(len, what)
    }

    /// An `opaque x<0..2^24-1>`.
    pub(crate) fn opaque24(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.uint(3, what)? as usize;
        self.take(len, what)
    }

    /// An `opaque x<1..2^24-1>` (for example an `ASN.1Cert`).
    pub(crate) fn nonempty24(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let value = self.opaque24(what)?;
        if value.is_empty() {
            return Err(DecodeError::Empty { what });
        }
        Ok(value)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Succeeds only if everything was consumed.
    pub(crate) fn finish(self, what: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                what,
                count: self.rest.len(),
            })
        }
    }
}

pub(crate) fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_len(
    out: &mut Vec<u8>,
    len: usize,
    width: usize,
    max: usize,
    what: &'static str,
) -> Result<(), EncodeError> {
    if len > max {
        return Err(EncodeError::TooLong { what, len, max });
    }
    let bytes = (len as u64).to_be_bytes();
    out.extend_from_slice(&bytes[8 - width..]);
    Ok(())
}

/// Append an `opaque x<0..2^16-1>`.
pub(crate) fn put_opaque16(
    out: &mut Vec<u8>,
    data: &[u8],
    what: &'static str,
) -> Result<(), EncodeError> {
    put_len(out, data.len(), 2, U16_MAX, what)?;
    out.extend_from_slice(data);
    Ok(())
}

/// Append an `opaque x<0..2^24-1>`.
pub(crate) fn put_opaque24(
    out: &mut Vec<u8>,
    data: &[u8],
    what: &'static str,
) -> Result<(), EncodeError> {
    put_len(out, data.len(), 3, U24_MAX, what)?;
    out.extend_from_slice(data);
    Ok(())
}

/// Append an `opaque x<1..2^24-1>`.
pub(crate) fn put_nonempty24(
    out: &mut Vec<u8>,
    data: &[u8],
    what: &'static str,
) -> Result<(), EncodeError> {
    if data.is_empty() {
        return Err(EncodeError::Empty { what });
    }
    put_opaque24(out, data, what)
}

/// Encode `ASN.1Cert list<0..2^24-1>` (each certificate `<1..2^24-1>`).
pub(crate) fn put_cert_list(
    out: &mut Vec<u8>,
    certs: &[Vec<u8>],
    what: &'static str,
) -> Result<(), EncodeError> {
    let mut inner = Vec::new();
    for cert in certs {
        put_nonempty24(&mut inner, cert, "ASN.1Cert")?;
    }
    put_opaque24(out, &inner, what)
}

/// Decode `ASN.1Cert list<0..2^24-1>`.
pub(crate) fn read_cert_list(
    reader: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<Vec<u8>>, DecodeError> {
    let mut inner = Reader::new(reader.opaque24(what)?);
    let mut certs = Vec::new();
    while !inner.is_empty() {
        certs.push(inner.nonempty24("ASN.1Cert")?.to_vec());
    }
    Ok(certs)
}
