//! Three-letter codes for issuing states, organizations and nationalities (Doc 9303-3 §5).
//!
//! Doc 9303-3 §5 uses the ISO 3166-1 alpha-3 codes for states, except Germany, which is `D`
//! (so `DEU` is not in this table), plus codes for organizations (United Nations, INTERPOL, EU,
//! regional bodies) and special nationality categories (British nationality classes, stateless
//! persons, refugees, unspecified). The ISO list is taken from Debian's `iso-codes` data.
//! In an MRZ a short code is padded with fillers (`D<<`); [`lookup`] accepts either form.

use serde::Serialize;

/// What a code denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountryKind {
    /// A state or territory (ISO 3166-1 alpha-3, or `D` for Germany).
    State,
    /// An international organization (e.g. `UNO`, `XPO`, `EUE`).
    Organization,
    /// A special nationality category (e.g. `XXA` stateless, `GBN`).
    Special,
}

/// One entry of the Doc 9303-3 §5 code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Country {
    /// The code without fillers, e.g. `"UTO"`, `"D"`.
    pub code: &'static str,
    /// The English short name.
    pub name: &'static str,
    /// State, organization or special category.
    pub kind: CountryKind,
}

const fn c(code: &'static str, name: &'static str, kind: CountryKind) -> Country {
    Country { code, name, kind }
}

