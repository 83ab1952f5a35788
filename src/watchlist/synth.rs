//! A deterministic generator of synthetic watchlists for tests and benchmarks. Numbers are
//! random strings in plausible per-state formats; nothing is real data.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{DocType, Record, Status};

// (state, weight, number format): 'A' = letter, '9' = digit, 'X' = alphanumeric without
// vowels (as some issuers use), other characters literal.
const STATES: &[(&str, u32, &str)] = &[
    ("D", 14, "XXXXXXXXX"),
    ("FRA", 10, "99AA99999"),
    ("GBR", 9, "999999999"),
    ("USA", 12, "999999999"),
    ("ITA", 7, "AA9999999"),
    ("ESP", 6, "AAA999999"),
    ("NLD", 5, "AAXXXXXX9"),
    ("POL", 5, "AA9999999"),
    ("CHN", 6, "E99999999"),
    ("IND", 5, "A9999999"),
    ("BRA", 4, "AA999999"),
    ("CAN", 4, "AA999999"),
    ("AUS", 3, "A9999999"),
    ("XXA", 1, "9999999"),
    ("UNO", 1, "99999999"),
    ("GBD", 1, "999999999"),
];

const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const CONS: &[u8] = b"CFGHJKLMNPRTVWXYZ0123456789";

/// Yields `n` synthetic records, the same for the same `seed`, in list `synthetic`.
pub fn generate(n: u64, seed: u64) -> impl Iterator<Item = Record> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let total: u32 = STATES.iter().map(|s| s.1).sum();
    (0..n).map(move |i| {
        let mut pick = rng.next_u32() % total.max(1);
        let mut entry = ("D", 1, "XXXXXXXXX");
        for s in STATES {
            if pick < s.1 {
                entry = *s;
                break;
            }
            pick -= s.1;
        }
        let mut number = String::new();
        for c in entry.2.bytes() {
            let r = usize::try_from(rng.next_u32()).unwrap_or(0);
            let ch = match c {
                b'A' => LETTERS.get(r % LETTERS.len()).copied().unwrap_or(b'A'),
                b'9' => b'0'.saturating_add(u8::try_from(r % 10).unwrap_or(0)),
                b'X' => CONS.get(r % CONS.len()).copied().unwrap_or(b'0'),
                other => other,
            };
            number.push(char::from(ch));
        }
        let t = match rng.next_u32() % 100 {
            0..=69 => DocType::P,
            70..=94 => DocType::I,
            95..=96 => DocType::A,
            97 => DocType::C,
            _ => DocType::V,
        };
        let status = match rng.next_u32() % 100 {
            0..=54 => Status::Lost,
            55..=89 => Status::Stolen,
            90..=92 => Status::StolenBlank,
            93..=96 => Status::Revoked,
            97..=98 => Status::Invalidated,
            _ => Status::Other,
        };
        let year = 2015 + rng.next_u32() % 11;
        let month = 1 + rng.next_u32() % 12;
        let day = 1 + rng.next_u32() % 28;
        let reported_year = year + rng.next_u32() % 3;
        let blank = status == Status::StolenBlank;
        Record {
            issuing_state: entry.0.to_string(),
            document_type: t,
            document_number: number,
            status,
            issue_date: (!blank).then(|| format!("{year:04}-{month:02}-{day:02}")),
            expiry_date: (!blank).then(|| format!("{:04}-{month:02}-{day:02}", year + 10)),
            reported_date: Some(format!("{reported_year:04}-{month:02}-{day:02}")),
            list: "synthetic".to_string(),
            reference: Some(format!("SYN-{seed}-{i}")),
        }
    })
}
