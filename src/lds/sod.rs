//! EF.SOD: the Document Security Object (Doc 9303-10 §4.6.2, Doc 9303-12 §4).
//!
//! ```text
//! 77 L  EF.SOD ([APPLICATION 23])
//!   ContentInfo -> SignedData (see [`super::cms`]) with
//!   eContentType id-icao-mrtd-security-ldsSecurityObject 2.23.136.1.1.1
//!   eContent = LDSSecurityObject (DER):
//!
//! LDSSecurityObject ::= SEQUENCE {
//!   version LDSSecurityObjectVersion,            -- v0 or v1
//!   hashAlgorithm DigestAlgorithmIdentifier,
//!   dataGroupHashValues SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash,
//!   ldsVersionInfo LDSVersionInfo OPTIONAL }     -- present iff v1
//! DataGroupHash ::= SEQUENCE { dataGroupNumber DataGroupNumber, dataGroupHashValue OCTET STRING }
//! LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
//! ```
//! BER with indefinite lengths is accepted for the wrapper only (some issued documents use
//! it, pitfalls #10); the LDSSecurityObject is parsed as DER. Signatures are not checked here:
//! the raw spans (eContent, signedAttrs, signature, certificates) are kept for PA.

use super::asn1::{self, tag, Cursor, Oid};
use super::cms::{self, SignedData};
use super::spki::{self, AlgorithmIdentifier};
use super::{oid, outer, FileId, Invalid, LdsError};

/// Tag of EF.SOD.
pub const TAG: u32 = 0x77;

/// One DataGroupHash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataGroupHash<'a> {
    /// The data group number (1..=16).
    pub number: u8,
    /// The hash value as stored.
    pub hash: &'a [u8],
}

/// LDSVersionInfo (v1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LdsVersionInfo<'a> {
    /// ldsVersion, e.g. "0108".
    pub lds_version: &'a [u8],
    /// unicodeVersion, e.g. "040000".
    pub unicode_version: &'a [u8],
}

/// The LDSSecurityObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsSecurityObject<'a> {
    /// The DER encoding (the eContent octets).
    pub raw: &'a [u8],
    /// version (0 or 1).
    pub version: u64,
    /// hashAlgorithm.
    pub hash_algorithm: AlgorithmIdentifier<'a>,
    /// dataGroupHashValues in the order read (numbers are unique and in 1..=16).
    pub data_group_hashes: Vec<DataGroupHash<'a>>,
    /// ldsVersionInfo (v1 only).
    pub lds_version_info: Option<LdsVersionInfo<'a>>,
}

impl<'a> LdsSecurityObject<'a> {
    /// Parses a DER LDSSecurityObject that starts at absolute offset `base` of `file`.
    pub fn parse(file: FileId, bytes: &'a [u8], base: usize) -> Result<Self, LdsError> {
        let mut c = Cursor::at(bytes, file, asn1::DER, base);
        let (_, mut s) = c.sequence()?;
        c.finish()?;
        let v = s.expect(tag::INTEGER)?;
        let version = s.uint_value(&v)?;
        if version > 1 {
            return Err(s.invalid(s.abs(&v), Invalid::Version));
        }
        let hash_algorithm = spki::algorithm_identifier(&mut s)?;
        let (_, mut hashes) = s.sequence()?;
        let mut data_group_hashes: Vec<DataGroupHash<'a>> = Vec::new();
        while let Some(h) = hashes.next()? {
            h.expect_tag(tag::SEQUENCE).map_err(|e| hashes.err(e))?;
            let off = hashes.abs(&h);
            let mut hc = hashes.children(&h)?;
            let n = hc.expect(tag::INTEGER)?;
            let raw_number = hc.integer_value(&n)?;
            let number = raw_number
                .to_u64()
                .filter(|n| (1..=16).contains(n))
                .and_then(|n| u8::try_from(n).ok())
                .ok_or(LdsError::DataGroupOutOfRange {
                    file,
                    offset: off,
                    number: raw_number.to_u64().unwrap_or(u64::MAX),
                })?;
            let hash = hc.octet_string()?;
            hc.finish()?;
            if data_group_hashes.iter().any(|d| d.number == number) {
                return Err(LdsError::DuplicateDataGroup {
                    file,
                    offset: off,
                    number,
                });
            }
            // At most 16 distinct numbers can pass the checks above, which bounds the Vec.
            data_group_hashes.push(DataGroupHash { number, hash });
        }
        let lds_version_info = match s.optional(tag::SEQUENCE)? {
            Some(t) => {
                let mut vc = s.children(&t)?;
                let lds_version = vc.expect(tag::PRINTABLE_STRING)?.value;
                let unicode_version = vc.expect(tag::PRINTABLE_STRING)?.value;
                vc.finish()?;
                Some(LdsVersionInfo {
                    lds_version,
                    unicode_version,
                })
            }
            None => None,
        };
        s.finish()?;
        // v1 requires ldsVersionInfo and v0 forbids it (Doc 9303-10 §4.6.2.2).
        if (version == 1) != lds_version_info.is_some() {
            return Err(LdsError::Invalid {
                file,
                offset: base,
                what: Invalid::Version,
            });
        }
        Ok(LdsSecurityObject {
            raw: bytes,
            version,
            hash_algorithm,
            data_group_hashes,
            lds_version_info,
        })
    }

    /// The hash stored for data group `n`.
    pub fn hash_of(&self, n: u8) -> Option<&'a [u8]> {
        self.data_group_hashes
            .iter()
            .find(|d| d.number == n)
            .map(|d| d.hash)
    }

    /// The data groups this SOD vouches for: the authoritative list of what exists.
    pub fn data_groups(&self) -> Vec<FileId> {
        self.data_group_hashes
            .iter()
            .filter_map(|d| FileId::data_group(d.number))
            .collect()
    }
}

/// The parsed EF.SOD view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sod<'a> {
    /// The whole file as read.
    pub raw: &'a [u8],
    /// The SignedData wrapper.
    pub signed_data: SignedData<'a>,
    /// True when eContentType is the pre-standard 1.3.27.1.1.1 rather than 2.23.136.1.1.1.
    pub legacy_content_type: bool,
    /// The LDSSecurityObject.
    pub lds_security_object: LdsSecurityObject<'a>,
}

impl<'a> Sod<'a> {
    /// Parses EF.SOD.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let file = FileId::Sod;
        let t = outer(file, bytes, cms::BER, TAG)?;
        let mut c = cms::ber_cursor(bytes, file).children(&t)?;
        let signed_data = cms::parse_content_info(&mut c)?;
        c.finish()?;
        let ct: Oid<'a> = signed_data.econtent_type;
        let legacy_content_type = if ct.as_bytes() == oid::ID_ICAO_LDS_SECURITY_OBJECT {
            false
        } else if ct.as_bytes() == oid::ID_LDS_SECURITY_OBJECT_LEGACY {
            true
        } else {
            return Err(LdsError::Invalid {
                file,
                offset: signed_data.econtent_offset,
                what: Invalid::UnexpectedOid,
            });
        };
        let lds_security_object =
            LdsSecurityObject::parse(file, signed_data.econtent, signed_data.econtent_offset)?;
        Ok(Sod {
            raw: bytes,
            signed_data,
            legacy_content_type,
            lds_security_object,
        })
    }
}
