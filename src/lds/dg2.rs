//! EF.DG2: encoded face (Doc 9303-10 §4.7.2), with the face record inside each biometric data
//! block decoded far enough to find the image: ISO/IEC 19794-5:2005 (binary record "FAC\0") or
//! ISO/IEC 39794-5 (ASN.1 `FaceImageDataBlock ::= [APPLICATION 5] SEQUENCE`, tag 65).
//!
//! ISO/IEC 19794-5:2005 record layout used here:
//! ```text
//! general header (14): "FAC\0" | version "010\0" | record length u32 | number of faces u16
//! per face:
//!   facial information (20): record data length u32 | feature points u16 | gender u8 |
//!       eye colour u8 | hair colour u8 | feature mask u24 | expression u16 | pose u24 |
//!       pose uncertainty u24
//!   feature points (8 each)
//!   image information (12): face image type u8 | image data type u8 | width u16 |
//!       height u16 | colour space u8 | source type u8 | device type u16 | quality u16
//!   image data
//! ```
//! The image itself is never decoded; its format is told by magic number.
//!
//! A record length that disagrees with the data block is an error
//! ([`LdsError::RecordLengthMismatch`]), even though some issued documents are off by a few
//! bytes (gmrtd/gmrtd#102): tolerating it is a policy decision for the caller.

use super::biometric::BiometricGroup;
use super::image::ImageFormat;
use super::{asn1, FileId, Invalid, LdsError};

/// Cap on faces per 19794-5 record (the standard allows more; eMRTDs carry one).
pub const MAX_FACES: usize = 16;
/// Cap on representation blocks per 39794-5 data block.
pub const MAX_REPRESENTATIONS: usize = 16;

/// Which face encoding a data block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FaceEncoding {
    /// ISO/IEC 19794-5:2005 binary record.
    Iso19794_5,
    /// ISO/IEC 39794-5 ASN.1 (BER) encoding.
    Iso39794_5,
}

/// One face image found in DG2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceImage<'a> {
    /// Index of the biometric template that holds it.
    pub template: usize,
    /// The encoding of the record.
    pub encoding: FaceEncoding,
    /// Record format version: "010" for 19794-5:2005; "generation.year" for 39794-5.
    pub version: Option<String>,
    /// Number of feature points (19794-5).
    pub feature_points: Option<u16>,
    /// Gender code (19794-5).
    pub gender: Option<u8>,
    /// Eye colour code (19794-5).
    pub eye_colour: Option<u8>,
    /// Face image type (19794-5: 0 basic, 1 full frontal, 2 token frontal).
    pub face_image_type: Option<u8>,
    /// Image data type (19794-5: 0 JPEG, 1 JPEG 2000) or image data format code (39794-5).
    pub image_data_type: Option<u8>,
    /// Width in pixels, where the header gives it.
    pub width: Option<u32>,
    /// Height in pixels, where the header gives it.
    pub height: Option<u32>,
    /// Colour space code (19794-5).
    pub colour_space: Option<u8>,
    /// Source type code (19794-5).
    pub source_type: Option<u8>,
    /// Quality (19794-5).
    pub quality: Option<u16>,
    /// The image bytes (never decoded).
    pub image: &'a [u8],
    /// Format by magic number.
    pub format: ImageFormat,
    /// Absolute offset of the image bytes in the file.
    pub image_offset: usize,
}

/// The parsed EF.DG2 view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg2<'a> {
    /// The biometric group structure.
    pub group: BiometricGroup<'a>,
    /// Face images across all templates.
    pub faces: Vec<FaceImage<'a>>,
}

impl<'a> Dg2<'a> {
    /// The whole file as read.
    pub fn raw(&self) -> &'a [u8] {
        self.group.raw
    }

    /// Parses EF.DG2 and the face records inside it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let group = BiometricGroup::parse_file(FileId::Dg2, bytes)?;
        let mut faces = Vec::new();
        for (i, t) in group.templates.iter().enumerate() {
            if t.bdb.starts_with(b"FAC\0") {
                parse_19794_5(i, t.bdb, t.bdb_offset, &mut faces)?;
            } else if t.bdb.first() == Some(&0x65) {
                parse_39794_5(i, t.bdb, t.bdb_offset, true, &mut faces)?;
            } else if t.bdb_tag == super::biometric::BDB_CONSTRUCTED_TAG
                && t.bdb.first() == Some(&0xA0)
            {
                // A constructed 7F2E data block may carry the FaceImageDataBlock members
                // directly, its own tag standing in for [APPLICATION 5].
                parse_39794_5(i, t.bdb, t.bdb_offset, false, &mut faces)?;
            } else {
                return Err(LdsError::Invalid {
                    file: FileId::Dg2,
                    offset: t.bdb_offset,
                    what: Invalid::BiometricHeader,
                });
            }
        }
        Ok(Dg2 { group, faces })
    }
}

