//! SM cost per READ BINARY round trip: terminal wrap, chip unwrap, chip response wrap, and
//! terminal unwrap of a 223-byte response.
#![allow(clippy::unwrap_used)] // benchmark harness, like tests

use criterion::{criterion_group, criterion_main, Criterion};
use inspectd::apdu::{CommandApdu, ResponseApdu, StatusWord};
use inspectd::sm::{ChipSmSession, SmCipher, SmKeys, SmSession};
use std::hint::black_box;

fn round_trip(c: &mut Criterion, name: &str, cipher: SmCipher) {
    let keys = || {
        SmKeys::new(
            cipher,
            &vec![0x11; cipher.key_len()],
            &vec![0x22; cipher.key_len()],
        )
        .unwrap()
    };
    let ssc = vec![0u8; cipher.block_len()];
    let mut term = SmSession::new(keys(), &ssc).unwrap();
    let mut chip = ChipSmSession::new(keys(), &ssc).unwrap();
    let cmd = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(223);
    let rsp = ResponseApdu::new(vec![0x5A; 223], StatusWord::OK);
    c.bench_function(name, |b| {
        b.iter(|| {
            let p = term.wrap(black_box(&cmd)).unwrap();
            let _plain = chip.unwrap_command(&p).unwrap();
            let pr = chip.wrap_response(black_box(&rsp)).unwrap();
            black_box(term.unwrap(&pr).unwrap())
        })
    });
}

fn bench(c: &mut Criterion) {
    round_trip(c, "sm_read_binary_round_trip_3des", SmCipher::Tdes);
    round_trip(c, "sm_read_binary_round_trip_aes128", SmCipher::Aes128);
}

criterion_group!(benches, bench);
criterion_main!(benches);
