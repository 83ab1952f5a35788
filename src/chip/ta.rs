//! Terminal Authentication (BSI TR-03110-1 §3.5 for EAC1 ePassports, TR-03110-2 §3.3 for v2;
//! APDUs per TR-03110-3 §B.11): the terminal proves to the chip that it holds an inspection
//! system key certified by the chip's country (CVCA → DV → IS), so the chip opens DG3/DG4.
//!
//! Sans-IO, run inside [`Secured`](super::Secured) on the session Chip Authentication left:
//!
//! 1. for each certificate from the chip's trust point down to the IS certificate:
//!    MSE:Set DST (`00 22 81 B6`, DO'83' CAR) and PSO:Verify Certificate (`00 2A 00 BE`,
//!    body ‖ signature);
//! 2. MSE:Set AT (`00 22 81 A4`, DO'83' the terminal's CHR; v2 adds DO'80' the TA OID and
//!    DO'91' Comp(ephemeral key));
//! 3. GET CHALLENGE (`00 84 00 00 08`): r_PICC;
//! 4. EXTERNAL AUTHENTICATE (`00 82 00 00`) with Sign(SK_IS, ID_PICC ‖ r_PICC ‖ Comp(PK_PCD)).
//!
//! ID_PICC is the document number with its check digit after BAC (TR-03110-1 §3.5; JMRTD
//! drops the trailing fillers of a short number too), and Comp(PK_PCD) is the compressed
//! ephemeral key of Chip Authentication: the x-coordinate (ECDH) or SHA-1 of the public value
//! (DH) (TR-03110-3 §A.2.2.3).
//!
//! The IS private key signs through [`TerminalSigner`], so an HSM can sit behind it;
//! [`SoftwareSigner`] loads an EC key (PKCS #8 or SEC 1) or an RSA key (PKCS #8 or PKCS #1), DER
//! or PEM, for tests and labs.

use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

use sha1::{Digest as _, Sha1};

use super::ca::CaGroup;
use super::chain::Chained;
use super::{CardTransport, ChipError, ChipProtocol, SecureSession, Secured, Step};
use crate::apdu::{CommandApdu, ResponseApdu};
use crate::lds::asn1::Oid;
use crate::lds::cvc::{
    CvCertificate, CvPublicKey, CvRole, CvcError, TaAlgorithm, TaPublicKey, MIN_TA_RSA_BITS,
};
use crate::pa::algorithms::{brainpool, NamedCurve};
use crate::tlv;

/// INS of PERFORM SECURITY OPERATION (ISO/IEC 7816-8).
pub const INS_PSO: u8 = 0x2A;
/// MSE P1 for TA: set for verification, encipherment, external authentication.
pub const MSE_P1_SET_VERIFY: u8 = 0x81;
/// MSE P2: digital signature template (PSO:Verify Certificate).
pub const MSE_P2_DST: u8 = 0xB6;
/// Longest certificate chain accepted from an operator (CVCA links + DV + IS).
pub const MAX_CHAIN: usize = 8;

/// A Terminal Authentication setup error (before any APDU).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaError {
    /// A certificate of the chain does not parse.
    #[error("terminal certificate: {0}")]
    Certificate(#[from] CvcError),
    /// The chain has no terminal (IS) certificate, or it does not link up by CAR/CHR.
    #[error("terminal certificate chain: {reason}")]
    Chain {
        /// What is wrong.
        reason: &'static str,
    },
    /// The chain does not reach the chip's trust point.
    #[error("the terminal chain does not reach the chip's trust point")]
    UnknownTrustPoint,
    /// The private key is unusable or does not match the IS certificate.
    #[error("terminal key: {reason}")]
    Key {
        /// What is wrong.
        reason: &'static str,
    },
    /// The key file or a certificate file cannot be read.
    #[error("{path}: {reason}")]
    File {
        /// Which file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The IS key's signing operation (software, smart card or HSM).
pub trait TerminalSigner: Send + Sync {
    /// The public key, to match the IS certificate.
    fn public_key(&self) -> TaPublicKey;
    /// Signs `message` under `algorithm` (the IS certificate's): ECDSA answers plain
    /// `r ‖ s`, RSA the signature block (TR-03110-3 §A.7).
    fn sign(&self, algorithm: TaAlgorithm, message: &[u8]) -> Result<Vec<u8>, TaError>;
}

/// A software terminal key: EC (P-256, P-384, brainpoolP256r1, brainpoolP384r1; RFC 6979
/// deterministic signatures) or RSA of at least [`MIN_TA_RSA_BITS`] bits (PKCS #1 v1.5 and
/// PSS; PSS salts and RSA blinding come from the generator given to [`SoftwareSigner::rsa`],
/// which [`SoftwareSigner::from_key_file`] seeds from the operating system).
#[derive(Clone)]
pub struct SoftwareSigner {
    key: SoftKey,
}

#[derive(Clone)]
enum SoftKey {
    Ec {
        curve: NamedCurve,
        d: Vec<u8>,
    },
    Rsa {
        key: Box<rsa::RsaPrivateKey>,
        rng: Arc<std::sync::Mutex<ChaCha20Rng>>,
    },
}

impl std::fmt::Debug for SoftwareSigner {
    // Never print private key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            SoftKey::Ec { curve, .. } => write!(f, "SoftwareSigner({curve:?}, ..)"),
            SoftKey::Rsa { key, .. } => {
                use rsa::traits::PublicKeyParts;
                write!(f, "SoftwareSigner(RSA-{}, ..)", key.n().bits())
            }
        }
    }
}

