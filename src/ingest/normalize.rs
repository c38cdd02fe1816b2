//! Identifier normalisation per kind, so that the same person's identifiers match across
//! exports: `Person0@Example.com ` in one and `person0@example.com` in another, `+44 20 7946
//! 0958` and `020 7946 0958`, a raw e-mail in the shop's export and its SHA-256 in the CRM.
//!
//! Hashed kinds (`email_sha256`, `phone_sha256`) follow the ad platforms' hashed-match
//! convention: lowercase hex SHA-256 of the normalised e-mail (trimmed, lowercased) or of the
//! phone number in E.164 (`+441234567890`). A value that is already a 64-character hex digest
//! is only lowercased; anything else in such a column is taken as the raw value and hashed.

use std::borrow::Cow;

use phonenumber::country;

use super::junk::JunkFilter;
use super::privacy::sha256_hex;
use crate::config::Config;
use crate::error::{Error, Result};

/// How the values of one identity kind are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Leading and trailing white space removed (every kind's default).
    Trim,
    /// Trimmed and lowercased.
    Lowercase,
    /// An e-mail address: trimmed and lowercased.
    Email,
    /// A phone number in E.164 (`+` and digits); a value that is not a valid number (for the
    /// default region, when it has no country code) is kept trimmed.
    Phone,
    /// SHA-256 of the normalised e-mail (the default of `email_sha256`).
    EmailSha256,
    /// SHA-256 of the phone number in E.164 (the default of `phone_sha256`).
    PhoneSha256,
}

impl Rule {
    /// The rule named in the config.
    pub fn parse(name: &str) -> std::result::Result<Rule, String> {
        Ok(match name {
            "trim" => Rule::Trim,
            "lowercase" => Rule::Lowercase,
            "email" => Rule::Email,
            "phone" => Rule::Phone,
            "email_sha256" => Rule::EmailSha256,
            "phone_sha256" => Rule::PhoneSha256,
            other => {
                return Err(format!(
                    "\"{other}\" is not a normalisation: use trim, lowercase, email, phone, email_sha256 or phone_sha256"
                ))
            }
        })
    }

    /// The rule a kind gets when the config names none.
    fn default_for(kind: &str) -> Rule {
        match kind {
            "email_sha256" => Rule::EmailSha256,
            "phone_sha256" => Rule::PhoneSha256,
            _ => Rule::Trim,
        }
    }
}

/// The normalisation of every identity kind of a load.
#[derive(Debug, Clone)]
pub struct Normalizer {
    /// Per kind slot (the load's `id_kinds`).
    rules: Vec<Rule>,
    /// Region of phone numbers written without a country code.
    region: Option<country::Id>,
    /// Junk is left as it is (hashing "undefined" would make it a real-looking identifier).
    junk: JunkFilter,
}

impl Normalizer {
    /// The config's rules (`[identity] normalize`, `phone_region`) for the kinds `id_kinds`.
    pub fn from_config(config: &Config, id_kinds: &[String]) -> Result<Normalizer> {
        let c = &config.identity;
        let error = |message: String| Error::Config {
            path: config.path.clone(),
            message: format!("identity: {message}"),
        };
        let known = config.id_kinds();
        for kind in c.normalize.keys() {
            if !known.contains(kind) {
                return Err(error(format!(
                    "normalize: unknown identity kind \"{kind}\" (known: {})",
                    known.join(", ")
                )));
            }
        }
        let rules = id_kinds
            .iter()
            .map(|kind| match c.normalize.get(kind) {
                Some(name) => {
                    Rule::parse(name).map_err(|e| error(format!("normalize.{kind}: {e}")))
                }
                None => Ok(Rule::default_for(kind)),
            })
            .collect::<Result<Vec<_>>>()?;
        let region = match &c.phone_region {
            Some(r) => Some(r.to_ascii_uppercase().parse::<country::Id>().map_err(|_| {
                error(format!(
                    "phone_region: \"{r}\" is not a two-letter region code (e.g. US, GB, DE)"
                ))
            })?),
            None => None,
        };
        Ok(Normalizer {
            rules,
            region,
            junk: JunkFilter::from_config(config)?,
        })
    }

    /// The rule of kind `slot` (the load's `id_kinds`).
    pub fn rule(&self, slot: usize) -> Rule {
        self.rules.get(slot).copied().unwrap_or(Rule::Trim)
    }

    /// The junk values left as they are.
    pub fn junk(&self) -> &JunkFilter {
        &self.junk
    }

    /// Whether every kind is only trimmed (then cells need no further work).
    pub fn is_trim_only(&self) -> bool {
        self.rules.iter().all(|r| *r == Rule::Trim)
    }

