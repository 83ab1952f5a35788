//! SecurityInfos (Doc 9303-11 §9.2; BSI TR-03110 Part 3 §A.1.1) as found in EF.DG14 (tag 6E),
//! EF.CardAccess and the signed content of EF.CardSecurity.
//!
//! ```text
//! SecurityInfos ::= SET OF SecurityInfo
//! SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER,
//!                             requiredData ANY DEFINED BY protocol,
//!                             optionalData ANY DEFINED BY protocol OPTIONAL }
//! PACEInfo ::= SEQUENCE { protocol id-PACE-x-y, version INTEGER, parameterId INTEGER OPTIONAL }
//! PACEDomainParameterInfo ::= SEQUENCE { protocol id-PACE-x, domainParameter
//!                             AlgorithmIdentifier, parameterId INTEGER OPTIONAL }
//! ChipAuthenticationInfo ::= SEQUENCE { protocol id-CA-x-y, version INTEGER, keyId INTEGER OPTIONAL }
//! ChipAuthenticationDomainParameterInfo ::= SEQUENCE { protocol id-CA-x,
//!                             domainParameter AlgorithmIdentifier, keyId INTEGER OPTIONAL }
//! ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol id-PK-DH | id-PK-ECDH,
//!                             chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }
//! ActiveAuthenticationInfo ::= SEQUENCE { protocol id-icao-mrtd-security-aaProtocolObject,
//!                             version INTEGER, signatureAlgorithm OBJECT IDENTIFIER }
//! TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER, efCVCA FileID OPTIONAL }
//! ```
//! Infos with other protocols (CardInfoLocator, PrivilegedTerminalInfo, EFDIR, ...) are kept
//! with their raw bytes. The SET order is preserved as read; re-encoding would break the DG14
//! hash (pitfalls #9).

use super::asn1::{self, tag, Cursor, Oid};
use super::oid::{self, CaProtocol, KeyAgreement, Mapping, PaceProtocol};
use super::spki::{self, AlgorithmIdentifier, SubjectPublicKeyInfo};
use super::{outer, FileId, Invalid, LdsError};

/// Tag of EF.DG14.
pub const DG14_TAG: u32 = 0x6E;
/// Cap on SecurityInfo entries per file; real documents carry fewer than ten.
pub const MAX_INFOS: usize = 64;

/// PACEInfo (Doc 9303-11 §9.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// The protocol OID.
    pub protocol: Oid<'a>,
    /// Decoded protocol properties (`None` for an unknown id-PACE arc combination).
    pub decoded: Option<PaceProtocol>,
    /// version (2 for ICAO PACE v2).
    pub version: u64,
    /// parameterId, if present.
    pub parameter_id: Option<u64>,
}

/// PACEDomainParameterInfo (Doc 9303-11 §9.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceDomainParameterInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// The protocol OID (id-PACE-DH-GM ... id-PACE-ECDH-CAM).
    pub protocol: Oid<'a>,
    /// Decoded key agreement and mapping.
    pub family: Option<(KeyAgreement, Mapping)>,
    /// The domain parameters.
    pub domain_parameter: AlgorithmIdentifier<'a>,
    /// parameterId, if present.
    pub parameter_id: Option<u64>,
}

/// ChipAuthenticationInfo (Doc 9303-11 §9.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// The protocol OID.
    pub protocol: Oid<'a>,
    /// Decoded protocol properties.
    pub decoded: Option<CaProtocol>,
    /// version (1 or 2).
    pub version: u64,
    /// keyId, if present.
    pub key_id: Option<u64>,
}

/// ChipAuthenticationDomainParameterInfo (TR-03110 Part 3 §A.1.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationDomainParameterInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// id-CA-DH or id-CA-ECDH.
    pub protocol: Oid<'a>,
    /// DH or ECDH.
    pub key_agreement: Option<KeyAgreement>,
    /// The domain parameters.
    pub domain_parameter: AlgorithmIdentifier<'a>,
    /// keyId, if present.
    pub key_id: Option<u64>,
}