fn field_len(curve: NamedCurve) -> usize {
    curve.params().map_or(0, |p| p.p.len() / 2)
}

impl SoftwareSigner {
    /// From a private scalar (big-endian, field length); `None` when out of range or the curve
    /// is not one of the four above.
    pub fn new(curve: NamedCurve, d: &[u8]) -> Option<Self> {
        let s = SoftwareSigner {
            key: SoftKey::Ec {
                curve,
                d: d.to_vec(),
            },
        };
        (!s.public_point().is_empty()).then_some(s)
    }

    /// An RSA key, drawing PSS salts and blinding factors from `rng`; `None` below
    /// [`MIN_TA_RSA_BITS`].
    pub fn rsa(key: rsa::RsaPrivateKey, rng: ChaCha20Rng) -> Option<Self> {
        use rsa::traits::PublicKeyParts;
        (key.n().bits() >= MIN_TA_RSA_BITS).then(|| SoftwareSigner {
            key: SoftKey::Rsa {
                key: Box::new(key),
                rng: Arc::new(std::sync::Mutex::new(rng)),
            },
        })
    }

    /// The uncompressed public point of an EC key (empty for RSA).
    pub fn public_point(&self) -> Vec<u8> {
        match &self.key {
            SoftKey::Ec { curve, d } => ec_public(*curve, d),
            SoftKey::Rsa { .. } => Vec::new(),
        }
    }

    /// From PKCS #8 (`PrivateKeyInfo`) or SEC 1 (`ECPrivateKey`) DER, or PEM of either.
    pub fn from_key_file(bytes: &[u8]) -> Result<Self, TaError> {
        let bad = |reason| TaError::Key { reason };
        let der = if bytes.starts_with(b"-----BEGIN") {
            crate::lds::cvc::decode_pem_blocks(bytes)
                .and_then(|v| v.into_iter().next())
                .ok_or(bad("PEM without a base64 block"))?
        } else {
            bytes.to_vec()
        };
        let Some((curve, d)) = parse_ec_private_key(&der) else {
            // RSA: PKCS #8 with rsaEncryption, or PKCS #1 RSAPrivateKey.
            use rsa::pkcs1::DecodeRsaPrivateKey;
            use rsa::pkcs8::DecodePrivateKey;
            let key = rsa::RsaPrivateKey::from_pkcs8_der(&der)
                .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_der(&der))
                .map_err(|_| {
                    bad("not a PKCS #8, SEC 1 or PKCS #1 private key (EC on a supported named curve, or RSA)")
                })?;
            // The loader is where the operating system's generator is read, once.
            use rand_chacha::rand_core::SeedableRng;
            let rng = ChaCha20Rng::from_rng(rand_core::OsRng)
                .map_err(|_| bad("no random generator for RSA signing"))?;
            return Self::rsa(key, rng).ok_or(bad("RSA key below 2048 bits"));
        };
        let fl = field_len(curve);
        // Scalars may come with or without leading zeros.
        let stripped: Vec<u8> = d.iter().copied().skip_while(|b| *b == 0).collect();
        if stripped.len() > fl {
            return Err(bad("private scalar longer than the curve order"));
        }
        let mut scalar = vec![0u8; fl.saturating_sub(stripped.len())];
        scalar.extend_from_slice(&stripped);
        Self::new(curve, &scalar).ok_or(bad("private scalar out of range"))
    }
}

/// (curve, scalar) from PKCS #8 (RFC 5958 `OneAsymmetricKey` with id-ecPublicKey and a named
/// curve) or SEC 1 (RFC 5915 `ECPrivateKey` naming its curve), read by the `pkcs8` and `sec1`
/// crates.
fn parse_ec_private_key(der: &[u8]) -> Option<(NamedCurve, Vec<u8>)> {
    let curve_of = |oid: &[u8]| NamedCurve::from_dotted(&Oid(oid).dotted());
    if let Ok(info) = pkcs8::PrivateKeyInfo::try_from(der) {
        let (alg, params) = info.algorithm.oids().ok()?;
        if alg.as_bytes() != crate::lds::oid::EC_PUBLIC_KEY {
            return None;
        }
        let curve = curve_of(params?.as_bytes())?;
        let inner = sec1::EcPrivateKey::try_from(info.private_key).ok()?;
        // A curve repeated inside the SEC 1 structure must be the same one.
        if let Some(c) = inner.parameters.and_then(|p| p.named_curve()) {
            if curve_of(c.as_bytes())? != curve {
                return None;
            }
        }
        return Some((curve, inner.private_key.to_vec()));
    }
    let key = sec1::EcPrivateKey::try_from(der).ok()?;
    let curve = curve_of(key.parameters?.named_curve()?.as_bytes())?;
    Some((curve, key.private_key.to_vec()))
}