/// The table, sorted by code for binary search.
static COUNTRIES: &[Country] = &[
    c("ABW", "Aruba", CountryKind::State),
    c("AFG", "Afghanistan", CountryKind::State),
    c("AGO", "Angola", CountryKind::State),
    c("AIA", "Anguilla", CountryKind::State),
    c("ALA", "Åland Islands", CountryKind::State),
    c("ALB", "Albania", CountryKind::State),
    c("AND", "Andorra", CountryKind::State),
    c("ARE", "United Arab Emirates", CountryKind::State),
    c("ARG", "Argentina", CountryKind::State),
    c("ARM", "Armenia", CountryKind::State),
    c("ASM", "American Samoa", CountryKind::State),
    c("ATA", "Antarctica", CountryKind::State),
    c("ATF", "French Southern Territories", CountryKind::State),
    c("ATG", "Antigua and Barbuda", CountryKind::State),
    c("AUS", "Australia", CountryKind::State),
    c("AUT", "Austria", CountryKind::State),
    c("AZE", "Azerbaijan", CountryKind::State),
    c("BDI", "Burundi", CountryKind::State),
    c("BEL", "Belgium", CountryKind::State),
    c("BEN", "Benin", CountryKind::State),
    c("BES", "Bonaire, Sint Eustatius and Saba", CountryKind::State),
    c("BFA", "Burkina Faso", CountryKind::State),
    c("BGD", "Bangladesh", CountryKind::State),
    c("BGR", "Bulgaria", CountryKind::State),
    c("BHR", "Bahrain", CountryKind::State),
    c("BHS", "Bahamas", CountryKind::State),
    c("BIH", "Bosnia and Herzegovina", CountryKind::State),
    c("BLM", "Saint Barthélemy", CountryKind::State),
    c("BLR", "Belarus", CountryKind::State),
    c("BLZ", "Belize", CountryKind::State),
    c("BMU", "Bermuda", CountryKind::State),
    c("BOL", "Bolivia, Plurinational State of", CountryKind::State),
    c("BRA", "Brazil", CountryKind::State),
    c("BRB", "Barbados", CountryKind::State),
    c("BRN", "Brunei Darussalam", CountryKind::State),
    c("BTN", "Bhutan", CountryKind::State),
    c("BVT", "Bouvet Island", CountryKind::State),
    c("BWA", "Botswana", CountryKind::State),
    c("CAF", "Central African Republic", CountryKind::State),
    c("CAN", "Canada", CountryKind::State),
    c("CCK", "Cocos (Keeling) Islands", CountryKind::State),
    c("CHE", "Switzerland", CountryKind::State),
    c("CHL", "Chile", CountryKind::State),
    c("CHN", "China", CountryKind::State),
    c("CIV", "Côte d'Ivoire", CountryKind::State),
    c("CMR", "Cameroon", CountryKind::State),
    c("COD", "Congo, The Democratic Republic of the", CountryKind::State),
    c("COG", "Congo", CountryKind::State),
    c("COK", "Cook Islands", CountryKind::State),
    c("COL", "Colombia", CountryKind::State),
    c("COM", "Comoros", CountryKind::State),
    c("CPV", "Cabo Verde", CountryKind::State),
    c("CRI", "Costa Rica", CountryKind::State),
    c("CUB", "Cuba", CountryKind::State),
    c("CUW", "Curaçao", CountryKind::State),
    c("CXR", "Christmas Island", CountryKind::State),
    c("CYM", "Cayman Islands", CountryKind::State),
    c("CYP", "Cyprus", CountryKind::State),
    c("CZE", "Czechia", CountryKind::State),
    c("D", "Germany", CountryKind::State),
    c("DJI", "Djibouti", CountryKind::State),
    c("DMA", "Dominica", CountryKind::State),
    c("DNK", "Denmark", CountryKind::State),
    c("DOM", "Dominican Republic", CountryKind::State),
    c("DZA", "Algeria", CountryKind::State),
    c("ECU", "Ecuador", CountryKind::State),
    c("EGY", "Egypt", CountryKind::State),
    c("ERI", "Eritrea", CountryKind::State),
    c("ESH", "Western Sahara", CountryKind::State),
    c("ESP", "Spain", CountryKind::State),
    c("EST", "Estonia", CountryKind::State),
    c("ETH", "Ethiopia", CountryKind::State),
    c("EUE", "European Union (EU)", CountryKind::Organization),
    c("FIN", "Finland", CountryKind::State),
    c("FJI", "Fiji", CountryKind::State),
    c("FLK", "Falkland Islands (Malvinas)", CountryKind::State),
    c("FRA", "France", CountryKind::State),
    c("FRO", "Faroe Islands", CountryKind::State),
    c("FSM", "Micronesia, Federated States of", CountryKind::State),
    c("GAB", "Gabon", CountryKind::State),
    c("GBD", "British Overseas Territories Citizen", CountryKind::Special),
    c("GBN", "British National (Overseas)", CountryKind::Special),
    c("GBO", "British Overseas Citizen", CountryKind::Special),
    c("GBP", "British Protected Person", CountryKind::Special),
    c("GBR", "United Kingdom", CountryKind::State),
    c("GBS", "British Subject", CountryKind::Special),
    c("GEO", "Georgia", CountryKind::State),
    c("GGY", "Guernsey", CountryKind::State),
    c("GHA", "Ghana", CountryKind::State),
    c("GIB", "Gibraltar", CountryKind::State),
    c("GIN", "Guinea", CountryKind::State),
    c("GLP", "Guadeloupe", CountryKind::State),
    c("GMB", "Gambia", CountryKind::State),
    c("GNB", "Guinea-Bissau", CountryKind::State),
    c("GNQ", "Equatorial Guinea", CountryKind::State),
    c("GRC", "Greece", CountryKind::State),
    c("GRD", "Grenada", CountryKind::State),
    c("GRL", "Greenland", CountryKind::State),
    c("GTM", "Guatemala", CountryKind::State),
    c("GUF", "French Guiana", CountryKind::State),
    c("GUM", "Guam", CountryKind::State),
    c("GUY", "Guyana", CountryKind::State),
    c("HKG", "Hong Kong", CountryKind::State),
    c("HMD", "Heard Island and McDonald Islands", CountryKind::State),
    c("HND", "Honduras", CountryKind::State),
    c("HRV", "Croatia", CountryKind::State),
    c("HTI", "Haiti", CountryKind::State),
    c("HUN", "Hungary", CountryKind::State),
    c("IDN", "Indonesia", CountryKind::State),
    c("IMN", "Isle of Man", CountryKind::State),
    c("IND", "India", CountryKind::State),
    c("IOT", "British Indian Ocean Territory", CountryKind::State),
    c("IRL", "Ireland", CountryKind::State),
    c("IRN", "Iran, Islamic Republic of", CountryKind::State),
    c("IRQ", "Iraq", CountryKind::State),
    c("ISL", "Iceland", CountryKind::State),
    c("ISR", "Israel", CountryKind::State),
    c("ITA", "Italy", CountryKind::State),
    c("JAM", "Jamaica", CountryKind::State),
    c("JEY", "Jersey", CountryKind::State),
    c("JOR", "Jordan", CountryKind::State),
    c("JPN", "Japan", CountryKind::State),
    c("KAZ", "Kazakhstan", CountryKind::State),
    c("KEN", "Kenya", CountryKind::State),
    c("KGZ", "Kyrgyzstan", CountryKind::State),
    c("KHM", "Cambodia", CountryKind::State),
    c("KIR", "Kiribati", CountryKind::State),
    c("KNA", "Saint Kitts and Nevis", CountryKind::State),
    c("KOR", "Korea, Republic of", CountryKind::State),
    c("KWT", "Kuwait", CountryKind::State),
    c("LAO", "Lao People's Democratic Republic", CountryKind::State),
    c("LBN", "Lebanon", CountryKind::State),
    c("LBR", "Liberia", CountryKind::State),
    c("LBY", "Libya", CountryKind::State),
    c("LCA", "Saint Lucia", CountryKind::State),
    c("LIE", "Liechtenstein", CountryKind::State),
    c("LKA", "Sri Lanka", CountryKind::State),
    c("LSO", "Lesotho", CountryKind::State),
    c("LTU", "Lithuania", CountryKind::State),
    c("LUX", "Luxembourg", CountryKind::State),
    c("LVA", "Latvia", CountryKind::State),
    c("MAC", "Macao", CountryKind::State),
    c("MAF", "Saint Martin (French part)", CountryKind::State),
    c("MAR", "Morocco", CountryKind::State),
    c("MCO", "Monaco", CountryKind::State),
    c("MDA", "Moldova, Republic of", CountryKind::State),
    c("MDG", "Madagascar", CountryKind::State),
    c("MDV", "Maldives", CountryKind::State),
    c("MEX", "Mexico", CountryKind::State),
    c("MHL", "Marshall Islands", CountryKind::State),
    c("MKD", "North Macedonia", CountryKind::State),
    c("MLI", "Mali", CountryKind::State),
    c("MLT", "Malta", CountryKind::State),
    c("MMR", "Myanmar", CountryKind::State),
    c("MNE", "Montenegro", CountryKind::State),
    c("MNG", "Mongolia", CountryKind::State),
    c("MNP", "Northern Mariana Islands", CountryKind::State),
    c("MOZ", "Mozambique", CountryKind::State),
    c("MRT", "Mauritania", CountryKind::State),
    c("MSR", "Montserrat", CountryKind::State),
    c("MTQ", "Martinique", CountryKind::State),
    c("MUS", "Mauritius", CountryKind::State),
    c("MWI", "Malawi", CountryKind::State),
    c("MYS", "Malaysia", CountryKind::State),
    c("MYT", "Mayotte", CountryKind::State),
    c("NAM", "Namibia", CountryKind::State),
    c("NCL", "New Caledonia", CountryKind::State),
    c("NER", "Niger", CountryKind::State),
    c("NFK", "Norfolk Island", CountryKind::State),
    c("NGA", "Nigeria", CountryKind::State),
    c("NIC", "Nicaragua", CountryKind::State),
    c("NIU", "Niue", CountryKind::State),
    c("NLD", "Netherlands", CountryKind::State),
    c("NOR", "Norway", CountryKind::State),
    c("NPL", "Nepal", CountryKind::State),
    c("NRU", "Nauru", CountryKind::State),
    c("NZL", "New Zealand", CountryKind::State),
    c("OMN", "Oman", CountryKind::State),
    c("PAK", "Pakistan", CountryKind::State),
    c("PAN", "Panama", CountryKind::State),
    c("PCN", "Pitcairn", CountryKind::State),
    c("PER", "Peru", CountryKind::State),
    c("PHL", "Philippines", CountryKind::State),
    c("PLW", "Palau", CountryKind::State),
    c("PNG", "Papua New Guinea", CountryKind::State),
    c("POL", "Poland", CountryKind::State),
    c("PRI", "Puerto Rico", CountryKind::State),
    c("PRK", "Korea, Democratic People's Republic of", CountryKind::State),
    c("PRT", "Portugal", CountryKind::State),
    c("PRY", "Paraguay", CountryKind::State),
    c("PSE", "Palestine, State of", CountryKind::State),
    c("PYF", "French Polynesia", CountryKind::State),
    c("QAT", "Qatar", CountryKind::State),
    c("REU", "Réunion", CountryKind::State),
    c("RKS", "Kosovo (code used in Kosovo-issued documents; not listed in Doc 9303-3)", CountryKind::Special),
    c("ROU", "Romania", CountryKind::State),
    c("RUS", "Russian Federation", CountryKind::State),
    c("RWA", "Rwanda", CountryKind::State),
    c("SAU", "Saudi Arabia", CountryKind::State),
    c("SDN", "Sudan", CountryKind::State),
    c("SEN", "Senegal", CountryKind::State),
    c("SGP", "Singapore", CountryKind::State),
    c("SGS", "South Georgia and the South Sandwich Islands", CountryKind::State),
    c("SHN", "Saint Helena, Ascension and Tristan da Cunha", CountryKind::State),
    c("SJM", "Svalbard and Jan Mayen", CountryKind::State),
    c("SLB", "Solomon Islands", CountryKind::State),
    c("SLE", "Sierra Leone", CountryKind::State),
    c("SLV", "El Salvador", CountryKind::State),
    c("SMR", "San Marino", CountryKind::State),
    c("SOM", "Somalia", CountryKind::State),
    c("SPM", "Saint Pierre and Miquelon", CountryKind::State),
    c("SRB", "Serbia", CountryKind::State),
    c("SSD", "South Sudan", CountryKind::State),
    c("STP", "Sao Tome and Principe", CountryKind::State),
    c("SUR", "Suriname", CountryKind::State),
    c("SVK", "Slovakia", CountryKind::State),
    c("SVN", "Slovenia", CountryKind::State),
    c("SWE", "Sweden", CountryKind::State),
    c("SWZ", "Eswatini", CountryKind::State),
    c("SXM", "Sint Maarten (Dutch part)", CountryKind::State),
    c("SYC", "Seychelles", CountryKind::State),
    c("SYR", "Syrian Arab Republic", CountryKind::State),
    c("TCA", "Turks and Caicos Islands", CountryKind::State),
    c("TCD", "Chad", CountryKind::State),
    c("TGO", "Togo", CountryKind::State),
    c("THA", "Thailand", CountryKind::State),
    c("TJK", "Tajikistan", CountryKind::State),
    c("TKL", "Tokelau", CountryKind::State),
    c("TKM", "Turkmenistan", CountryKind::State),
    c("TLS", "Timor-Leste", CountryKind::State),
    c("TON", "Tonga", CountryKind::State),
    c("TTO", "Trinidad and Tobago", CountryKind::State),
    c("TUN", "Tunisia", CountryKind::State),
    c("TUR", "Türkiye", CountryKind::State),
    c("TUV", "Tuvalu", CountryKind::State),
    c("TWN", "Taiwan, Province of China", CountryKind::State),
    c("TZA", "Tanzania, United Republic of", CountryKind::State),
    c("UGA", "Uganda", CountryKind::State),
    c("UKR", "Ukraine", CountryKind::State),
    c("UMI", "United States Minor Outlying Islands", CountryKind::State),
    c("UNA", "Specialized agency of the United Nations or one of its officials", CountryKind::Organization),
    c("UNK", "Resident of Kosovo to whom a travel document has been issued by the United Nations Interim Administration Mission in Kosovo (UNMIK)", CountryKind::Special),
    c("UNO", "United Nations Organization or one of its officials", CountryKind::Organization),
    c("URY", "Uruguay", CountryKind::State),
    c("USA", "United States", CountryKind::State),
    c("UZB", "Uzbekistan", CountryKind::State),
    c("VAT", "Holy See (Vatican City State)", CountryKind::State),
    c("VCT", "Saint Vincent and the Grenadines", CountryKind::State),
    c("VEN", "Venezuela, Bolivarian Republic of", CountryKind::State),
    c("VGB", "Virgin Islands, British", CountryKind::State),
    c("VIR", "Virgin Islands, U.S.", CountryKind::State),
    c("VNM", "Viet Nam", CountryKind::State),
    c("VUT", "Vanuatu", CountryKind::State),
    c("WLF", "Wallis and Futuna", CountryKind::State),
    c("WSM", "Samoa", CountryKind::State),
    c("XBA", "African Development Bank (ADB)", CountryKind::Organization),
    c("XCC", "Caribbean Community or one of its emissaries (CARICOM)", CountryKind::Organization),
    c("XCE", "Council of Europe", CountryKind::Organization),
    c("XCO", "Common Market for Eastern and Southern Africa (COMESA)", CountryKind::Organization),
    c("XDC", "Southern African Development Community", CountryKind::Organization),
    c("XEC", "Economic Community of West African States (ECOWAS)", CountryKind::Organization),
    c("XES", "Organization of Eastern Caribbean States (OECS)", CountryKind::Organization),
    c("XIM", "African Export-Import Bank (AFREXIM bank)", CountryKind::Organization),
    c("XMP", "Inter-Parliamentary Union (IPU)", CountryKind::Organization),
    c("XOM", "Sovereign Military Order of Malta or one of its emissaries", CountryKind::Organization),
    c("XPO", "International Criminal Police Organization (INTERPOL)", CountryKind::Organization),
    c("XXA", "Stateless person, as defined in Article 1 of the 1954 Convention Relating to the Status of Stateless Persons", CountryKind::Special),
    c("XXB", "Refugee, as defined in Article 1 of the 1951 Convention Relating to the Status of Refugees as amended by the 1967 Protocol", CountryKind::Special),
    c("XXC", "Refugee, other than as defined under the code XXB above", CountryKind::Special),
    c("XXX", "Person of unspecified nationality", CountryKind::Special),
    c("YEM", "Yemen", CountryKind::State),
    c("ZAF", "South Africa", CountryKind::State),
    c("ZMB", "Zambia", CountryKind::State),
    c("ZWE", "Zimbabwe", CountryKind::State),
];

