//! Host CPU time of the terminal side of one PACE run (Doc 9303-11 §4.4), per mapping and
//! group: only the terminal's own work is timed (`Pace::new` and every `resume`, plus the CAM
//! check against EF.CardSecurity's static key); the virtual chip's computations in between are
//! excluded. Run: `cargo bench --bench pace -- --warm-up-time 1 --measurement-time 3`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use inspectd::apdu::ResponseApdu;
use inspectd::chip::pace::{Pace, PaceParams, PacePassword};
use inspectd::chip::{CardTransport, ChipProtocol, Step};
use inspectd::lds::card_security::CardSecurity;
use inspectd::lds::FileId;
use inspectd::testkit::dataset::{synthetic_pace_passport, SYNTHETIC_CAN};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::{ChipProfile, VirtualChip};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn terminal_time(profile: &ChipProfile, oid: &str, id: u64, iters: u64) -> Duration {
    let oid_bytes = inspectd::lds::asn1::oid_from_dotted(oid).unwrap();
    let pw = PacePassword::Can(SYNTHETIC_CAN.into());
    let card_security = profile.mf_files.get(&FileId::CardSecurity.fid()).cloned();
    let mut total = Duration::ZERO;
    for i in 0..iters {
        let mut chip = VirtualChip::new(profile.clone(), i);
        let params = PaceParams::standardized(&oid_bytes, id).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(i.wrapping_add(1 << 32));
        let t0 = Instant::now();
        let mut pace = Pace::new(params, &pw, &mut rng);
        total += t0.elapsed();
        let mut last = None;
        loop {
            let t = Instant::now();
            let step = pace.resume(last.take()).unwrap();
            total += t.elapsed();
            match step {
                Step::Transmit(c) => {
                    let r = chip.transmit(&c.encode()).unwrap();
                    last = Some(ResponseApdu::parse(&r).unwrap());
                }
                Step::Done(est) => {
                    if let (Some(cam), Some(cs)) = (est.cam, card_security.as_ref()) {
                        let t = Instant::now();
                        let parsed = CardSecurity::parse(cs).unwrap();
                        cam.verify_with_infos(&parsed.security_infos).unwrap();
                        total += t.elapsed();
                    }
                    break;
                }
            }
        }
    }
    total
}

fn bench(c: &mut Criterion) {
    let cases: [(&str, &str, &str, u64); 13] = [
        ("GM", "P-256", "0.4.0.127.0.7.2.2.4.2.2", 12),
        ("GM", "brainpoolP256r1", "0.4.0.127.0.7.2.2.4.2.2", 13),
        ("GM", "brainpoolP384r1", "0.4.0.127.0.7.2.2.4.2.2", 16),
        ("GM", "P-521", "0.4.0.127.0.7.2.2.4.2.2", 18),
        ("IM", "P-256", "0.4.0.127.0.7.2.2.4.4.2", 12),
        ("IM", "brainpoolP256r1", "0.4.0.127.0.7.2.2.4.4.2", 13),
        ("IM", "brainpoolP384r1", "0.4.0.127.0.7.2.2.4.4.2", 16),
        ("IM", "P-521", "0.4.0.127.0.7.2.2.4.4.2", 18),
        ("CAM", "P-256", "0.4.0.127.0.7.2.2.4.6.2", 12),
        ("CAM", "brainpoolP256r1", "0.4.0.127.0.7.2.2.4.6.2", 13),
        ("CAM", "brainpoolP384r1", "0.4.0.127.0.7.2.2.4.6.2", 16),
        ("CAM", "P-521", "0.4.0.127.0.7.2.2.4.6.2", 18),
        (
            "DH-GM",
            "RFC 5114 2048-bit (id 2)",
            "0.4.0.127.0.7.2.2.4.1.2",
            2,
        ),
    ];
    let mut g = c.benchmark_group("pace_terminal");
    g.sample_size(10);
    for (mapping, group, oid, id) in cases {
        let mut p = synthetic_pace_passport(GenParams::default(), &[(oid, id)]);
        p.extended_length = true;
        g.bench_function(format!("{mapping}/{group}"), |b| {
            b.iter_custom(|iters| terminal_time(&p, oid, id, iters))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