fn ec_public(curve: NamedCurve, d: &[u8]) -> Vec<u8> {
    match curve {
        NamedCurve::P256 => ec13_public::<p256::NistP256>(d),
        NamedCurve::P384 => ec13_public::<p384::NistP384>(d),
        NamedCurve::BrainpoolP256r1 => brainpool::public_p256r1(d).unwrap_or_default(),
        NamedCurve::BrainpoolP384r1 => brainpool::public_p384r1(d).unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl TerminalSigner for SoftwareSigner {
    fn public_key(&self) -> TaPublicKey {
        match &self.key {
            SoftKey::Ec { curve, d } => TaPublicKey::Ec {
                curve: *curve,
                point: ec_public(*curve, d),
            },
            SoftKey::Rsa { key, .. } => {
                use rsa::traits::PublicKeyParts;
                TaPublicKey::Rsa {
                    modulus: key.n().to_bytes_be(),
                    exponent: key.e().to_bytes_be(),
                }
            }
        }
    }

    fn sign(&self, algorithm: TaAlgorithm, message: &[u8]) -> Result<Vec<u8>, TaError> {
        let failed = TaError::Key {
            reason: "signing failed",
        };
        let wrong = TaError::Key {
            reason: "the key's family does not match the terminal certificate's algorithm",
        };
        let digest = algorithm.hash().digest(message);
        let (curve, d) = match (&self.key, algorithm) {
            (SoftKey::Ec { curve, d }, TaAlgorithm::Ecdsa(_)) => (*curve, d),
            (SoftKey::Rsa { key, rng }, TaAlgorithm::RsaV15(hash)) => {
                let pad = rsa::Pkcs1v15Sign {
                    hash_len: Some(hash.len()),
                    prefix: hash.digest_info_prefix().into(),
                };
                let mut rng = rng.lock().map_err(|_| failed.clone())?;
                return key
                    .sign_with_rng(&mut *rng, pad, &digest)
                    .map_err(|_| failed);
            }
            (SoftKey::Rsa { key, rng }, TaAlgorithm::RsaPss(hash)) => {
                use crate::pa::algorithms::DigestAlg;
                // MGF1 over the same hash, salt as long as the hash (TR-03110-3 §A.7).
                let pad = match hash {
                    DigestAlg::Sha1 => rsa::Pss::new_with_salt::<Sha1>(hash.len()),
                    DigestAlg::Sha224 => rsa::Pss::new_with_salt::<sha2::Sha224>(hash.len()),
                    DigestAlg::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(hash.len()),
                    DigestAlg::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(hash.len()),
                    DigestAlg::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(hash.len()),
                };
                let mut rng = rng.lock().map_err(|_| failed.clone())?;
                return key
                    .sign_with_rng(&mut *rng, pad, &digest)
                    .map_err(|_| failed);
            }
            _ => return Err(wrong),
        };
        // The 0.14 brainpool wrappers want the digest at least as long as the field.
        let fl = field_len(curve);
        let mut padded = vec![0u8; fl.saturating_sub(digest.len())];
        padded.extend_from_slice(&digest);
        let sig = match curve {
            NamedCurve::P256 => ec13_sign::<p256::NistP256>(d, &digest),
            NamedCurve::P384 => ec13_sign::<p384::NistP384>(d, &digest),
            NamedCurve::BrainpoolP256r1 => brainpool::sign_p256r1(d, &padded),
            NamedCurve::BrainpoolP384r1 => brainpool::sign_p384r1(d, &padded),
            _ => None,
        };
        sig.ok_or(failed)
    }
}

fn ec13_public<C>(d: &[u8]) -> Vec<u8>
where
    C: ecdsa::elliptic_curve::CurveArithmetic,
    ecdsa::elliptic_curve::AffinePoint<C>: ecdsa::elliptic_curve::sec1::FromEncodedPoint<C>
        + ecdsa::elliptic_curve::sec1::ToEncodedPoint<C>,
    ecdsa::elliptic_curve::FieldBytesSize<C>: ecdsa::elliptic_curve::sec1::ModulusSize,
{
    use ecdsa::elliptic_curve::sec1::ToEncodedPoint;
    ecdsa::elliptic_curve::SecretKey::<C>::from_slice(d)
        .map(|k| k.public_key().to_encoded_point(false).as_bytes().to_vec())
        .unwrap_or_default()
}

fn ec13_sign<C>(d: &[u8], digest: &[u8]) -> Option<Vec<u8>>
where
    C: ecdsa::PrimeCurve + ecdsa::elliptic_curve::CurveArithmetic + ecdsa::hazmat::DigestPrimitive,
    ecdsa::elliptic_curve::Scalar<C>: ecdsa::hazmat::SignPrimitive<C>,
    ecdsa::SignatureSize<C>: ecdsa::elliptic_curve::generic_array::ArrayLength<u8>,
{
    use ecdsa::signature::hazmat::PrehashSigner;
    let sk = ecdsa::SigningKey::<C>::from_slice(d).ok()?;
    let sig: ecdsa::Signature<C> = sk.sign_prehash(digest).ok()?;
    Some(sig.to_bytes().to_vec())
}

/// The operator's terminal credentials: the CV certificate chain (in any order; sorted from
/// the top down to the IS certificate) and the IS key's signer.
#[derive(Clone)]
pub struct TerminalCredentials {
    chain: Vec<Vec<u8>>,
    signer: Arc<dyn TerminalSigner>,
}

impl std::fmt::Debug for TerminalCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalCredentials")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl TerminalCredentials {
    /// Checks and orders the chain: exactly one terminal certificate, each certificate's CAR is
    /// the CHR of the next one up, roles narrow down (CVCA → DV → terminal), and the signer's
    /// public key equals the IS certificate's.
    pub fn new(
        certificates: Vec<Vec<u8>>,
        signer: Arc<dyn TerminalSigner>,
    ) -> Result<Self, TaError> {
        if certificates.is_empty() || certificates.len() > MAX_CHAIN {
            return Err(TaError::Chain {
                reason: "one to eight certificates expected",
            });
        }
        let parsed = certificates
            .iter()
            .map(|c| CvCertificate::parse(c))
            .collect::<Result<Vec<_>, _>>()?;
        let role = |c: &CvCertificate<'_>| c.chat.role().unwrap_or(CvRole::Cvca);
        let mut terminals = parsed
            .iter()
            .enumerate()
            .filter(|(_, c)| role(c) == CvRole::Terminal);
        let (Some((is_idx, is_cert)), None) = (terminals.next(), terminals.next()) else {
            return Err(TaError::Chain {
                reason: "exactly one terminal certificate expected",
            });
        };
        let strip = |b: &[u8]| -> Vec<u8> { b.iter().copied().skip_while(|x| *x == 0).collect() };
        let matches = match (&is_cert.public_key, signer.public_key()) {
            (CvPublicKey::Ec { point, .. }, TaPublicKey::Ec { point: p, .. }) => *point == p,
            (
                CvPublicKey::Rsa { modulus, exponent },
                TaPublicKey::Rsa {
                    modulus: n,
                    exponent: e,
                },
            ) => strip(modulus) == strip(&n) && strip(exponent) == strip(&e),
            _ => false,
        };
        if !matches {
            return Err(TaError::Key {
                reason: "the key does not match the terminal certificate",
            });
        }
        // Walk up from the IS certificate by CAR → CHR.
        let mut order = vec![is_idx];
        let mut cur = is_cert;
        while !cur.is_self_signed() {
            let Some((i, up)) = parsed
                .iter()
                .enumerate()
                .find(|(i, c)| c.chr == cur.car && !order.contains(i))
            else {
                break;
            };
            if !role(up).may_issue(role(cur)) {
                return Err(TaError::Chain {
                    reason: "a certificate's issuer role may not issue it",
                });
            }
            order.push(i);
            cur = up;
        }
        if order.len() != parsed.len() {
            return Err(TaError::Chain {
                reason: "certificates that do not link to the terminal certificate",
            });
        }
        order.reverse();
        let chain = order
            .into_iter()
            .filter_map(|i| certificates.get(i).cloned())
            .collect();
        Ok(TerminalCredentials { chain, signer })
    }

    /// Loads the chain files (DER or PEM, several certificates each allowed) and a key file.
    pub fn load(chain: &[std::path::PathBuf], key: &std::path::Path) -> Result<Self, TaError> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| TaError::File {
                path: p.display().to_string(),
                reason: e.to_string(),
            })
        };
        let mut certs = Vec::new();
        for p in chain {
            let bytes = read(p)?;
            let more = crate::lds::cvc::split_certificates(&bytes, MAX_CHAIN).map_err(|e| {
                TaError::File {
                    path: p.display().to_string(),
                    reason: e.to_string(),
                }
            })?;
            certs.extend(more);
        }
        let signer = SoftwareSigner::from_key_file(&read(key)?)?;
        Self::new(certs, Arc::new(signer))
    }

    /// The chain, top first, IS certificate last.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The signer.
    pub fn signer(&self) -> &Arc<dyn TerminalSigner> {
        &self.signer
    }

    /// The certificates to present to a chip whose trust points (CARs from EF.CVCA, or the
    /// PACE answer) are `trust_points`: from the first one issued under a trust point that is
    /// not itself one (a link certificate to a newer CVCA, or the DV certificate). With no
    /// trust points known: everything below the self-signed CVCA certificate.
    pub fn to_present(&self, trust_points: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, TaError> {
        let parsed = self
            .chain
            .iter()
            .map(|c| CvCertificate::parse(c))
            .collect::<Result<Vec<_>, _>>()?;
        let start = if trust_points.is_empty() {
            parsed.iter().position(|c| !c.is_self_signed())
        } else {
            let known = |r: &[u8]| trust_points.iter().any(|t| t.as_slice() == r);
            parsed.iter().position(|c| known(c.car) && !known(c.chr))
        }
        .ok_or(TaError::UnknownTrustPoint)?;
        Ok(self.chain.get(start..).unwrap_or(&[]).to_vec())
    }
}