/// ChipAuthenticationPublicKeyInfo (Doc 9303-11 §9.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKeyInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// id-PK-DH or id-PK-ECDH.
    pub protocol: Oid<'a>,
    /// DH or ECDH.
    pub key_agreement: KeyAgreement,
    /// The public key.
    pub public_key: SubjectPublicKeyInfo<'a>,
    /// keyId, if present.
    pub key_id: Option<u64>,
}

/// ActiveAuthenticationInfo (Doc 9303-11 §9.2.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAuthenticationInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// version (1).
    pub version: u64,
    /// The signature algorithm for ECDSA-based AA.
    pub signature_algorithm: Oid<'a>,
}

/// TerminalAuthenticationInfo (Doc 9303-11 §9.2.7 / TR-03110).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalAuthenticationInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// version (1 or 2).
    pub version: u64,
    /// efCVCA FileID, if present (raw).
    pub ef_cvca: Option<&'a [u8]>,
}

/// A SecurityInfo this parser does not interpret (CardInfoLocator, PrivilegedTerminalInfo,
/// ChipAuthenticationMapping extensions, proprietary infos).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSecurityInfo<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// The protocol OID.
    pub protocol: Oid<'a>,
}

/// One SecurityInfo.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityInfo<'a> {
    /// PACEInfo.
    Pace(PaceInfo<'a>),
    /// PACEDomainParameterInfo.
    PaceDomainParameter(PaceDomainParameterInfo<'a>),
    /// ChipAuthenticationInfo.
    ChipAuthentication(ChipAuthenticationInfo<'a>),
    /// ChipAuthenticationDomainParameterInfo.
    ChipAuthenticationDomainParameter(ChipAuthenticationDomainParameterInfo<'a>),
    /// ChipAuthenticationPublicKeyInfo.
    ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo<'a>),
    /// ActiveAuthenticationInfo.
    ActiveAuthentication(ActiveAuthenticationInfo<'a>),
    /// TerminalAuthenticationInfo.
    TerminalAuthentication(TerminalAuthenticationInfo<'a>),
    /// Anything else, raw.
    Other(UnknownSecurityInfo<'a>),
}

impl<'a> SecurityInfo<'a> {
    /// The complete encoding of this SecurityInfo.
    pub fn raw(&self) -> &'a [u8] {
        match self {
            SecurityInfo::Pace(i) => i.raw,
            SecurityInfo::PaceDomainParameter(i) => i.raw,
            SecurityInfo::ChipAuthentication(i) => i.raw,
            SecurityInfo::ChipAuthenticationDomainParameter(i) => i.raw,
            SecurityInfo::ChipAuthenticationPublicKey(i) => i.raw,
            SecurityInfo::ActiveAuthentication(i) => i.raw,
            SecurityInfo::TerminalAuthentication(i) => i.raw,
            SecurityInfo::Other(i) => i.raw,
        }
    }

    /// The protocol OID, dotted.
    pub fn protocol_dotted(&self) -> String {
        match self {
            SecurityInfo::Pace(i) => i.protocol.dotted(),
            SecurityInfo::PaceDomainParameter(i) => i.protocol.dotted(),
            SecurityInfo::ChipAuthentication(i) => i.protocol.dotted(),
            SecurityInfo::ChipAuthenticationDomainParameter(i) => i.protocol.dotted(),
            SecurityInfo::ChipAuthenticationPublicKey(i) => i.protocol.dotted(),
            SecurityInfo::ActiveAuthentication(_) => String::from("2.23.136.1.1.5"),
            SecurityInfo::TerminalAuthentication(_) => String::from("0.4.0.127.0.7.2.2.2"),
            SecurityInfo::Other(i) => i.protocol.dotted(),
        }
    }

    /// The Doc 9303 type name, e.g. "PACEInfo".
    pub fn kind(&self) -> &'static str {
        match self {
            SecurityInfo::Pace(_) => "PACEInfo",
            SecurityInfo::PaceDomainParameter(_) => "PACEDomainParameterInfo",
            SecurityInfo::ChipAuthentication(_) => "ChipAuthenticationInfo",
            SecurityInfo::ChipAuthenticationDomainParameter(_) => {
                "ChipAuthenticationDomainParameterInfo"
            }
            SecurityInfo::ChipAuthenticationPublicKey(_) => "ChipAuthenticationPublicKeyInfo",
            SecurityInfo::ActiveAuthentication(_) => "ActiveAuthenticationInfo",
            SecurityInfo::TerminalAuthentication(_) => "TerminalAuthenticationInfo",
            SecurityInfo::Other(_) => "SecurityInfo",
        }
    }
}

/// A parsed SecurityInfos SET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityInfos<'a> {
    /// The file the SET came from (DG14, CardAccess or CardSecurity).
    pub file: FileId,
    /// The whole file as read.
    pub raw: &'a [u8],
    /// The infos, in the order read.
    pub infos: Vec<SecurityInfo<'a>>,
}

impl<'a> SecurityInfos<'a> {
    /// Parses EF.DG14 (`6E L SecurityInfos`).
    pub fn parse_dg14(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let t = outer(FileId::Dg14, bytes, asn1::BER_TLV, DG14_TAG)?;
        let base = t.value_offset;
        let infos = parse_set(FileId::Dg14, t.value, base)?;
        Ok(SecurityInfos {
            file: FileId::Dg14,
            raw: bytes,
            infos,
        })
    }

    /// Parses EF.CardAccess (a bare SecurityInfos SET).
    pub fn parse_card_access(bytes: &'a [u8]) -> Result<Self, LdsError> {
        Ok(SecurityInfos {
            file: FileId::CardAccess,
            raw: bytes,
            infos: parse_set(FileId::CardAccess, bytes, 0)?,
        })
    }

    /// Parses a SecurityInfos SET that starts at absolute offset `base` of `file`.
    pub fn parse_in(file: FileId, bytes: &'a [u8], base: usize) -> Result<Self, LdsError> {
        Ok(SecurityInfos {
            file,
            raw: bytes,
            infos: parse_set(file, bytes, base)?,
        })
    }

    /// The PACEInfos.
    pub fn pace_infos(&self) -> impl Iterator<Item = &PaceInfo<'a>> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::Pace(p) => Some(p),
            _ => None,
        })
    }

    /// The ChipAuthenticationInfos.
    pub fn chip_authentication_infos(&self) -> impl Iterator<Item = &ChipAuthenticationInfo<'a>> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthentication(p) => Some(p),
            _ => None,
        })
    }

    /// The ChipAuthenticationPublicKeyInfos.
    pub fn chip_authentication_public_keys(
        &self,
    ) -> impl Iterator<Item = &ChipAuthenticationPublicKeyInfo<'a>> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthenticationPublicKey(p) => Some(p),
            _ => None,
        })
    }
}

