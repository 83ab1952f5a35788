//! Serves a chip to the vsmartcard virtual reader driver (vpcd) so that a real pcscd sees it as
//! a card in a reader. The vpcd protocol: every message is a 2-byte big-endian length and a
//! body; a 1-byte body is a control message (00 power off, 01 power on, 02 reset, 04 get ATR,
//! answered with the ATR), anything else is a command APDU answered with the response APDU.
//! vpcd listens (127.0.0.1:35963 and :35964, one reader slot each); the card connects to it,
//! and its connection is the card being in the field.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::chip::CardTransport;

use super::VirtualChip;

/// Serving options.
#[derive(Debug, Clone, Default)]
pub struct VpcdOptions {
    /// Leave the field (drop the connection) when this many APDUs have been answered.
    pub remove_after: Option<usize>,
    /// The chip declares extended length in its ATR historical bytes.
    pub extended_length: bool,
}

/// What happened while serving.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VpcdStats {
    /// APDUs answered.
    pub apdus: usize,
    /// Power on / reset events.
    pub resets: usize,
}

/// The ATR the virtual chip presents: `3B 88 80 01`, historical bytes `80 73 00 00 xx 00 00 00`
/// (compact-TLV card capabilities, xx b7 = extended Lc/Le), then TCK.
pub fn atr(extended_length: bool) -> Vec<u8> {
    let hist = [
        0x80,
        0x73,
        0x00,
        0x00,
        if extended_length { 0x40 } else { 0x00 },
        0,
        0,
        0,
    ];
    let mut a = vec![0x3B, 0x88, 0x80, 0x01];
    a.extend_from_slice(&hist);
    // TCK: XOR of T0 .. last historical byte.
    let tck = a.iter().skip(1).fold(0u8, |x, b| x ^ b);
    a.push(tck);
    a
}

/// Largest message vpcd sends: an extended command APDU.
const MAX_MESSAGE: usize = 65_544;

/// vpcd writes the length and the body in separate small segments; with delayed ACKs on our
/// side each exchange would wait ~40 ms for Nagle on vpcd's side. Quick ACKs avoid that.
fn quickack(s: &TcpStream) {
    #[cfg(target_os = "linux")]
    let _ = socket2::SockRef::from(s).set_tcp_quickack(true);
    #[cfg(not(target_os = "linux"))]
    let _ = s;
}

fn read_msg(s: &mut TcpStream, stop: &AtomicBool) -> std::io::Result<Option<Vec<u8>>> {
    quickack(s);
    let mut len = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        match s.read(len.get_mut(got..).unwrap_or(&mut [])) {
            Ok(0) => return Ok(None),
            Ok(n) => got += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
    }
    let n = usize::from(u16::from_be_bytes(len));
    if n > MAX_MESSAGE {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            "vpcd message too long",
        ));
    }
    let mut body = vec![0u8; n];
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    quickack(s);
    s.read_exact(&mut body)?;
    quickack(s);
    s.set_read_timeout(Some(Duration::from_millis(100)))?;
    Ok(Some(body))
}

fn write_msg(s: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    let n = u16::try_from(body.len())
        .map_err(|_| std::io::Error::new(ErrorKind::InvalidData, "response too long"))?;
    let mut out = Vec::with_capacity(body.len() + 2);
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(body);
    s.write_all(&out)
}

/// Connects to vpcd at `addr` and serves `chip` until vpcd closes the connection, `stop` is
/// set, or `remove_after` APDUs were answered (the card leaves the field).
pub fn serve(
    addr: &str,
    chip: &mut VirtualChip,
    opts: &VpcdOptions,
    stop: &AtomicBool,
) -> std::io::Result<VpcdStats> {
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut stats = VpcdStats::default();
    while let Some(msg) = read_msg(&mut s, stop)? {
        match msg.as_slice() {
            [0x00] => chip.reset(),
            [0x01] | [0x02] => {
                chip.reset();
                stats.resets += 1;
            }
            [0x04] => write_msg(&mut s, &atr(opts.extended_length))?,
            [_] => {}
            apdu => {
                if opts.remove_after.is_some_and(|n| stats.apdus >= n) {
                    break;
                }
                let rsp = match chip.transmit(apdu) {
                    Ok(r) => r,
                    // The virtual chip "left the field" by a fault switch: drop the connection.
                    Err(_) => break,
                };
                stats.apdus += 1;
                write_msg(&mut s, &rsp)?;
            }
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
    Ok(stats)
}
