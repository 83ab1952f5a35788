//! Object identifiers of ICAO Doc 9303 (Parts 10, 11, 12) and BSI TR-03110, in one table, with
//! the protocol properties (mapping, key agreement, cipher) they encode.
//!
//! OIDs are compared by their DER content octets; every arc below `bsi-de` is < 128, so prefix
//! matching on bytes is prefix matching on arcs.

use super::asn1::Oid;

/// `bsi-de` 0.4.0.127.0.7.
pub const BSI_DE: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07];
/// id-PK 0.4.0.127.0.7.2.2.1 (Part 11 §9.2.5 / TR-03110).
pub const ID_PK: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01];
/// id-PK-DH 0.4.0.127.0.7.2.2.1.1.
pub const ID_PK_DH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x01];
/// id-PK-ECDH 0.4.0.127.0.7.2.2.1.2.
pub const ID_PK_ECDH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x02];
/// id-TA 0.4.0.127.0.7.2.2.2 (TerminalAuthenticationInfo).
pub const ID_TA: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02];
/// id-CA 0.4.0.127.0.7.2.2.3 (Part 11 §9.2.5).
pub const ID_CA: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03];
/// id-PACE 0.4.0.127.0.7.2.2.4 (Part 11 §9.2.1).
pub const ID_PACE: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
/// id-CI 0.4.0.127.0.7.2.2.6 (CardInfoLocator, TR-03110).
pub const ID_CI: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x06];
/// id-PT 0.4.0.127.0.7.2.2.8 (PrivilegedTerminalInfo, TR-03110).
pub const ID_PT: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x08];
/// standardizedDomainParameters 0.4.0.127.0.7.1.2 (TR-03110 / Part 11 §9.5.1).
pub const STANDARDIZED_DOMAIN_PARAMETERS: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x02];
/// id-SecurityObject 0.4.0.127.0.7.3.2.1 (eContentType of EF.CardSecurity).
pub const ID_SECURITY_OBJECT: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02, 0x01];

/// id-icao-mrtd-security-aaProtocolObject 2.23.136.1.1.5 (ActiveAuthenticationInfo, Part 11 §9.2.8).
pub const ID_ICAO_AA: &[u8] = &[0x67, 0x81, 0x08, 0x01, 0x01, 0x05];
/// id-icao-mrtd-security-ldsSecurityObject 2.23.136.1.1.1 (Part 10 §4.6.2).
pub const ID_ICAO_LDS_SECURITY_OBJECT: &[u8] = &[0x67, 0x81, 0x08, 0x01, 0x01, 0x01];
/// The pre-standard LDS security object OID 1.3.27.1.1.1 seen in early documents.
pub const ID_LDS_SECURITY_OBJECT_LEGACY: &[u8] = &[0x2B, 0x1B, 0x01, 0x01, 0x01];

/// id-signedData 1.2.840.113549.1.7.2 (RFC 5652 §5.1).
pub const ID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// rsaEncryption 1.2.840.113549.1.1.1 (RFC 8017).
pub const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
/// id-ecPublicKey 1.2.840.10045.2.1 (RFC 5480).
pub const EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// prime-field 1.2.840.10045.1.1 (X9.62).
pub const PRIME_FIELD: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01];
/// dhpublicnumber 1.2.840.10046.2.1 (X9.42).
pub const DH_PUBLIC_NUMBER: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3E, 0x02, 0x01];
/// dhKeyAgreement 1.2.840.113549.1.3.1 (PKCS #3).
pub const DH_KEY_AGREEMENT: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x03, 0x01];

/// Key agreement of a PACE/CA protocol OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KeyAgreement {
    /// Finite-field Diffie-Hellman.
    Dh,
    /// Elliptic-curve Diffie-Hellman.
    Ecdh,
}

/// PACE mapping (Part 11 §4.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mapping {
    /// Generic Mapping.
    Generic,
    /// Integrated Mapping.
    Integrated,
    /// Chip Authentication Mapping (ECDH only).
    ChipAuthentication,
}

/// Symmetric cipher and MAC of a PACE/CA protocol OID (Part 11 §9.2.1, §9.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Cipher {
    /// 3DES-CBC with Retail MAC (CBC-CBC).
    TripleDesCbcCbc,
    /// AES-128 CBC with CMAC.
    Aes128CbcCmac,
    /// AES-192 CBC with CMAC.
    Aes192CbcCmac,
    /// AES-256 CBC with CMAC.
    Aes256CbcCmac,
}

