//! S3 general-purpose bucket naming rules, checked before any call so that a bad name is
//! refused with the one rule it breaks, in plain words, instead of AWS's bare
//! `InvalidBucketName`.

use serde::Serialize;

use crate::locale::Language;

/// Names AWS keeps for its own features: a bucket may not start with these.
pub const RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
/// Suffixes of access points, Object Lambda, Multi-Region Access Points, directory buckets
/// and table buckets: a bucket may not end with these.
pub const RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// The one rule a bucket name breaks (the first, in the order they are listed here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "rule", rename_all = "camelCase")]
pub enum NamingRule {
    /// Fewer than 3 or more than 63 characters.
    Length { length: u32 },
    /// A character other than lowercase letters, digits, `.` and `-`.
    Character { character: String },
    /// Starts or ends with something other than a letter or digit.
    Edge,
    /// Two dots in a row.
    DoubleDot,
    /// Shaped like an IPv4 address (`192.168.5.4`).
    IpAddress,
    /// Starts with a prefix AWS reserves.
    ReservedPrefix { prefix: String },
    /// Ends with a suffix AWS reserves.
    ReservedSuffix { suffix: String },
}

impl NamingRule {
    pub fn describe(&self, lang: Language) -> String {
        match self {
            NamingRule::Length { length } => lang.pick(
                format!("버킷 이름은 3~63자여야 합니다(지금 {length}자)."),
                format!("A bucket name must be 3 to 63 characters long (this one has {length})."),
            ),
            NamingRule::Character { character } => lang.pick(
                format!(
                    "버킷 이름에는 영문 소문자, 숫자, 점(.), 하이픈(-)만 쓸 수 있습니다. '{character}'는 쓸 수 없습니다."
                ),
                format!(
                    "A bucket name may only hold lowercase letters, digits, dots (.) and hyphens (-); '{character}' is not allowed."
                ),
            ),
            NamingRule::Edge => lang.pick(
                "버킷 이름은 영문 소문자나 숫자로 시작하고 끝나야 합니다.".into(),
                "A bucket name must start and end with a lowercase letter or a digit.".into(),
            ),
            NamingRule::DoubleDot => lang.pick(
                "버킷 이름에 점 두 개(..)를 연달아 쓸 수 없습니다.".into(),
                "A bucket name may not have two dots in a row (..).".into(),
            ),
            NamingRule::IpAddress => lang.pick(
                "버킷 이름은 IP 주소 모양(예: 192.168.5.4)일 수 없습니다.".into(),
                "A bucket name may not be shaped like an IP address (e.g. 192.168.5.4).".into(),
            ),
            NamingRule::ReservedPrefix { prefix } => lang.pick(
                format!("'{prefix}'로 시작하는 이름은 AWS가 예약해 두었습니다."),
                format!("Names starting with '{prefix}' are reserved by AWS."),
            ),
            NamingRule::ReservedSuffix { suffix } => lang.pick(
                format!("'{suffix}'로 끝나는 이름은 AWS가 예약해 두었습니다."),
                format!("Names ending with '{suffix}' are reserved by AWS."),
            ),
        }
    }
}

/// Four dot-separated groups of 1–3 digits: what S3 refuses as "formatted as an IP address".
fn ip_shaped(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks every naming rule; the first one broken is returned.
pub fn check(name: &str) -> Result<(), NamingRule> {
    let length = name.chars().count();
    if !(3..=63).contains(&length) {
        return Err(NamingRule::Length {
            length: length as u32,
        });
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(NamingRule::Character {
            character: c.to_string(),
        });
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Err(NamingRule::Edge);
    }
    if name.contains("..") {
        return Err(NamingRule::DoubleDot);
    }
    if ip_shaped(name) {
        return Err(NamingRule::IpAddress);
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(*p)) {
        return Err(NamingRule::ReservedPrefix {
            prefix: (*prefix).to_owned(),
        });
    }
    if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        return Err(NamingRule::ReservedSuffix {
            suffix: (*suffix).to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_pass() {
        for ok in [
            "abc",
            "my.bucket-1",
            "bucketdesk-sandbox-photos",
            "1.2.3",
            "1.2.3.4.5",
            "s3alias-first",
            "xn-single",
            &"a".repeat(63),
        ] {
            assert_eq!(check(ok), Ok(()), "{ok} is a valid bucket name");
        }
    }

    #[test]
    fn each_broken_rule_is_named() {
        let table: &[(&str, NamingRule)] = &[
            ("ab", NamingRule::Length { length: 2 }),
            (&"a".repeat(64), NamingRule::Length { length: 64 }),
            (
                "My-bucket",
                NamingRule::Character {
                    character: "M".into(),
                },
            ),
            (
                "my_bucket",
                NamingRule::Character {
                    character: "_".into(),
                },
            ),
            (
                "버킷이름",
                NamingRule::Character {
                    character: "버".into(),
                },
            ),
            ("-bucket", NamingRule::Edge),
            ("bucket.", NamingRule::Edge),
            ("my..bucket", NamingRule::DoubleDot),
            ("192.168.5.4", NamingRule::IpAddress),
            (
                "xn--bucket",
                NamingRule::ReservedPrefix {
                    prefix: "xn--".into(),
                },
            ),
            (
                "sthree-bucket",
                NamingRule::ReservedPrefix {
                    prefix: "sthree-".into(),
                },
            ),
            (
                "amzn-s3-demo-bucket",
                NamingRule::ReservedPrefix {
                    prefix: "amzn-s3-demo-".into(),
                },
            ),
            (
                "bucket-s3alias",
                NamingRule::ReservedSuffix {
                    suffix: "-s3alias".into(),
                },
            ),
            (
                "bucket--ol-s3",
                NamingRule::ReservedSuffix {
                    suffix: "--ol-s3".into(),
                },
            ),
            (
                "bucket.mrap",
                NamingRule::ReservedSuffix {
                    suffix: ".mrap".into(),
                },
            ),
            (
                "bucket--x-s3",
                NamingRule::ReservedSuffix {
                    suffix: "--x-s3".into(),
                },
            ),
            (
                "bucket--table-s3",
                NamingRule::ReservedSuffix {
                    suffix: "--table-s3".into(),
                },
            ),
        ];
        for (name, rule) in table {
            assert_eq!(check(name).as_ref(), Err(rule), "{name}");
        }
    }

    #[test]
    fn every_rule_has_its_own_message_in_both_languages() {
        let rules = [
            NamingRule::Length { length: 2 },
            NamingRule::Character {
                character: "_".into(),
            },
            NamingRule::Edge,
            NamingRule::DoubleDot,
            NamingRule::IpAddress,
            NamingRule::ReservedPrefix {
                prefix: "xn--".into(),
            },
            NamingRule::ReservedSuffix {
                suffix: ".mrap".into(),
            },
        ];
        for lang in [Language::Ko, Language::En] {
            let mut messages: Vec<String> = rules.iter().map(|r| r.describe(lang)).collect();
            messages.sort();
            messages.dedup();
            assert_eq!(
                messages.len(),
                rules.len(),
                "one message per rule ({lang:?})"
            );
        }
    }
}