/// A bounds-checked big-endian reader over a 19794-5 record.
struct Bin<'a> {
    b: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Bin<'a> {
    fn err(&self) -> LdsError {
        LdsError::Invalid {
            file: FileId::Dg2,
            offset: self.base.saturating_add(self.pos),
            what: Invalid::BiometricHeader,
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], LdsError> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.err())?;
        let s = self.b.get(self.pos..end).ok_or_else(|| self.err())?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, LdsError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    fn u16(&mut self) -> Result<u16, LdsError> {
        let s = self.take(2)?;
        Ok(s.iter().fold(0u16, |a, b| (a << 8) | u16::from(*b)))
    }
    fn u32(&mut self) -> Result<u32, LdsError> {
        let s = self.take(4)?;
        Ok(s.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
    }
    fn abs(&self) -> usize {
        self.base.saturating_add(self.pos)
    }
}

fn parse_19794_5<'a>(
    template: usize,
    bdb: &'a [u8],
    base: usize,
    out: &mut Vec<FaceImage<'a>>,
) -> Result<(), LdsError> {
    let mut r = Bin {
        b: bdb,
        pos: 0,
        base,
    };
    r.take(4)?; // "FAC\0"
    let version = r.take(4)?;
    if version != b"010\0" {
        return Err(LdsError::Invalid {
            file: FileId::Dg2,
            offset: base.saturating_add(4),
            what: Invalid::Version,
        });
    }
    let record_length = r.u32()?;
    if u64::from(record_length) != u64::try_from(bdb.len()).unwrap_or(u64::MAX) {
        return Err(LdsError::RecordLengthMismatch {
            file: FileId::Dg2,
            offset: base,
            declared: u64::from(record_length),
            actual: u64::try_from(bdb.len()).unwrap_or(u64::MAX),
        });
    }
    let faces = r.u16()?;
    for _ in 0..faces {
        if out.len() >= MAX_FACES {
            return Err(LdsError::TooManyElements {
                file: FileId::Dg2,
                offset: r.abs(),
                max: MAX_FACES,
            });
        }
        let start = r.pos;
        let start_abs = r.abs();
        let face_len = usize::try_from(r.u32()?).map_err(|_| r.err())?;
        let feature_points = r.u16()?;
        let gender = r.u8()?;
        let eye_colour = r.u8()?;
        r.take(1 + 3 + 2 + 3 + 3)?; // hair, feature mask, expression, pose, uncertainty
        r.take(usize::from(feature_points).saturating_mul(8))?;
        let face_image_type = r.u8()?;
        let image_data_type = r.u8()?;
        let width = r.u16()?;
        let height = r.u16()?;
        let colour_space = r.u8()?;
        let source_type = r.u8()?;
        r.take(2)?; // device type
        let quality = r.u16()?;
        let header_len = r.pos.saturating_sub(start);
        let image_len = face_len
            .checked_sub(header_len)
            .ok_or(LdsError::RecordLengthMismatch {
                file: FileId::Dg2,
                offset: start_abs,
                declared: u64::try_from(face_len).unwrap_or(u64::MAX),
                actual: u64::try_from(header_len).unwrap_or(u64::MAX),
            })?;
        let image_offset = r.abs();
        let image = r.take(image_len)?;
        out.push(FaceImage {
            template,
            encoding: FaceEncoding::Iso19794_5,
            version: Some(String::from("010")),
            feature_points: Some(feature_points),
            gender: Some(gender),
            eye_colour: Some(eye_colour),
            face_image_type: Some(face_image_type),
            image_data_type: Some(image_data_type),
            width: Some(u32::from(width)),
            height: Some(u32::from(height)),
            colour_space: Some(colour_space),
            source_type: Some(source_type),
            quality: Some(quality),
            image,
            format: ImageFormat::from_magic(image),
            image_offset,
        });
    }
    if r.pos != bdb.len() {
        return Err(LdsError::Tlv {
            file: FileId::Dg2,
            source: crate::tlv::TlvError::TrailingData {
                offset: r.abs(),
                len: bdb.len().saturating_sub(r.pos),
            },
        });
    }
    Ok(())
}