    /// The normalised value of a trimmed, non-empty identifier of kind `slot`.
    pub fn apply<'a>(&self, slot: usize, value: Cow<'a, str>) -> Cow<'a, str> {
        let rule = self.rules.get(slot).copied().unwrap_or(Rule::Trim);
        match rule {
            Rule::Trim => value,
            // Most cells of hashed kinds are digests already: no junk check, no hashing.
            Rule::EmailSha256 | Rule::PhoneSha256 if is_hex_digest(&value) => lowercase(value),
            _ if self.junk.is_junk(&value) => value,
            Rule::Lowercase | Rule::Email => lowercase(value),
            Rule::Phone => match self.e164(&value) {
                Some(phone) => Cow::Owned(phone),
                None => value,
            },
            Rule::EmailSha256 => Cow::Owned(sha256_hex(&[lowercase(value).as_bytes()])),
            Rule::PhoneSha256 => {
                let phone = self.e164(&value).unwrap_or_else(|| value.to_string());
                Cow::Owned(sha256_hex(&[phone.as_bytes()]))
            }
        }
    }

    /// A phone number in E.164, when it parses as a valid number (with the default region
    /// for national ones).
    fn e164(&self, text: &str) -> Option<String> {
        let number = phonenumber::parse(self.region, text).ok()?;
        if !phonenumber::is_valid(&number) {
            return None;
        }
        Some(number.format().mode(phonenumber::Mode::E164).to_string())
    }
}

/// The value lowercased, borrowed when it already is.
fn lowercase(value: Cow<'_, str>) -> Cow<'_, str> {
    if value.chars().any(char::is_uppercase) {
        Cow::Owned(value.to_lowercase())
    } else {
        value
    }
}

/// A SHA-256 written as 64 hex digits (either case).
fn is_hex_digest(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalizer(rules: &[Rule], region: Option<country::Id>) -> Normalizer {
        Normalizer {
            rules: rules.to_vec(),
            region,
            junk: JunkFilter::from_config(&Config::parse(
                "[[sources]]\nname = \"s\"\npath = \"x.csv\"\nkind = \"identity\"\nids = { user_id = \"a\", cookie_id = \"b\" }\n",
                std::path::Path::new("omnitouch.toml"),
            ).expect("config"))
            .expect("junk filter"),
        }
    }

    fn apply(n: &Normalizer, slot: usize, text: &str) -> String {
        n.apply(slot, Cow::Borrowed(text)).into_owned()
    }

    #[test]
    fn emails_differing_in_case_become_one() {
        let n = normalizer(&[Rule::Email], None);
        assert_eq!(apply(&n, 0, "Person0@Example.com"), "person0@example.com");
        assert_eq!(apply(&n, 0, "person0@example.com"), "person0@example.com");
    }

    #[test]
    fn hashed_emails_follow_the_hashed_match_convention() {
        let n = normalizer(&[Rule::EmailSha256], None);
        // SHA-256 of "test@example.com", the normalised form of the raw value.
        let digest = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
        assert_eq!(apply(&n, 0, "Test@Example.com"), digest);
        // An existing digest is kept, lowercased, so both exports link.
        assert_eq!(apply(&n, 0, &digest.to_uppercase()), digest);
        assert_eq!(apply(&n, 0, digest), digest);
        // Junk stays junk: hashing it would make it link strangers.
        assert_eq!(apply(&n, 0, "undefined"), "undefined");
    }

    #[test]
    fn phones_become_e164_with_the_default_region() {
        let n = normalizer(&[Rule::Phone, Rule::PhoneSha256], Some(country::Id::GB));
        assert_eq!(apply(&n, 0, "020 7946 0958"), "+442079460958");
        assert_eq!(apply(&n, 0, "+44 20 7946 0958"), "+442079460958");
        assert_eq!(apply(&n, 0, "12"), "12", "not a valid number: kept");
        assert_eq!(apply(&n, 0, "+1 650-253-0000"), "+16502530000");
        assert_eq!(
            apply(&n, 1, "020 7946 0958"),
            sha256_hex(&[b"+442079460958"]),
            "hashed after E.164"
        );
    }

    #[test]
    fn other_kinds_are_only_trimmed_and_rules_parse_by_name() {
        let n = normalizer(&[Rule::Trim], None);
        assert_eq!(apply(&n, 0, "GA1.2.3.4"), "GA1.2.3.4");
        assert!(n.is_trim_only());
        assert_eq!(Rule::parse("phone_sha256"), Ok(Rule::PhoneSha256));
        assert!(Rule::parse("upper").is_err());
        assert_eq!(Rule::default_for("email_sha256"), Rule::EmailSha256);
        assert_eq!(Rule::default_for("cookie_id"), Rule::Trim);
    }
}
