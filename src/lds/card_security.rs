//! EF.CardSecurity (Doc 9303-10 §3.11.3, Doc 9303-11 §9.2): a CMS SignedData (no outer
//! wrapper tag) whose eContentType is id-SecurityObject 0.4.0.127.0.7.3.2.1 and whose eContent
//! is a DER SecurityInfos SET. The signature is checked later by Passive Authentication.

use super::cms::{self, SignedData};
use super::security_infos::SecurityInfos;
use super::{oid, FileId, Invalid, LdsError};

/// The parsed EF.CardSecurity view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSecurity<'a> {
    /// The whole file as read.
    pub raw: &'a [u8],
    /// The SignedData wrapper.
    pub signed_data: SignedData<'a>,
    /// The signed SecurityInfos.
    pub security_infos: SecurityInfos<'a>,
}

impl<'a> CardSecurity<'a> {
    /// Parses EF.CardSecurity.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let file = FileId::CardSecurity;
        if bytes.is_empty() {
            return Err(LdsError::Empty { file });
        }
        let mut c = cms::ber_cursor(bytes, file);
        let signed_data = cms::parse_content_info(&mut c)?;
        c.finish()?;
        if signed_data.econtent_type.as_bytes() != oid::ID_SECURITY_OBJECT {
            return Err(LdsError::Invalid {
                file,
                offset: signed_data.econtent_offset,
                what: Invalid::UnexpectedOid,
            });
        }
        let security_infos =
            SecurityInfos::parse_in(file, signed_data.econtent, signed_data.econtent_offset)?;
        Ok(CardSecurity {
            raw: bytes,
            signed_data,
            security_infos,
        })
    }
}
