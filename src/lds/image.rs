//! Image formats recognised by magic number (never decoded), and the displayed-image data
//! groups DG5 (portrait) and DG7 (signature or usual mark) (Doc 9303-10 §4.7.5, §4.7.7).
//!
//! ```text
//! 65/67 L  data group
//!   02 01 n        number of instances
//!   5F40/5F43 L    displayed portrait / signature image (n times)
//! ```

use super::{asn1, outer, FileId, Invalid, LdsError};

/// An image format recognised by its leading bytes. Images are never decoded: decoding
/// hostile JPEG 2000 crashed readers (pitfalls #11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ImageFormat {
    /// JPEG (FF D8 FF).
    Jpeg,
    /// JPEG 2000 codestream (FF 4F FF 51).
    Jpeg2000Codestream,
    /// JPEG 2000 JP2 container (00 00 00 0C 6A 50 20 20).
    Jp2,
    /// Anything else.
    Unknown,
}

impl ImageFormat {
    /// Recognises the format by magic number.
    pub fn from_magic(bytes: &[u8]) -> Self {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            ImageFormat::Jpeg
        } else if bytes.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
            ImageFormat::Jpeg2000Codestream
        } else if bytes.starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) {
            ImageFormat::Jp2
        } else {
            ImageFormat::Unknown
        }
    }

    /// A short name ("jpeg", "jpeg2000-codestream", "jp2", "unknown").
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Jpeg2000Codestream => "jpeg2000-codestream",
            ImageFormat::Jp2 => "jp2",
            ImageFormat::Unknown => "unknown",
        }
    }
}

/// One displayed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayedImage<'a> {
    /// The image bytes.
    pub bytes: &'a [u8],
    /// Format by magic number.
    pub format: ImageFormat,
    /// Absolute offset of the image bytes.
    pub offset: usize,
}

/// DG5 or DG7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayedImages<'a> {
    /// DG5 or DG7.
    pub file: FileId,
    /// The whole file as read.
    pub raw: &'a [u8],
    /// The images.
    pub images: Vec<DisplayedImage<'a>>,
}

/// Cap on displayed images per group (Doc 9303-10 expects one or a few).
pub const MAX_IMAGES: usize = 16;

impl<'a> DisplayedImages<'a> {
    /// Parses DG5 when `file` is [`FileId::Dg5`], otherwise DG7.
    pub fn parse(file: FileId, bytes: &'a [u8]) -> Result<Self, LdsError> {
        let (tag, image_tag) = match file {
            FileId::Dg5 => (0x65, 0x5F40),
            _ => (0x67, 0x5F43),
        };
        let file = if tag == 0x65 {
            FileId::Dg5
        } else {
            FileId::Dg7
        };
        let t = outer(file, bytes, asn1::BER_TLV, tag)?;
        let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV).children(&t)?;
        let count_tlv = c.expect(asn1::tag::INTEGER)?;
        let count = c.uint_value(&count_tlv)?;
        let mut images = Vec::new();
        while !c.is_empty() {
            asn1::check_count(&c, images.len(), MAX_IMAGES, c.offset())?;
            let i = c.expect(image_tag)?;
            images.push(DisplayedImage {
                bytes: i.value,
                format: ImageFormat::from_magic(i.value),
                offset: c.abs_value(&i),
            });
        }
        if u64::try_from(images.len()).ok() != Some(count) {
            return Err(c.invalid(c.abs(&count_tlv), Invalid::Count));
        }
        Ok(DisplayedImages {
            file,
            raw: bytes,
            images,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic() {
        assert_eq!(
            ImageFormat::from_magic(&[0xFF, 0xD8, 0xFF, 0xE0]),
            ImageFormat::Jpeg
        );
        assert_eq!(
            ImageFormat::from_magic(&[0xFF, 0x4F, 0xFF, 0x51, 0]),
            ImageFormat::Jpeg2000Codestream
        );
        assert_eq!(
            ImageFormat::from_magic(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D]),
            ImageFormat::Jp2
        );
        assert_eq!(ImageFormat::from_magic(&[0xFF, 0xD8]), ImageFormat::Unknown);
    }

    #[test]
    fn dg5() {
        let b = [
            0x65, 0x09, 0x02, 0x01, 0x01, 0x5F, 0x40, 0x03, 0xFF, 0xD8, 0xFF,
        ];
        let d = DisplayedImages::parse(FileId::Dg5, &b).unwrap();
        assert_eq!(d.images.len(), 1);
        assert_eq!(d.images[0].format, ImageFormat::Jpeg);
        assert_eq!(d.images[0].offset, 8);
        let bad = [
            0x65, 0x09, 0x02, 0x01, 0x02, 0x5F, 0x40, 0x03, 0xFF, 0xD8, 0xFF,
        ];
        assert!(matches!(
            DisplayedImages::parse(FileId::Dg5, &bad),
            Err(LdsError::Invalid {
                what: Invalid::Count,
                ..
            })
        ));
    }
}
