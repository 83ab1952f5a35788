//! EF.DG15: Active Authentication public key info (Doc 9303-10 §4.7.15, Doc 9303-11 §6.1).
//!
//! ```text
//! 6F L  SubjectPublicKeyInfo   -- RSA (rsaEncryption) or EC (id-ecPublicKey with
//!                                 ECParameters or a named curve)
//! ```
//! Explicit EC parameters are returned as bytes (p, a, b, G, n, h); mapping them to a named
//! curve is a verification decision made elsewhere, on a full byte-for-byte match only.

use super::spki::{self, SubjectPublicKeyInfo};
use super::{asn1, outer, FileId, LdsError};

/// Tag of EF.DG15.
pub const TAG: u32 = 0x6F;

/// The parsed EF.DG15 view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg15<'a> {
    /// The whole file as read.
    pub raw: &'a [u8],
    /// The public key.
    pub public_key: SubjectPublicKeyInfo<'a>,
}

impl<'a> Dg15<'a> {
    /// Parses EF.DG15.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let file = FileId::Dg15;
        let t = outer(file, bytes, asn1::BER_TLV, TAG)?;
        let mut c = asn1::Cursor::at(t.value, file, asn1::DER, t.value_offset);
        let public_key = spki::subject_public_key_info(&mut c)?;
        c.finish()?;
        Ok(Dg15 {
            raw: bytes,
            public_key,
        })
    }
}