/// ISO/IEC 39794-5 (automatic tagging):
/// ```text
/// FaceImageDataBlock ::= [APPLICATION 5] SEQUENCE {        -- 65
///   versionBlock [0] { generation [0] INTEGER, year [1] INTEGER },     -- A0
///   representationBlocks [1] SEQUENCE OF RepresentationBlock, ... }   -- A1 { 30 ... }
/// RepresentationBlock ::= SEQUENCE { representationId [0], imageRepresentation [1] CHOICE
///   { base [0] CHOICE { imageRepresentation2DBlock [0] SEQUENCE {
///       representationData2D [0] OCTET STRING,          -- the image
///       imageInformation2DBlock [1] SEQUENCE { imageDataFormat [0], ...,
///           imageSizeBlock [7] { width [0], height [1] }, ... } } } }, ... }
/// ```
fn parse_39794_5<'a>(
    template: usize,
    bdb: &'a [u8],
    base: usize,
    wrapped: bool,
    out: &mut Vec<FaceImage<'a>>,
) -> Result<(), LdsError> {
    let mut c = asn1::Cursor::at(bdb, FileId::Dg2, asn1::BER_TLV, base);
    let mut block = if wrapped {
        let (_, block) = c.constructed(0x65)?;
        c.finish()?;
        block
    } else {
        c
    };
    let mut version = None;
    let mut reps = None;
    while let Some(t) = block.next()? {
        match t.tag.0 {
            0xA0 => {
                let mut v = block.children(&t)?;
                let mut gen = None;
                let mut year = None;
                while let Some(e) = v.next()? {
                    match e.tag.0 {
                        0x80 => gen = v.uint_value(&e).ok(),
                        0x81 => year = v.uint_value(&e).ok(),
                        _ => {}
                    }
                }
                version = match (gen, year) {
                    (Some(g), Some(y)) => Some(format!("{g}.{y}")),
                    (Some(g), None) => Some(g.to_string()),
                    _ => None,
                };
            }
            0xA1 => reps = Some(block.children(&t)?),
            _ => {}
        }
    }
    let mut reps = reps.ok_or_else(|| block.invalid(base, Invalid::BiometricHeader))?;
    let mut found = 0usize;
    while let Some(rep) = reps.next()? {
        asn1::check_count(&reps, found, MAX_REPRESENTATIONS, reps.abs(&rep))?;
        found = found.saturating_add(1);
        let mut rc = reps.children(&rep)?;
        // imageRepresentation [1] -> base [0] -> imageRepresentation2DBlock [0]
        let mut two_d = None;
        while let Some(e) = rc.next()? {
            if e.tag.0 == 0xA1 {
                let mut ir = rc.children(&e)?;
                if let Some(b) = ir.optional(0xA0)? {
                    let mut bc = ir.children(&b)?;
                    if let Some(d) = bc.optional(0xA0)? {
                        two_d = Some(bc.children(&d)?);
                    }
                }
            }
        }
        let Some(mut d) = two_d else {
            continue; // a 3D or extension representation: nothing to extract
        };
        let img = d.expect(0x80)?;
        let mut width = None;
        let mut height = None;
        let mut format_code = None;
        if let Some(info) = d.optional(0xA1)? {
            let mut ic = d.children(&info)?;
            while let Some(e) = ic.next()? {
                match e.tag.0 {
                    // imageDataFormat: a CHOICE, so explicitly tagged: A0 { 80 code }.
                    0xA0 => {
                        let mut f = ic.children(&e)?;
                        if let Some(code) = f.optional(0x80)? {
                            format_code =
                                f.uint_value(&code).ok().and_then(|v| u8::try_from(v).ok());
                        }
                    }
                    0x80 => format_code = ic.uint_value(&e).ok().and_then(|v| u8::try_from(v).ok()),
                    0xA7 => {
                        let mut s = ic.children(&e)?;
                        while let Some(x) = s.next()? {
                            let v = s.uint_value(&x).ok().and_then(|v| u32::try_from(v).ok());
                            match x.tag.0 {
                                0x80 => width = v,
                                0x81 => height = v,
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        if out.len() >= MAX_FACES {
            return Err(LdsError::TooManyElements {
                file: FileId::Dg2,
                offset: d.abs(&img),
                max: MAX_FACES,
            });
        }
        out.push(FaceImage {
            template,
            encoding: FaceEncoding::Iso39794_5,
            version: version.clone(),
            feature_points: None,
            gender: None,
            eye_colour: None,
            face_image_type: None,
            image_data_type: format_code,
            width,
            height,
            colour_space: None,
            source_type: None,
            quality: None,
            image: img.value,
            format: ImageFormat::from_magic(img.value),
            image_offset: d.abs_value(&img),
        });
    }
    Ok(())
}
