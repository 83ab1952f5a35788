#![no_main]
use inspectd::lds::dg11::Dg11;
use inspectd::lds::dg12::Dg12;
use inspectd::lds::image::DisplayedImages;
use inspectd::lds::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Dg11::parse(data) {
        let _ = d.full_date_of_birth.map(|x| x.digits());
    }
    if let Ok(d) = Dg12::parse(data) {
        let _ = d.date_of_issue.map(|x| x.digits());
        let _ = d.personalization_time.map(|x| x.digits());
    }
    let _ = DisplayedImages::parse(FileId::Dg5, data);
    let _ = DisplayedImages::parse(FileId::Dg7, data);
});