fn cipher_from_arc(arc: u64) -> Option<Cipher> {
    match arc {
        1 => Some(Cipher::TripleDesCbcCbc),
        2 => Some(Cipher::Aes128CbcCmac),
        3 => Some(Cipher::Aes192CbcCmac),
        4 => Some(Cipher::Aes256CbcCmac),
        _ => None,
    }
}

/// A PACE protocol OID 0.4.0.127.0.7.2.2.4.x.y decoded (Part 11 §9.2.1 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PaceProtocol {
    /// DH or ECDH.
    pub key_agreement: KeyAgreement,
    /// GM, IM or CAM.
    pub mapping: Mapping,
    /// Cipher suite.
    pub cipher: Cipher,
}

/// id-PACE-{DH,ECDH}-{GM,IM,CAM} (without the cipher arc): x in 0.4.0.127.0.7.2.2.4.x.
pub fn pace_family(x: u64) -> Option<(KeyAgreement, Mapping)> {
    match x {
        1 => Some((KeyAgreement::Dh, Mapping::Generic)),
        2 => Some((KeyAgreement::Ecdh, Mapping::Generic)),
        3 => Some((KeyAgreement::Dh, Mapping::Integrated)),
        4 => Some((KeyAgreement::Ecdh, Mapping::Integrated)),
        6 => Some((KeyAgreement::Ecdh, Mapping::ChipAuthentication)),
        _ => None,
    }
}

/// Decodes a full PACE protocol OID (`id-PACE-*-*-*`).
pub fn pace_protocol(oid: Oid<'_>) -> Option<PaceProtocol> {
    match oid.arcs_after(ID_PACE)?.as_slice() {
        [x, y] => {
            let (key_agreement, mapping) = pace_family(*x)?;
            // CAM is defined for AES only (Part 11 §9.2.1).
            let cipher = cipher_from_arc(*y)?;
            if mapping == Mapping::ChipAuthentication && cipher == Cipher::TripleDesCbcCbc {
                return None;
            }
            Some(PaceProtocol {
                key_agreement,
                mapping,
                cipher,
            })
        }
        _ => None,
    }
}

/// A Chip Authentication protocol OID 0.4.0.127.0.7.2.2.3.x.y decoded (Part 11 §9.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CaProtocol {
    /// DH or ECDH.
    pub key_agreement: KeyAgreement,
    /// Cipher suite.
    pub cipher: Cipher,
}

/// id-CA-DH (x=1) / id-CA-ECDH (x=2).
pub fn ca_family(x: u64) -> Option<KeyAgreement> {
    match x {
        1 => Some(KeyAgreement::Dh),
        2 => Some(KeyAgreement::Ecdh),
        _ => None,
    }
}

/// Decodes a full CA protocol OID (`id-CA-*-*`).
pub fn ca_protocol(oid: Oid<'_>) -> Option<CaProtocol> {
    match oid.arcs_after(ID_CA)?.as_slice() {
        [x, y] => Some(CaProtocol {
            key_agreement: ca_family(*x)?,
            cipher: cipher_from_arc(*y)?,
        }),
        _ => None,
    }
}