/// ID_PICC after BAC (TR-03110-1 §3.5): the document number (trailing fillers dropped) and its
/// check digit, from the MRZ information (number ‖ cd ‖ birth ‖ cd ‖ expiry ‖ cd).
pub fn id_picc_from_mrz_information(mrz_information: &str) -> Option<Vec<u8>> {
    let n = mrz_information.len().checked_sub(14)?;
    let doc = mrz_information.get(..n)?;
    let (number, cd) = doc.split_at(doc.len().checked_sub(1)?);
    let number = number.trim_end_matches('<');
    (!number.is_empty() && number.is_ascii()).then(|| [number.as_bytes(), cd.as_bytes()].concat())
}

/// Comp(PK) (TR-03110-3 §A.2.2.3): the x-coordinate of an uncompressed EC point (`ec`), or
/// SHA-1 of a DH public value; `None` for a malformed point.
pub fn comp(public: &[u8], ec: bool) -> Option<Vec<u8>> {
    if !ec {
        return Some(Sha1::digest(public).to_vec());
    }
    let body = public.strip_prefix(&[0x04])?;
    (!body.is_empty() && body.len() % 2 == 0)
        .then(|| body.get(..body.len() / 2).map(<[u8]>::to_vec))?
}

/// Comp of a Chip Authentication ephemeral key (empty when malformed, which the chip refuses).
pub fn compress_public_key(group: CaGroup, public: &[u8]) -> Vec<u8> {
    comp(public, matches!(group, CaGroup::Ec(_))).unwrap_or_default()
}

