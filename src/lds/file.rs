//! LDS file identifiers (Doc 9303-10 §3.9 / §4.6-§4.7 tables: FID, short EF identifier, tag)
//! and identification of a file by its content.

use super::{asn1, oid};
use crate::tlv::{Limits, Reader};

/// An elementary file of the eMRTD LDS (Doc 9303-10 §3.9, §4.6, §4.7) or of the master file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[allow(missing_docs)]
pub enum FileId {
    /// EF.COM (Doc 9303-10 §4.6.1).
    Com,
    Dg1,
    Dg2,
    Dg3,
    Dg4,
    Dg5,
    Dg6,
    Dg7,
    Dg8,
    Dg9,
    Dg10,
    Dg11,
    Dg12,
    Dg13,
    Dg14,
    Dg15,
    Dg16,
    /// EF.SOD (Doc 9303-10 §4.6.2).
    Sod,
    /// EF.CardAccess in the master file (Doc 9303-10 §3.11.2).
    CardAccess,
    /// EF.CardSecurity in the master file (Doc 9303-10 §3.11.3).
    CardSecurity,
    /// EF.ATR/INFO in the master file (Doc 9303-10 §3.11.1).
    AtrInfo,
    /// EF.DIR in the master file (Doc 9303-10 §3.11.4).
    Dir,
    /// EF.CVCA in the eMRTD application (Doc 9303-10 §3.11.5, TR-03110).
    Cvca,
}

const DGS: [FileId; 16] = [
    FileId::Dg1,
    FileId::Dg2,
    FileId::Dg3,
    FileId::Dg4,
    FileId::Dg5,
    FileId::Dg6,
    FileId::Dg7,
    FileId::Dg8,
    FileId::Dg9,
    FileId::Dg10,
    FileId::Dg11,
    FileId::Dg12,
    FileId::Dg13,
    FileId::Dg14,
    FileId::Dg15,
    FileId::Dg16,
];

/// Tags of DG1..DG16 (Doc 9303-10 Table 34).
const DG_TAGS: [u8; 16] = [
    0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
];

impl FileId {
    /// The file a name denotes: Doc 9303 names (`EF.COM`, `EF.DG1`, `DG1`), dump-layout names
    /// (`EF_SOD.bin`) and the BSI TR-03105 reference names (`Datagroup1.bin`).
    pub fn from_name(name: &str) -> Option<FileId> {
        let stem = name.strip_suffix(".bin").unwrap_or(name);
        let by_name = match stem {
            "EF_COM" | "EF.COM" | "COM" => Some(FileId::Com),
            "EF_SOD" | "EF.SOD" | "SOD" => Some(FileId::Sod),
            "EF_CardAccess" | "EF.CardAccess" | "CardAccess" => Some(FileId::CardAccess),
            "EF_CardSecurity" | "EF.CardSecurity" | "CardSecurity" => Some(FileId::CardSecurity),
            "EF_ATR_INFO" | "EF.ATR" | "EF_ATR" => Some(FileId::AtrInfo),
            "EF_CVCA" | "EF.CVCA" => Some(FileId::Cvca),
            "EF_DIR" | "EF.DIR" => Some(FileId::Dir),
            _ => None,
        };
        by_name.or_else(|| {
            let n = stem
                .strip_prefix("Datagroup")
                .or_else(|| stem.strip_prefix("DG"))
                .or_else(|| stem.strip_prefix("EF_DG"))
                .or_else(|| stem.strip_prefix("EF.DG"))?;
            FileId::data_group(n.parse().ok()?)
        })
    }

    /// Every file id, in FID order within each DF.
    pub const ALL: [FileId; 23] = [
        FileId::Com,
        FileId::Dg1,
        FileId::Dg2,
        FileId::Dg3,
        FileId::Dg4,
        FileId::Dg5,
        FileId::Dg6,
        FileId::Dg7,
        FileId::Dg8,
        FileId::Dg9,
        FileId::Dg10,
        FileId::Dg11,
        FileId::Dg12,
        FileId::Dg13,
        FileId::Dg14,
        FileId::Dg15,
        FileId::Dg16,
        FileId::Sod,
        FileId::CardAccess,
        FileId::CardSecurity,
        FileId::AtrInfo,
        FileId::Dir,
        FileId::Cvca,
    ];

