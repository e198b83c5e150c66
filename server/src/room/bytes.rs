//! lib0's encoding as Yjs and y-protocols use it: variable-length
//! integers, then length-prefixed strings and byte strings. One reader,
//! for every check of a client's bytes; it never allocates and never
//! trusts a length the bytes left cannot hold.

/// Why bytes could not be read.
pub(crate) type Refused = String;

/// Reads lib0-encoded values from a byte slice.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub(crate) fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// How far it has read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Refused> {
        let b = *self.buf.get(self.pos).ok_or("ends too soon")?;
        self.pos += 1;
        Ok(b)
    }

    /// A variable-length integer (signed ones end the same way): seven
    /// bits a byte, at most ten bytes.
    pub(crate) fn var(&mut self) -> Result<u64, Refused> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number runs on too long".into())
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: u64) -> Result<(), Refused> {
        let n = usize::try_from(n).map_err(|_| "a length too large")?;
        if n > self.left() {
            return Err(format!("claims {n} bytes where {} are left", self.left()));
        }
        self.pos += n;
        Ok(())
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Refused> {
        let n = self.var()?;
        let start = self.pos;
        self.skip(n)?;
        Ok(&self.buf[start..self.pos])
    }

    /// Skips a length-prefixed string or byte string.
    pub(crate) fn string(&mut self) -> Result<(), Refused> {
        self.bytes().map(|_| ())
    }

    /// A length-prefixed string; answers its length in UTF-16 units (the
    /// clock ticks a text item takes). Must be UTF-8, as the library needs.
    pub(crate) fn text(&mut self) -> Result<u64, Refused> {
        let text = std::str::from_utf8(self.bytes()?).map_err(|_| "a string that is not UTF-8")?;
        Ok(text.chars().map(|c| c.len_utf16() as u64).sum())
    }

    /// A count of things that take at least `each` bytes apiece.
    pub(crate) fn count(&mut self, each: usize, what: &str) -> Result<u64, Refused> {
        let n = self.var()?;
        if n > (self.left() / each) as u64 {
            return Err(format!("claims {n} {what} in {} bytes", self.left()));
        }
        Ok(n)
    }
}

/// Writes a variable-length integer (tests build bytes by hand with it).
#[cfg(test)]
pub(crate) fn write_var(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_and_overlong_ones_are_refused() {
        for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            write_var(n, &mut out);
            let mut r = Reader::new(&out);
            assert_eq!(r.var(), Ok(n));
            assert_eq!(r.left(), 0);
        }
        let mut r = Reader::new(&[0x80; 11]);
        assert_eq!(r.var(), Err("a number runs on too long".to_owned()));
        let mut r = Reader::new(&[0x80, 0x80]);
        assert_eq!(r.var(), Err("ends too soon".to_owned()));
    }

    #[test]
    fn a_length_past_the_end_is_refused_without_reading() {
        let mut r = Reader::new(&[5, b'a', b'b']);
        assert_eq!(r.bytes(), Err("claims 5 bytes where 2 are left".to_owned()));
        let mut r = Reader::new(&[2, 0xc5, 0x82, 1]);
        assert_eq!(r.text(), Ok(1), "ł is one UTF-16 unit");
        assert_eq!(r.u8(), Ok(1));
    }
}