/// ID_PICC after PACE (TR-03110-3 §B.11.5): Comp(the chip's ephemeral PACE key).
pub fn id_picc_from_pace(chip_ephemeral: &[u8], ec: bool) -> Option<Vec<u8>> {
    comp(chip_ephemeral, ec)
}

/// What Terminal Authentication established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalAuthenticated {
    /// The terminal's CHR (printable).
    pub chr: String,
    /// The IS certificate's access rights (the chip narrows them by the DV's and CVCA's).
    pub rights: u8,
    /// Certificates the chip verified.
    pub certificates: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaState {
    Start,
    SentDst(usize),
    SentPso(usize),
    SentAt,
    SentChallenge,
    SentExternalAuthenticate,
    Done,
}

const STEP_DST: &str = "MSE:Set DST (Terminal Authentication)";
const STEP_PSO: &str = "PSO:Verify Certificate";
const STEP_AT: &str = "MSE:Set AT (Terminal Authentication)";
const STEP_CHALLENGE: &str = "GET CHALLENGE (Terminal Authentication)";
const STEP_EA: &str = "EXTERNAL AUTHENTICATE (Terminal Authentication)";

/// The Terminal Authentication run (see the module documentation).
pub struct TerminalAuthentication {
    certificates: Vec<Vec<u8>>,
    signer: Arc<dyn TerminalSigner>,
    id_picc: Vec<u8>,
    comp_ephemeral: Vec<u8>,
    version: u8,
    state: TaState,
}

impl std::fmt::Debug for TerminalAuthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalAuthentication")
            .field("certificates", &self.certificates.len())
            .field("version", &self.version)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl TerminalAuthentication {
    /// A run presenting `certificates` (top first, IS certificate last; see
    /// [`TerminalCredentials::to_present`]), signing ID_PICC ‖ r_PICC ‖ `comp_ephemeral`.
    /// `version` 1 (EAC1 after CA v1) or 2 (MSE:Set AT also carries the TA OID and
    /// Comp(ephemeral key)).
    pub fn new(
        certificates: Vec<Vec<u8>>,
        signer: Arc<dyn TerminalSigner>,
        id_picc: Vec<u8>,
        comp_ephemeral: Vec<u8>,
        version: u8,
    ) -> Result<Self, TaError> {
        let Some(last) = certificates.last() else {
            return Err(TaError::Chain {
                reason: "no certificate to present",
            });
        };
        let is = CvCertificate::parse(last)?;
        if is.chat.role() != Some(CvRole::Terminal) {
            return Err(TaError::Chain {
                reason: "the last certificate is not a terminal certificate",
            });
        }
        Ok(TerminalAuthentication {
            certificates,
            signer,
            id_picc,
            comp_ephemeral,
            version,
            state: TaState::Start,
        })
    }

    fn cert(&self, i: usize) -> Result<CvCertificate<'_>, ChipError> {
        self.certificates
            .get(i)
            .and_then(|c| CvCertificate::parse(c).ok())
            .ok_or(ChipError::Finished)
    }

    fn dst(&self, i: usize) -> Result<CommandApdu, ChipError> {
        let c = self.cert(i)?;
        Ok(
            CommandApdu::new(0x00, super::ca::INS_MSE, MSE_P1_SET_VERIFY, MSE_P2_DST)
                .with_data(tlv::encode(0x83, c.car)),
        )
    }

    fn pso(&self, i: usize) -> Result<CommandApdu, ChipError> {
        let c = self.cert(i)?;
        Ok(CommandApdu::new(0x00, INS_PSO, 0x00, 0xBE).with_data(c.pso_data()))
    }

    fn is_cert(&self) -> Result<CvCertificate<'_>, ChipError> {
        self.cert(self.certificates.len().saturating_sub(1))
    }

    /// MSE:Set AT for external authentication.
    fn set_at(&self) -> Result<CommandApdu, ChipError> {
        let is = self.is_cert()?;
        let mut data = Vec::new();
        if self.version >= 2 {
            data.extend(tlv::encode(0x80, &is.algorithm.oid()));
        }
        data.extend(tlv::encode(0x83, is.chr));
        if self.version >= 2 {
            data.extend(tlv::encode(0x91, &self.comp_ephemeral));
        }
        Ok(CommandApdu::new(
            0x00,
            super::ca::INS_MSE,
            MSE_P1_SET_VERIFY,
            super::ca::MSE_P2_AT,
        )
        .with_data(data))
    }

    /// The signed message: ID_PICC ‖ r_PICC ‖ Comp(PK_PCD).
    pub fn signature_input(&self, r_picc: &[u8]) -> Vec<u8> {
        [self.id_picc.as_slice(), r_picc, &self.comp_ephemeral].concat()
    }

    fn fail(&mut self, e: ChipError) -> Result<Step<TerminalAuthenticated>, ChipError> {
        self.state = TaState::Done;
        Err(e)
    }
}