/// Looks up a Doc 9303-3 §5 code. Trailing fillers are ignored (`"D<<"` finds Germany).
/// Returns `None` for codes not in the table (including the specimen state `UTO`, Utopia).
pub fn lookup(code: &str) -> Option<Country> {
    let code = code.trim_end_matches('<');
    COUNTRIES
        .binary_search_by(|e| e.code.cmp(code))
        .ok()
        .and_then(|i| COUNTRIES.get(i))
        .copied()
}

/// Every entry of the table (sorted by code).
pub fn all() -> &'static [Country] {
    COUNTRIES
}

/// ISO 3166-1 alpha-3 → alpha-2, every officially assigned code (249), sorted. Source: ISO
/// 3166-1 as published in Debian's `iso-codes` 4.15.0 (`iso_3166-1.json`), the same data as
/// the table above. Certificates name their country with alpha-2 (RFC 5280 countryName; Doc
/// 9303-12 §7.1), the MRZ with alpha-3 (Doc 9303-3 §5).
#[rustfmt::skip]
static ISO_ALPHA3_TO_ALPHA2: &[(&str, &str)] = &[
    ("ABW", "AW"), ("AFG", "AF"), ("AGO", "AO"), ("AIA", "AI"), ("ALA", "AX"), ("ALB", "AL"),
    ("AND", "AD"), ("ARE", "AE"), ("ARG", "AR"), ("ARM", "AM"), ("ASM", "AS"), ("ATA", "AQ"),
    ("ATF", "TF"), ("ATG", "AG"), ("AUS", "AU"), ("AUT", "AT"), ("AZE", "AZ"), ("BDI", "BI"),
    ("BEL", "BE"), ("BEN", "BJ"), ("BES", "BQ"), ("BFA", "BF"), ("BGD", "BD"), ("BGR", "BG"),
    ("BHR", "BH"), ("BHS", "BS"), ("BIH", "BA"), ("BLM", "BL"), ("BLR", "BY"), ("BLZ", "BZ"),
    ("BMU", "BM"), ("BOL", "BO"), ("BRA", "BR"), ("BRB", "BB"), ("BRN", "BN"), ("BTN", "BT"),
    ("BVT", "BV"), ("BWA", "BW"), ("CAF", "CF"), ("CAN", "CA"), ("CCK", "CC"), ("CHE", "CH"),
    ("CHL", "CL"), ("CHN", "CN"), ("CIV", "CI"), ("CMR", "CM"), ("COD", "CD"), ("COG", "CG"),
    ("COK", "CK"), ("COL", "CO"), ("COM", "KM"), ("CPV", "CV"), ("CRI", "CR"), ("CUB", "CU"),
    ("CUW", "CW"), ("CXR", "CX"), ("CYM", "KY"), ("CYP", "CY"), ("CZE", "CZ"), ("DEU", "DE"),
    ("DJI", "DJ"), ("DMA", "DM"), ("DNK", "DK"), ("DOM", "DO"), ("DZA", "DZ"), ("ECU", "EC"),
    ("EGY", "EG"), ("ERI", "ER"), ("ESH", "EH"), ("ESP", "ES"), ("EST", "EE"), ("ETH", "ET"),
    ("FIN", "FI"), ("FJI", "FJ"), ("FLK", "FK"), ("FRA", "FR"), ("FRO", "FO"), ("FSM", "FM"),
    ("GAB", "GA"), ("GBR", "GB"), ("GEO", "GE"), ("GGY", "GG"), ("GHA", "GH"), ("GIB", "GI"),
    ("GIN", "GN"), ("GLP", "GP"), ("GMB", "GM"), ("GNB", "GW"), ("GNQ", "GQ"), ("GRC", "GR"),
    ("GRD", "GD"), ("GRL", "GL"), ("GTM", "GT"), ("GUF", "GF"), ("GUM", "GU"), ("GUY", "GY"),
    ("HKG", "HK"), ("HMD", "HM"), ("HND", "HN"), ("HRV", "HR"), ("HTI", "HT"), ("HUN", "HU"),
    ("IDN", "ID"), ("IMN", "IM"), ("IND", "IN"), ("IOT", "IO"), ("IRL", "IE"), ("IRN", "IR"),
    ("IRQ", "IQ"), ("ISL", "IS"), ("ISR", "IL"), ("ITA", "IT"), ("JAM", "JM"), ("JEY", "JE"),
    ("JOR", "JO"), ("JPN", "JP"), ("KAZ", "KZ"), ("KEN", "KE"), ("KGZ", "KG"), ("KHM", "KH"),
    ("KIR", "KI"), ("KNA", "KN"), ("KOR", "KR"), ("KWT", "KW"), ("LAO", "LA"), ("LBN", "LB"),
    ("LBR", "LR"), ("LBY", "LY"), ("LCA", "LC"), ("LIE", "LI"), ("LKA", "LK"), ("LSO", "LS"),
    ("LTU", "LT"), ("LUX", "LU"), ("LVA", "LV"), ("MAC", "MO"), ("MAF", "MF"), ("MAR", "MA"),
    ("MCO", "MC"), ("MDA", "MD"), ("MDG", "MG"), ("MDV", "MV"), ("MEX", "MX"), ("MHL", "MH"),
    ("MKD", "MK"), ("MLI", "ML"), ("MLT", "MT"), ("MMR", "MM"), ("MNE", "ME"), ("MNG", "MN"),
    ("MNP", "MP"), ("MOZ", "MZ"), ("MRT", "MR"), ("MSR", "MS"), ("MTQ", "MQ"), ("MUS", "MU"),
    ("MWI", "MW"), ("MYS", "MY"), ("MYT", "YT"), ("NAM", "NA"), ("NCL", "NC"), ("NER", "NE"),
    ("NFK", "NF"), ("NGA", "NG"), ("NIC", "NI"), ("NIU", "NU"), ("NLD", "NL"), ("NOR", "NO"),
    ("NPL", "NP"), ("NRU", "NR"), ("NZL", "NZ"), ("OMN", "OM"), ("PAK", "PK"), ("PAN", "PA"),
    ("PCN", "PN"), ("PER", "PE"), ("PHL", "PH"), ("PLW", "PW"), ("PNG", "PG"), ("POL", "PL"),
    ("PRI", "PR"), ("PRK", "KP"), ("PRT", "PT"), ("PRY", "PY"), ("PSE", "PS"), ("PYF", "PF"),
    ("QAT", "QA"), ("REU", "RE"), ("ROU", "RO"), ("RUS", "RU"), ("RWA", "RW"), ("SAU", "SA"),
    ("SDN", "SD"), ("SEN", "SN"), ("SGP", "SG"), ("SGS", "GS"), ("SHN", "SH"), ("SJM", "SJ"),
    ("SLB", "SB"), ("SLE", "SL"), ("SLV", "SV"), ("SMR", "SM"), ("SOM", "SO"), ("SPM", "PM"),
    ("SRB", "RS"), ("SSD", "SS"), ("STP", "ST"), ("SUR", "SR"), ("SVK", "SK"), ("SVN", "SI"),
    ("SWE", "SE"), ("SWZ", "SZ"), ("SXM", "SX"), ("SYC", "SC"), ("SYR", "SY"), ("TCA", "TC"),
    ("TCD", "TD"), ("TGO", "TG"), ("THA", "TH"), ("TJK", "TJ"), ("TKL", "TK"), ("TKM", "TM"),
    ("TLS", "TL"), ("TON", "TO"), ("TTO", "TT"), ("TUN", "TN"), ("TUR", "TR"), ("TUV", "TV"),
    ("TWN", "TW"), ("TZA", "TZ"), ("UGA", "UG"), ("UKR", "UA"), ("UMI", "UM"), ("URY", "UY"),
    ("USA", "US"), ("UZB", "UZ"), ("VAT", "VA"), ("VCT", "VC"), ("VEN", "VE"), ("VGB", "VG"),
    ("VIR", "VI"), ("VNM", "VN"), ("VUT", "VU"), ("WLF", "WF"), ("WSM", "WS"), ("YEM", "YE"),
    ("ZAF", "ZA"), ("ZMB", "ZM"), ("ZWE", "ZW"),
];