fn parse_set<'a>(
    file: FileId,
    bytes: &'a [u8],
    base: usize,
) -> Result<Vec<SecurityInfo<'a>>, LdsError> {
    if bytes.is_empty() {
        return Err(LdsError::Empty { file });
    }
    let mut c = Cursor::at(bytes, file, asn1::DER, base);
    let (_, mut set) = c.set()?;
    c.finish()?;
    let mut infos = Vec::new();
    while !set.is_empty() {
        asn1::check_count(&set, infos.len(), MAX_INFOS, set.offset())?;
        infos.push(security_info(&mut set)?);
    }
    Ok(infos)
}

fn optional_uint(c: &mut Cursor<'_>) -> Result<Option<u64>, LdsError> {
    match c.optional(tag::INTEGER)? {
        Some(t) => Ok(Some(c.uint_value(&t)?)),
        None => Ok(None),
    }
}

fn security_info<'a>(set: &mut Cursor<'a>) -> Result<SecurityInfo<'a>, LdsError> {
    let (t, mut s) = set.sequence()?;
    let oid_offset = s.offset();
    let protocol = s.oid()?;
    let raw = t.raw;
    let p = protocol.as_bytes();
    let info = if let Some(arcs) = protocol.arcs_after(oid::ID_PACE) {
        match arcs.as_slice() {
            [_, _] => {
                let version = s.uint()?;
                let parameter_id = optional_uint(&mut s)?;
                SecurityInfo::Pace(PaceInfo {
                    raw,
                    protocol,
                    decoded: oid::pace_protocol(protocol),
                    version,
                    parameter_id,
                })
            }
            [x] => {
                let domain_parameter = spki::algorithm_identifier(&mut s)?;
                let parameter_id = optional_uint(&mut s)?;
                SecurityInfo::PaceDomainParameter(PaceDomainParameterInfo {
                    raw,
                    protocol,
                    family: oid::pace_family(*x),
                    domain_parameter,
                    parameter_id,
                })
            }
            _ => return Err(s.invalid(oid_offset, Invalid::UnexpectedOid)),
        }
    } else if let Some(arcs) = protocol.arcs_after(oid::ID_CA) {
        match arcs.as_slice() {
            [_, _] => {
                let version = s.uint()?;
                let key_id = optional_uint(&mut s)?;
                SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                    raw,
                    protocol,
                    decoded: oid::ca_protocol(protocol),
                    version,
                    key_id,
                })
            }
            [x] => {
                let domain_parameter = spki::algorithm_identifier(&mut s)?;
                let key_id = optional_uint(&mut s)?;
                SecurityInfo::ChipAuthenticationDomainParameter(
                    ChipAuthenticationDomainParameterInfo {
                        raw,
                        protocol,
                        key_agreement: oid::ca_family(*x),
                        domain_parameter,
                        key_id,
                    },
                )
            }
            _ => return Err(s.invalid(oid_offset, Invalid::UnexpectedOid)),
        }
    } else if p == oid::ID_PK_DH || p == oid::ID_PK_ECDH {
        let public_key = spki::subject_public_key_info(&mut s)?;
        let key_id = optional_uint(&mut s)?;
        SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
            raw,
            protocol,
            key_agreement: if p == oid::ID_PK_DH {
                KeyAgreement::Dh
            } else {
                KeyAgreement::Ecdh
            },
            public_key,
            key_id,
        })
    } else if p == oid::ID_ICAO_AA {
        let version = s.uint()?;
        let signature_algorithm = s.oid()?;
        SecurityInfo::ActiveAuthentication(ActiveAuthenticationInfo {
            raw,
            version,
            signature_algorithm,
        })
    } else if p == oid::ID_TA {
        let version = s.uint()?;
        let ef_cvca = s.next()?.map(|t| t.raw);
        SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo {
            raw,
            version,
            ef_cvca,
        })
    } else {
        // Unknown protocol: requiredData/optionalData are kept unparsed in `raw`.
        return Ok(SecurityInfo::Other(UnknownSecurityInfo { raw, protocol }));
    };
    s.finish()?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g1_card_access() {
        // "PACE ECDH Generic Mapping, brainpoolP256r1, AES-128 (Doc 9303-11 App. G.1)"
        let b = hex::decode("31143012060A04007F0007020204020202010202010D").unwrap();
        let s = SecurityInfos::parse_card_access(&b).unwrap();
        assert_eq!(s.infos.len(), 1);
        let p = s.pace_infos().next().unwrap();
        assert_eq!(p.protocol.dotted(), "0.4.0.127.0.7.2.2.4.2.2");
        assert_eq!(p.version, 2);
        assert_eq!(p.parameter_id, Some(13));
        let d = p.decoded.unwrap();
        assert_eq!(d.mapping, Mapping::Generic);
        assert_eq!(d.key_agreement, KeyAgreement::Ecdh);
        assert_eq!(d.cipher, oid::Cipher::Aes128CbcCmac);
    }

    #[test]
    fn unknown_pace_arcs_are_errors() {
        // id-PACE with three extra arcs is neither PACEInfo nor PACEDomainParameterInfo.
        let b = hex::decode("31123010060B04007F000702020402020102010D").unwrap();
        assert!(matches!(
            SecurityInfos::parse_card_access(&b),
            Err(LdsError::Invalid {
                what: Invalid::UnexpectedOid,
                ..
            })
        ));
    }
}
