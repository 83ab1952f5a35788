#![no_main]
use inspectd::lds::card_security::CardSecurity;
use inspectd::lds::security_infos::SecurityInfos;
use libfuzzer_sys::fuzz_target;

// DG14, EF.CardAccess and EF.CardSecurity.
fuzz_target!(|data: &[u8]| {
    let _ = SecurityInfos::parse_card_access(data);
    let _ = SecurityInfos::parse_dg14(data);
    let _ = SecurityInfos::parse_dg14(&inspectd::tlv::encode(0x6E, data));
    let _ = CardSecurity::parse(data);
});