/// The ISO 3166-1 alpha-2 code of the state behind a Doc 9303-3 §5 code (fillers ignored),
/// for comparing an MRZ issuing state with a certificate countryName:
/// - every ISO 3166-1 alpha-3 code maps to its alpha-2 code;
/// - `D` (Germany) → `DE`;
/// - the British nationality classes `GBD`, `GBN`, `GBO`, `GBP`, `GBS` → `GB` (documents issued
///   under the United Kingdom's authority);
/// - `RKS` (Kosovo) → `XK`, the user-assigned code Kosovo and common practice use (not ISO);
/// - organizations (`UNO`, `UNA`, `EUE`, `XPO`, ...), `UNK` (UNMIK) and the categories `XXA`,
///   `XXB`, `XXC`, `XXX` → `None`: no state, so no country to compare.
pub fn iso_alpha2(code: &str) -> Option<&'static str> {
    let code = code.trim_end_matches('<');
    match code {
        "D" => return Some("DE"),
        "GBD" | "GBN" | "GBO" | "GBP" | "GBS" => return Some("GB"),
        "RKS" => return Some("XK"),
        _ => {}
    }
    ISO_ALPHA3_TO_ALPHA2
        .binary_search_by(|(a3, _)| (*a3).cmp(code))
        .ok()
        .and_then(|i| ISO_ALPHA3_TO_ALPHA2.get(i))
        .map(|(_, a2)| *a2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_unique() {
        for w in COUNTRIES.windows(2) {
            assert!(w[0].code < w[1].code, "{} !< {}", w[0].code, w[1].code);
        }
    }

    #[test]
    fn special_codes() {
        assert_eq!(lookup("D<<").unwrap().name, "Germany");
        assert_eq!(lookup("D").unwrap().kind, CountryKind::State);
        assert!(lookup("DEU").is_none());
        for code in [
            "GBD", "GBN", "GBO", "GBP", "GBS", "XXA", "XXB", "XXC", "XXX", "UNK", "RKS",
        ] {
            assert_eq!(lookup(code).unwrap().kind, CountryKind::Special, "{code}");
        }
        for code in [
            "UNO", "UNA", "XPO", "EUE", "XBA", "XIM", "XCC", "XCE", "XCO", "XEC", "XES", "XMP",
            "XOM", "XDC",
        ] {
            assert_eq!(
                lookup(code).unwrap().kind,
                CountryKind::Organization,
                "{code}"
            );
        }
        assert_eq!(lookup("NLD").unwrap().name, "Netherlands");
        assert_eq!(lookup("UTO"), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("<<<"), None);
    }

    #[test]
    fn alpha2_mapping() {
        for w in ISO_ALPHA3_TO_ALPHA2.windows(2) {
            assert!(w[0].0 < w[1].0, "{} !< {}", w[0].0, w[1].0);
        }
        assert_eq!(ISO_ALPHA3_TO_ALPHA2.len(), 249);
        // Every state of the Doc 9303-3 table has a 2-letter code.
        for c in all().iter().filter(|c| c.kind == CountryKind::State) {
            let a2 = iso_alpha2(c.code).unwrap_or_else(|| panic!("{} unmapped", c.code));
            assert!(a2.len() == 2 && a2.bytes().all(|b| b.is_ascii_uppercase()));
        }
        // Spot checks against ISO 3166-1 (codes whose alpha-2 is not the alpha-3 prefix).
        for (a3, a2) in [
            ("D<<", "DE"),
            ("DEU", "DE"),
            ("NLD", "NL"),
            ("AUT", "AT"),
            ("CHE", "CH"),
            ("ESP", "ES"),
            ("GBR", "GB"),
            ("IRL", "IE"),
            ("KOR", "KR"),
            ("PRK", "KP"),
            ("ZAF", "ZA"),
            ("SRB", "RS"),
            ("MNE", "ME"),
            ("TLS", "TL"),
            ("SSD", "SS"),
            ("CUW", "CW"),
            ("ALA", "AX"),
            ("GBN", "GB"),
            ("GBD", "GB"),
            ("RKS", "XK"),
        ] {
            assert_eq!(iso_alpha2(a3), Some(a2), "{a3}");
        }
        for code in [
            "UNO", "UNA", "UNK", "EUE", "XPO", "XXA", "XXB", "XXC", "XXX", "UTO", "", "ZZZ",
        ] {
            assert_eq!(iso_alpha2(code), None, "{code}");
        }
    }
}