    /// The data group `n` (1..=16).
    pub fn data_group(n: u8) -> Option<FileId> {
        DGS.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The data group number (1..=16), if this is a data group.
    pub fn dg_number(self) -> Option<u8> {
        DGS.iter()
            .position(|d| *d == self)
            .and_then(|i| u8::try_from(i + 1).ok())
    }

    /// The file identifier (FID). EF.CardSecurity (MF) and EF.SOD (eMRTD application) share
    /// 011D, EF.CardAccess (MF) and EF.CVCA (application) share 011C.
    pub fn fid(self) -> u16 {
        match self {
            FileId::Com => 0x011E,
            FileId::Sod | FileId::CardSecurity => 0x011D,
            FileId::CardAccess | FileId::Cvca => 0x011C,
            FileId::AtrInfo => 0x2F01,
            FileId::Dir => 0x2F00,
            dg => 0x0100 | u16::from(dg.dg_number().unwrap_or(0)),
        }
    }

    /// The short EF identifier.
    pub fn sfi(self) -> u8 {
        match self {
            FileId::Com | FileId::Dir => 0x1E,
            FileId::Sod | FileId::CardSecurity => 0x1D,
            FileId::CardAccess | FileId::Cvca => 0x1C,
            FileId::AtrInfo => 0x01,
            dg => dg.dg_number().unwrap_or(0),
        }
    }

    /// The leading tag of the file content, for files that have a fixed one.
    pub fn tag(self) -> Option<u8> {
        match self {
            FileId::Com => Some(0x60),
            FileId::Sod => Some(0x77),
            FileId::CardAccess => Some(0x31),
            FileId::CardSecurity => Some(0x30),
            FileId::Dir => Some(0x61),
            FileId::Cvca => Some(0x42),
            FileId::AtrInfo => None,
            dg => DG_TAGS
                .get(usize::from(dg.dg_number()?).checked_sub(1)?)
                .copied(),
        }
    }

    /// True for files of the master file (outside the eMRTD application).
    pub fn in_master_file(self) -> bool {
        matches!(
            self,
            FileId::CardAccess | FileId::CardSecurity | FileId::AtrInfo | FileId::Dir
        )
    }

    /// The Doc 9303 name, e.g. `EF.COM`, `EF.DG2`.
    pub fn name(self) -> &'static str {
        match self {
            FileId::Com => "EF.COM",
            FileId::Dg1 => "EF.DG1",
            FileId::Dg2 => "EF.DG2",
            FileId::Dg3 => "EF.DG3",
            FileId::Dg4 => "EF.DG4",
            FileId::Dg5 => "EF.DG5",
            FileId::Dg6 => "EF.DG6",
            FileId::Dg7 => "EF.DG7",
            FileId::Dg8 => "EF.DG8",
            FileId::Dg9 => "EF.DG9",
            FileId::Dg10 => "EF.DG10",
            FileId::Dg11 => "EF.DG11",
            FileId::Dg12 => "EF.DG12",
            FileId::Dg13 => "EF.DG13",
            FileId::Dg14 => "EF.DG14",
            FileId::Dg15 => "EF.DG15",
            FileId::Dg16 => "EF.DG16",
            FileId::Sod => "EF.SOD",
            FileId::CardAccess => "EF.CardAccess",
            FileId::CardSecurity => "EF.CardSecurity",
            FileId::AtrInfo => "EF.ATR/INFO",
            FileId::Dir => "EF.DIR",
            FileId::Cvca => "EF.CVCA",
        }
    }

    /// The data group (or EF.COM / EF.SOD) with leading tag `tag` in the eMRTD application.
    pub fn from_tag(tag: u8) -> Option<FileId> {
        match tag {
            0x60 => Some(FileId::Com),
            0x77 => Some(FileId::Sod),
            t => DG_TAGS
                .iter()
                .position(|x| *x == t)
                .and_then(|i| DGS.get(i).copied()),
        }
    }
}

impl std::fmt::Display for FileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The bytes of one file exactly as read from the chip; Passive Authentication hashes these
/// (Doc 9303-12 §4; never a re-encoding, see pitfalls #9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFile {
    /// Which file.
    pub id: FileId,
    /// The complete content, as read.
    pub bytes: Vec<u8>,
}

impl RawFile {
    /// Parses the bytes as the file `id` says they are.
    pub fn parse(&self) -> Result<super::LdsFile<'_>, super::LdsError> {
        super::parse_as(self.id, &self.bytes)
    }
}