/// A human-readable name for well-known OIDs (for display only).
pub fn name(oid: Oid<'_>) -> Option<&'static str> {
    let b = oid.as_bytes();
    let named: &[(&[u8], &str)] = &[
        (ID_PK_DH, "id-PK-DH"),
        (ID_PK_ECDH, "id-PK-ECDH"),
        (ID_TA, "id-TA"),
        (ID_CI, "id-CI"),
        (ID_PT, "id-PT"),
        (ID_ICAO_AA, "id-icao-mrtd-security-aaProtocolObject"),
        (
            ID_ICAO_LDS_SECURITY_OBJECT,
            "id-icao-mrtd-security-ldsSecurityObject",
        ),
        (
            ID_LDS_SECURITY_OBJECT_LEGACY,
            "ldsSecurityObject (legacy 1.3.27.1.1.1)",
        ),
        (ID_SECURITY_OBJECT, "id-SecurityObject"),
        (ID_SIGNED_DATA, "id-signedData"),
        (RSA_ENCRYPTION, "rsaEncryption"),
        (EC_PUBLIC_KEY, "id-ecPublicKey"),
        (
            STANDARDIZED_DOMAIN_PARAMETERS,
            "standardizedDomainParameters",
        ),
        (DH_PUBLIC_NUMBER, "dhpublicnumber"),
        (DH_KEY_AGREEMENT, "dhKeyAgreement"),
        (&[0x2B, 0x0E, 0x03, 0x02, 0x1A], "sha1"),
        (
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04],
            "sha224",
        ),
        (
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
            "sha256",
        ),
        (
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
            "sha384",
        ),
        (
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
            "sha512",
        ),
        (
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A],
            "RSASSA-PSS",
        ),
        (
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05],
            "sha1WithRSAEncryption",
        ),
        (
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
            "sha256WithRSAEncryption",
        ),
        (
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C],
            "sha384WithRSAEncryption",
        ),
        (
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D],
            "sha512WithRSAEncryption",
        ),
        (
            &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02],
            "ecdsa-with-SHA256",
        ),
        (
            &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03],
            "ecdsa-with-SHA384",
        ),
        (
            &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04],
            "ecdsa-with-SHA512",
        ),
        (
            &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07],
            "prime256v1",
        ),
        (
            &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07],
            "brainpoolP256r1",
        ),
    ];
    if let Some((_, n)) = named.iter().find(|(o, _)| *o == b) {
        return Some(n);
    }
    if pace_protocol(oid).is_some() {
        return Some("id-PACE");
    }
    if ca_protocol(oid).is_some() {
        return Some("id-CA");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lds::asn1::oid_from_dotted;

    #[test]
    fn constants_match_dotted() {
        for (b, d) in [
            (ID_PACE, "0.4.0.127.0.7.2.2.4"),
            (ID_CA, "0.4.0.127.0.7.2.2.3"),
            (ID_PK_ECDH, "0.4.0.127.0.7.2.2.1.2"),
            (ID_TA, "0.4.0.127.0.7.2.2.2"),
            (ID_ICAO_AA, "2.23.136.1.1.5"),
            (ID_ICAO_LDS_SECURITY_OBJECT, "2.23.136.1.1.1"),
            (ID_LDS_SECURITY_OBJECT_LEGACY, "1.3.27.1.1.1"),
            (ID_SECURITY_OBJECT, "0.4.0.127.0.7.3.2.1"),
            (ID_SIGNED_DATA, "1.2.840.113549.1.7.2"),
            (RSA_ENCRYPTION, "1.2.840.113549.1.1.1"),
            (EC_PUBLIC_KEY, "1.2.840.10045.2.1"),
            (PRIME_FIELD, "1.2.840.10045.1.1"),
            (DH_PUBLIC_NUMBER, "1.2.840.10046.2.1"),
            (DH_KEY_AGREEMENT, "1.2.840.113549.1.3.1"),
            (STANDARDIZED_DOMAIN_PARAMETERS, "0.4.0.127.0.7.1.2"),
        ] {
            assert_eq!(oid_from_dotted(d).unwrap(), b, "{d}");
        }
    }

    #[test]
    fn pace_table() {
        let o = oid_from_dotted("0.4.0.127.0.7.2.2.4.2.2").unwrap();
        assert_eq!(
            pace_protocol(Oid(&o)),
            Some(PaceProtocol {
                key_agreement: KeyAgreement::Ecdh,
                mapping: Mapping::Generic,
                cipher: Cipher::Aes128CbcCmac
            })
        );
        let o = oid_from_dotted("0.4.0.127.0.7.2.2.4.6.4").unwrap();
        assert_eq!(
            pace_protocol(Oid(&o)).unwrap().mapping,
            Mapping::ChipAuthentication
        );
        let o = oid_from_dotted("0.4.0.127.0.7.2.2.4.6.1").unwrap();
        assert_eq!(pace_protocol(Oid(&o)), None);
        let o = oid_from_dotted("0.4.0.127.0.7.2.2.4.3.1").unwrap();
        assert_eq!(
            pace_protocol(Oid(&o)).unwrap().cipher,
            Cipher::TripleDesCbcCbc
        );
        let o = oid_from_dotted("0.4.0.127.0.7.2.2.3.1.4").unwrap();
        assert_eq!(
            ca_protocol(Oid(&o)),
            Some(CaProtocol {
                key_agreement: KeyAgreement::Dh,
                cipher: Cipher::Aes256CbcCmac
            })
        );
    }
}
