//! SELECT (ISO/IEC 7816-4 §11.1.1) as Doc 9303-11 uses it: the eMRTD application by AID and
//! elementary files by file identifier, both with P2 = `0C` (no response data).

use super::{ChipError, ChipProtocol, Step};
use crate::apdu::{CommandApdu, ResponseApdu};

/// The eMRTD LDS1 application identifier (Doc 9303-10 §3.1.1).
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SelectState {
    Start,
    ExpectStatus,
    Done,
}

fn select_step(
    state: &mut SelectState,
    response: Option<ResponseApdu>,
    step: &'static str,
    cmd: impl FnOnce() -> CommandApdu,
) -> Result<Step<()>, ChipError> {
    match (*state, response) {
        (SelectState::Start, None) => {
            *state = SelectState::ExpectStatus;
            Ok(Step::Transmit(cmd()))
        }
        (SelectState::ExpectStatus, Some(r)) => {
            *state = SelectState::Done;
            if r.sw.is_success() {
                Ok(Step::Done(()))
            } else {
                Err(ChipError::from_status(step, r.sw))
            }
        }
        (SelectState::Done, _) => Err(ChipError::Finished),
        _ => Err(ChipError::Protocol {
            step,
            detail: "response does not fit the protocol state",
        }),
    }
}

/// SELECT the eMRTD application: `00 A4 04 0C 07 A0000002471001`
/// (Doc 9303-10 §3.1.1).
#[derive(Debug, Clone)]
pub struct SelectApplication {
    aid: Vec<u8>,
    state: SelectState,
}

impl SelectApplication {
    /// Selects the eMRTD application.
    pub fn emrtd() -> Self {
        Self::with_aid(&EMRTD_AID)
    }

    /// Selects another application.
    pub fn with_aid(aid: &[u8]) -> Self {
        SelectApplication {
            aid: aid.to_vec(),
            state: SelectState::Start,
        }
    }
}

impl ChipProtocol for SelectApplication {
    type Output = ();
    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<()>, ChipError> {
        let aid = self.aid.clone();
        select_step(&mut self.state, response, "SELECT application", || {
            CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid)
        })
    }
}

/// SELECT an EF by file identifier under the current DF: `00 A4 02 0C 02 FID`.
#[derive(Debug, Clone)]
pub struct SelectFile {
    fid: u16,
    state: SelectState,
}

impl SelectFile {
    /// Selects EF `fid` (for example `011E` for EF.COM).
    pub fn new(fid: u16) -> Self {
        SelectFile {
            fid,
            state: SelectState::Start,
        }
    }
}

impl ChipProtocol for SelectFile {
    type Output = ();
    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<()>, ChipError> {
        let fid = self.fid;
        select_step(&mut self.state, response, "SELECT EF", || {
            CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec())
        })
    }
}