/// Identifies a file by its leading tag, or by structure for EF.CardAccess (a SET of
/// SecurityInfos), EF.CardSecurity (a CMS ContentInfo whose eContentType is id-SecurityObject)
/// and EF.DIR (an application template 61 starting with an AID 4F). EF.ATR/INFO has no
/// distinguishing content and is never identified.
pub fn identify(bytes: &[u8]) -> Option<FileId> {
    let first = *bytes.first()?;
    match first {
        0x31 => looks_like_security_infos(bytes).then_some(FileId::CardAccess),
        0x30 => looks_like_card_security(bytes).then_some(FileId::CardSecurity),
        0x42 => Some(FileId::Cvca),
        0x61 => {
            // EF.DIR records are application templates beginning with an AID (4F).
            let mut r = Reader::new(bytes);
            let first_child = r
                .next()
                .ok()
                .flatten()
                .and_then(|t| t.children().ok())
                .and_then(|c| c.peek_tag().ok().flatten());
            if first_child.map(|t| t.0) == Some(0x4F) {
                Some(FileId::Dir)
            } else {
                Some(FileId::Dg1)
            }
        }
        t => FileId::from_tag(t),
    }
}

fn looks_like_security_infos(bytes: &[u8]) -> bool {
    let mut r = Reader::with_limits(bytes, asn1::DER);
    let Ok(set) = r.expect(asn1::tag::SET) else {
        return false;
    };
    let Ok(mut items) = set.children() else {
        return false;
    };
    let Ok(first) = items.expect(asn1::tag::SEQUENCE) else {
        return false;
    };
    first
        .children()
        .ok()
        .and_then(|c| c.peek_tag().ok().flatten())
        .is_some_and(|t| t.0 == asn1::tag::OID)
}

fn looks_like_card_security(bytes: &[u8]) -> bool {
    let limits = Limits {
        allow_indefinite: true,
        ..Limits::default()
    };
    let probe = || -> Option<bool> {
        let mut r = Reader::with_limits(bytes, limits);
        let ci = r.expect(asn1::tag::SEQUENCE).ok()?;
        let mut ci = ci.children().ok()?;
        if ci.expect(asn1::tag::OID).ok()?.value != oid::ID_SIGNED_DATA {
            return Some(false);
        }
        let mut content = ci.expect(0xA0).ok()?.children().ok()?;
        let mut sd = content.expect(asn1::tag::SEQUENCE).ok()?.children().ok()?;
        sd.expect(asn1::tag::INTEGER).ok()?;
        sd.expect(asn1::tag::SET).ok()?;
        let mut eci = sd.expect(asn1::tag::SEQUENCE).ok()?.children().ok()?;
        Some(eci.expect(asn1::tag::OID).ok()?.value == oid::ID_SECURITY_OBJECT)
    };
    probe().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(FileId::Com.fid(), 0x011E);
        assert_eq!(FileId::Com.sfi(), 0x1E);
        assert_eq!(FileId::Dg1.fid(), 0x0101);
        assert_eq!(FileId::Dg16.fid(), 0x0110);
        assert_eq!(FileId::Dg16.sfi(), 0x10);
        assert_eq!(FileId::Dg2.tag(), Some(0x75));
        assert_eq!(FileId::Dg4.tag(), Some(0x76));
        assert_eq!(FileId::Dg16.tag(), Some(0x70));
        assert_eq!(FileId::Sod.fid(), 0x011D);
        assert_eq!(FileId::Sod.tag(), Some(0x77));
        assert_eq!(FileId::CardAccess.fid(), 0x011C);
        assert_eq!(FileId::CardSecurity.fid(), 0x011D);
        assert_eq!(FileId::AtrInfo.fid(), 0x2F01);
        assert_eq!(FileId::Dir.fid(), 0x2F00);
        assert_eq!(FileId::Cvca.fid(), 0x011C);
        for n in 1..=16u8 {
            let d = FileId::data_group(n).unwrap();
            assert_eq!(d.dg_number(), Some(n));
            assert_eq!(FileId::from_tag(d.tag().unwrap()), Some(d));
            assert_eq!(d.name(), format!("EF.DG{n}"));
        }
        assert_eq!(FileId::data_group(0), None);
        assert_eq!(FileId::data_group(17), None);
    }

    #[test]
    fn identify_by_tag() {
        assert_eq!(identify(&[0x60, 0x00]), Some(FileId::Com));
        assert_eq!(identify(&[0x75, 0x00]), Some(FileId::Dg2));
        assert_eq!(identify(&[0x77, 0x00]), Some(FileId::Sod));
        assert_eq!(identify(&[0x61, 0x03, 0x5F, 0x1F, 0x00]), Some(FileId::Dg1));
        assert_eq!(identify(&[0x61, 0x03, 0x4F, 0x01, 0xA0]), Some(FileId::Dir));
        assert_eq!(identify(&[0x31, 0x00]), None);
        assert_eq!(identify(&[0x30, 0x00]), None);
        assert_eq!(identify(&[]), None);
        assert_eq!(identify(&[0x99]), None);
    }
}
