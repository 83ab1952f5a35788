#![no_main]
//! EF.CardAccess (Doc 9303-11 §9.2.1/§9.2.2) as the PACE terminal uses it: SecurityInfos
//! parsing, then the protocol and group choice (PACEInfo, PACEDomainParameterInfo with explicit
//! parameters matched exactly). Must never panic; a chosen group must be a standardized one.
use inspectd::chip::pace::{PaceGroup, PaceParams};
use inspectd::lds::security_infos::SecurityInfos;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(infos) = SecurityInfos::parse_card_access(data) else {
        return;
    };
    if let Ok(p) = PaceParams::select(&infos) {
        let id = p.group.parameter_id();
        assert_eq!(PaceGroup::by_parameter_id(id), Some(p.group));
        assert_eq!(p.protocol.key_agreement, p.group.key_agreement());
    }
});