impl ChipProtocol for TerminalAuthentication {
    type Output = TerminalAuthenticated;

    fn resume(
        &mut self,
        response: Option<ResponseApdu>,
    ) -> Result<Step<TerminalAuthenticated>, ChipError> {
        let ok = |r: &ResponseApdu, step| {
            if r.sw.is_success() {
                Ok(())
            } else {
                Err(ChipError::from_status(step, r.sw))
            }
        };
        match (self.state, response) {
            (TaState::Start, None) => {
                self.state = TaState::SentDst(0);
                Ok(Step::Transmit(self.dst(0)?))
            }
            (TaState::SentDst(i), Some(r)) => {
                if let Err(e) = ok(&r, STEP_DST) {
                    return self.fail(e);
                }
                self.state = TaState::SentPso(i);
                Ok(Step::Transmit(self.pso(i)?))
            }
            (TaState::SentPso(i), Some(r)) => {
                if let Err(e) = ok(&r, STEP_PSO) {
                    return self.fail(e);
                }
                let next = i.saturating_add(1);
                if next < self.certificates.len() {
                    self.state = TaState::SentDst(next);
                    Ok(Step::Transmit(self.dst(next)?))
                } else {
                    self.state = TaState::SentAt;
                    Ok(Step::Transmit(self.set_at()?))
                }
            }
            (TaState::SentAt, Some(r)) => {
                if let Err(e) = ok(&r, STEP_AT) {
                    return self.fail(e);
                }
                self.state = TaState::SentChallenge;
                Ok(Step::Transmit(
                    CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_le(8),
                ))
            }
            (TaState::SentChallenge, Some(r)) => {
                if let Err(e) = ok(&r, STEP_CHALLENGE) {
                    return self.fail(e);
                }
                if r.data.len() != 8 {
                    return self.fail(ChipError::Protocol {
                        step: STEP_CHALLENGE,
                        detail: "challenge is not 8 bytes",
                    });
                }
                let algorithm = self.is_cert()?.algorithm;
                let msg = self.signature_input(&r.data);
                let sig = match self.signer.sign(algorithm, &msg) {
                    Ok(s) => s,
                    Err(_) => {
                        return self.fail(ChipError::Protocol {
                            step: STEP_EA,
                            detail: "the terminal signer failed",
                        })
                    }
                };
                self.state = TaState::SentExternalAuthenticate;
                Ok(Step::Transmit(
                    CommandApdu::new(0x00, 0x82, 0x00, 0x00).with_data(sig),
                ))
            }
            (TaState::SentExternalAuthenticate, Some(r)) => {
                if !r.sw.is_success() {
                    let e = match r.sw.0 {
                        0x6982 | 0x6985 => ChipError::from_status(STEP_EA, r.sw),
                        _ => ChipError::AuthenticationFailed {
                            step: STEP_EA,
                            sw: r.sw,
                        },
                    };
                    return self.fail(e);
                }
                let is = self.is_cert()?;
                let out = TerminalAuthenticated {
                    chr: String::from_utf8_lossy(is.chr).into_owned(),
                    rights: is.chat.rights().first().copied().unwrap_or(0),
                    certificates: self.certificates.len(),
                };
                self.state = TaState::Done;
                Ok(Step::Done(out))
            }
            (TaState::Done, _) => Err(ChipError::Finished),
            _ => {
                self.state = TaState::Done;
                Err(ChipError::Protocol {
                    step: STEP_DST,
                    detail: "resume out of order",
                })
            }
        }
    }
}

/// A Terminal Authentication run that failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaFailure {
    /// The credentials do not fit this chip.
    #[error("terminal authentication: {0}")]
    Setup(#[from] TaError),
    /// The chip refused (or the exchange failed).
    #[error("terminal authentication: {0}")]
    Chip(#[from] ChipError),
}

/// Runs Terminal Authentication `version` (1: EAC1 after CA v1; 2: before CA v2, committing to
/// `comp_ephemeral`) over `t` on `session`. The session comes back whenever the chip answered
/// (under intact secure messaging), also after a refusal, and when the credentials do not fit
/// (nothing sent). Certificates longer than `max_command_data` go out as command chains
/// ([`super::chain`]).
#[allow(clippy::too_many_arguments)]
pub fn run(
    t: &mut dyn CardTransport,
    session: SecureSession,
    credentials: &TerminalCredentials,
    trust_points: &[Vec<u8>],
    id_picc: Vec<u8>,
    comp_ephemeral: Vec<u8>,
    version: u8,
    max_command_data: usize,
) -> (
    Option<SecureSession>,
    Result<TerminalAuthenticated, TaFailure>,
) {
    let ta = credentials.to_present(trust_points).and_then(|certs| {
        TerminalAuthentication::new(
            certs,
            Arc::clone(credentials.signer()),
            id_picc,
            comp_ephemeral,
            version,
        )
    });
    let ta = match ta {
        Ok(ta) => ta,
        Err(e) => return (Some(session), Err(e.into())),
    };
    let mut secured = Secured::new(session, Chained::new(ta, max_command_data));
    let result = super::drive(&mut secured, t);
    let (session, _) = secured.into_parts();
    let session = session.is_open().then_some(session);
    (session, result.map_err(TaFailure::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsp(data: &[u8], sw: u16) -> ResponseApdu {
        ResponseApdu::new(data.to_vec(), crate::apdu::StatusWord(sw))
    }

    fn protocol() -> TerminalAuthentication {
        let pki = crate::testkit::cv_pki::cv_pki().unwrap();
        TerminalAuthentication::new(
            vec![pki.dv, pki.is],
            Arc::new(pki.is_key),
            b"L898902C3".to_vec(),
            vec![0x11; 32],
            1,
        )
        .unwrap()
    }

    #[test]
    fn command_sequence_and_signature_input() {
        let mut ta = protocol();
        let mut ins = Vec::new();
        let mut last = None;
        let answers = [
            rsp(&[], 0x9000),
            rsp(&[], 0x9000),
            rsp(&[], 0x9000),
            rsp(&[], 0x9000),
            rsp(&[], 0x9000),
            rsp(&[1, 2, 3, 4, 5, 6, 7, 8], 0x9000),
            rsp(&[], 0x9000),
        ];
        let mut it = answers.into_iter();
        let done = loop {
            match ta.resume(last.take()).unwrap() {
                Step::Transmit(c) => {
                    ins.push((c.ins, c.p1, c.p2));
                    last = it.next();
                }
                Step::Done(d) => break d,
            }
        };
        assert_eq!(
            ins,
            vec![
                (0x22, 0x81, 0xB6),
                (0x2A, 0x00, 0xBE),
                (0x22, 0x81, 0xB6),
                (0x2A, 0x00, 0xBE),
                (0x22, 0x81, 0xA4),
                (0x84, 0x00, 0x00),
                (0x82, 0x00, 0x00),
            ]
        );
        assert_eq!(done.chr, "UTISTERM00001");
        assert_eq!(done.rights, 0x03);
        let input = ta.signature_input(&[9; 8]);
        assert_eq!(&input[..9], b"L898902C3");
        assert_eq!(&input[9..17], &[9; 8]);
        assert_eq!(&input[17..], &[0x11; 32]);
        assert_eq!(ta.resume(None), Err(ChipError::Finished));
    }

    #[test]
    fn hostile_answers_end_the_run_with_typed_errors() {
        // An error status at every step, a short challenge, a response out of order.
        for at in 0..7 {
            let mut ta = protocol();
            let mut step = ta.resume(None).unwrap();
            for i in 0..at {
                let answer = if i == 5 {
                    rsp(&[0; 8], 0x9000)
                } else {
                    rsp(&[], 0x9000)
                };
                step = ta.resume(Some(answer)).unwrap();
            }
            assert!(matches!(step, Step::Transmit(_)));
            let e = ta.resume(Some(rsp(&[], 0x6300))).unwrap_err();
            assert!(
                matches!(
                    e,
                    ChipError::Status { .. } | ChipError::AuthenticationFailed { .. }
                ),
                "{at}: {e:?}"
            );
            assert_eq!(ta.resume(Some(rsp(&[], 0x9000))), Err(ChipError::Finished));
        }
        let mut ta = protocol();
        let _ = ta.resume(None).unwrap();
        for _ in 0..5 {
            let _ = ta.resume(Some(rsp(&[], 0x9000))).unwrap();
        }
        assert!(matches!(
            ta.resume(Some(rsp(&[1, 2, 3], 0x9000))),
            Err(ChipError::Protocol { .. })
        ));
        let mut ta = protocol();
        assert!(ta.resume(Some(rsp(&[], 0x9000))).is_err());
    }

    #[test]
    fn id_picc_is_number_and_check_digit() {
        // Doc 9303-11 App. D.2 specimen: L898902C< 3 690806 1 940623 6.
        let id = id_picc_from_mrz_information("L898902C<369080619406236").unwrap();
        assert_eq!(id, b"L898902C3");
        assert_eq!(
            id_picc_from_mrz_information("123456789069080619406236").unwrap(),
            b"1234567890"
        );
        assert!(id_picc_from_mrz_information("short").is_none());
    }

    #[test]
    fn software_signer_key_files_round_trip() {
        for curve in [
            NamedCurve::P256,
            NamedCurve::P384,
            NamedCurve::BrainpoolP256r1,
            NamedCurve::BrainpoolP384r1,
        ] {
            let mut d = vec![0u8; field_len(curve)];
            d[5] = 7;
            d[20] = 1;
            let s = SoftwareSigner::new(curve, &d).unwrap();
            let again =
                SoftwareSigner::from_key_file(&crate::testkit::cv_pki::ec_pkcs8_der(curve, &d))
                    .unwrap();
            assert_eq!(again.public_point(), s.public_point());
            let alg = TaAlgorithm::Ecdsa(crate::pa::algorithms::DigestAlg::Sha256);
            let sig = s.sign(alg, b"message").unwrap();
            let pk = s.public_key();
            crate::lds::cvc::verify_ta_signature(&pk, alg, b"message", &sig).unwrap();
            assert!(crate::lds::cvc::verify_ta_signature(&pk, alg, b"other", &sig).is_err());
        }
        assert!(SoftwareSigner::from_key_file(b"\x30\x03\x02\x01\x05").is_err());
        assert!(SoftwareSigner::from_key_file(b"").is_err());
    }

    /// RSA terminal keys: PKCS #1 `RSAPrivateKey` and PKCS #8 files.
    #[test]
    fn rsa_key_files() {
        use rsa::pkcs8::EncodePrivateKey;
        let der = include_bytes!("../../testdata/pki/keys/ds-rsa2048.key.der");
        let s = SoftwareSigner::from_key_file(der).unwrap();
        let TaPublicKey::Rsa { modulus, .. } = s.public_key() else {
            panic!("not RSA")
        };
        assert_eq!(modulus.len(), 256);
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let k = rsa::RsaPrivateKey::from_pkcs1_der(der).unwrap();
        let p8 = k.to_pkcs8_der().unwrap();
        let again = SoftwareSigner::from_key_file(p8.as_bytes()).unwrap();
        assert_eq!(again.public_key(), s.public_key());
        // An RSA key cannot sign for an ECDSA certificate, nor an EC key for an RSA one.
        let ecdsa = TaAlgorithm::Ecdsa(crate::pa::algorithms::DigestAlg::Sha256);
        assert!(s.sign(ecdsa, b"m").is_err());
        let ec = SoftwareSigner::new(NamedCurve::P256, &[1; 32]).unwrap();
        let rsa_alg = TaAlgorithm::RsaPss(crate::pa::algorithms::DigestAlg::Sha256);
        assert!(ec.sign(rsa_alg, b"m").is_err());
        let sig = s.sign(rsa_alg, b"m").unwrap();
        crate::lds::cvc::verify_ta_signature(&s.public_key(), rsa_alg, b"m", &sig).unwrap();
        // PKCS #1 v1.5 does not verify a PSS signature.
        let v15 = TaAlgorithm::RsaV15(crate::pa::algorithms::DigestAlg::Sha256);
        assert!(crate::lds::cvc::verify_ta_signature(&s.public_key(), v15, b"m", &sig).is_err());
    }

    /// SEC 1 `ECPrivateKey` files (RFC 5915) name their curve; PKCS #8 must agree with the
    /// curve repeated inside; PEM of either is read.
    #[test]
    fn sec1_and_pem_key_files() {
        use crate::testkit::lds_gen::der_oid;
        let curve = NamedCurve::BrainpoolP256r1;
        let mut d = vec![0u8; field_len(curve)];
        d[3] = 9;
        let s = SoftwareSigner::new(curve, &d).unwrap();
        let oid = |c: NamedCurve| der_oid(c.params().unwrap().oid);
        let sec1 = |params: Option<Vec<u8>>| {
            let mut body = [tlv::encode(0x02, &[1]), tlv::encode(0x04, &d)].concat();
            if let Some(p) = params {
                body.extend(tlv::encode(0xA0, &p));
            }
            tlv::encode(0x30, &body)
        };
        let k = SoftwareSigner::from_key_file(&sec1(Some(oid(curve)))).unwrap();
        assert_eq!(k.public_point(), s.public_point());
        // Without the curve a SEC 1 key cannot be used.
        assert!(SoftwareSigner::from_key_file(&sec1(None)).is_err());
        // PKCS #8 whose outer curve disagrees with the SEC 1 one inside.
        let pkcs8 = |outer: NamedCurve, inner: NamedCurve| {
            let alg = tlv::encode(0x30, &[der_oid("1.2.840.10045.2.1"), oid(outer)].concat());
            tlv::encode(
                0x30,
                &[
                    tlv::encode(0x02, &[0]),
                    alg,
                    tlv::encode(0x04, &sec1(Some(oid(inner)))),
                ]
                .concat(),
            )
        };
        assert!(SoftwareSigner::from_key_file(&pkcs8(curve, curve)).is_ok());
        assert!(SoftwareSigner::from_key_file(&pkcs8(NamedCurve::P256, curve)).is_err());
        // PEM.
        use base64::Engine as _;
        let pem = format!(
            "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(sec1(Some(oid(curve))))
        );
        let k = SoftwareSigner::from_key_file(pem.as_bytes()).unwrap();
        assert_eq!(k.public_point(), s.public_point());
    }
}
