//! Channel rules: an ordered list, first match wins, as in GA4's default channel grouping.
//!
//! A rule holds when all of its conditions hold; a condition tests one field (equals, contains,
//! regex, empty), case-insensitively. A row that no rule matches gets [`UNASSIGNED`].

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::config::{ChannelsConfig, RuleConfig};

/// Channel of rows that match no rule.
pub const UNASSIGNED: &str = "Unassigned";

/// Fields a source may always map, whether or not a rule tests them. `referrer_host`, when
/// a source does not map it, is the host of its `referrer` (see [`referrer_host`]).
pub const STANDARD_FIELDS: [&str; 6] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer",
    "click_id",
    "referrer_host",
];

/// The host of a referrer URL, lowercased and without a leading `www.`
/// (`https://www.Google.com/search?q=x` → `google.com`; `m.facebook.com/` → `m.facebook.com`).
pub fn referrer_host(referrer: &str) -> Option<String> {
    let referrer = referrer.trim();
    let parsed = url::Url::parse(referrer)
        .ok()
        .filter(|u| u.host_str().is_some())
        .or_else(|| url::Url::parse(&format!("https://{referrer}")).ok())?;
    let host = parsed.host_str()?.to_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

/// The shipped default rule set (GA4 default channel groups plus offline groups).
pub const DEFAULT_RULES_TOML: &str = include_str!("default_channel_rules.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleConfig>,
}

/// The default rules, parsed.
pub fn default_rules() -> Vec<RuleConfig> {
    // The file is part of the binary and covered by tests; failing here is a build defect.
    toml::from_str::<RuleFile>(DEFAULT_RULES_TOML)
        .expect("the shipped default channel rules parse")
        .rules
}

#[derive(Debug, Clone)]
enum Test {
    Equals(Vec<String>),
    Contains(Vec<String>),
    Regex(Regex),
    Empty(bool),
}

#[derive(Debug, Clone)]
struct Condition {
    field: usize,
    test: Test,
}

#[derive(Debug, Clone)]
struct Rule {
    channel: String,
    conditions: Vec<Condition>,
}

/// A compiled rule list.
#[derive(Debug, Clone)]
pub struct ChannelRules {
    rules: Vec<Rule>,
    fields: Vec<String>,
}

/// Checks one configured rule (exactly one test per condition, regexes compile).
pub fn check_rule(rule: &RuleConfig) -> Result<(), String> {
    let mut fields = Vec::new();
    compile_rule(rule, &mut fields).map(|_| ())
}

fn compile_rule(rule: &RuleConfig, fields: &mut Vec<String>) -> Result<Rule, String> {
    if rule.channel.get_ref().trim().is_empty() {
        return Err("`channel` is empty".into());
    }
    let mut conditions = Vec::new();
    for cond in &rule.when {
        let set = [
            cond.equals.is_some(),
            cond.contains.is_some(),
            cond.regex.is_some(),
            cond.empty.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if set != 1 {
            return Err(format!(
                "condition on field \"{}\" needs exactly one of equals, contains, regex, empty",
                cond.field
            ));
        }
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_lowercase()).collect();
        let test = if let Some(v) = &cond.equals {
            Test::Equals(lower(v.to_vec()))
        } else if let Some(v) = &cond.contains {
            Test::Contains(lower(v.to_vec()))
        } else if let Some(pattern) = &cond.regex {
            Test::Regex(
                RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| format!("regex on field \"{}\": {e}", cond.field))?,
            )
        } else {
            Test::Empty(cond.empty.unwrap_or(true))
        };
        let field = match fields.iter().position(|f| f == &cond.field) {
            Some(i) => i,
            None => {
                fields.push(cond.field.clone());
                fields.len() - 1
            }
        };
        conditions.push(Condition { field, test });
    }
    Ok(Rule {
        channel: rule.channel.get_ref().clone(),
        conditions,
    })
}

impl ChannelRules {
    /// Compiles the config's rules, followed by the defaults unless `use_defaults = false`.
    pub fn from_config(config: &ChannelsConfig) -> Result<ChannelRules, String> {
        let mut all = config.rules.clone();
        if config.use_defaults {
            all.extend(default_rules());
        }
        ChannelRules::compile(&all)
    }

    /// Compiles a rule list as given.
    pub fn compile(rules: &[RuleConfig]) -> Result<ChannelRules, String> {
        let mut fields: Vec<String> = STANDARD_FIELDS.iter().map(|f| f.to_string()).collect();
        let rules = rules
            .iter()
            .map(|r| compile_rule(r, &mut fields))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ChannelRules { rules, fields })
    }

    /// Whether some rule tests `field`.
    pub fn tests(&self, field: &str) -> bool {
        self.fields
            .iter()
            .position(|f| f == field)
            .is_some_and(|i| {
                self.rules
                    .iter()
                    .any(|r| r.conditions.iter().any(|c| c.field == i))
            })
    }

    /// The standard fields, then any other field the rules test, in the order `classify`
    /// expects their values.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// The channel for one row; `values[i]` is the value of `fields()[i]` (None when the
    /// source has no such field). Returns None when no rule matches.
    pub fn classify(&self, values: &[Option<&str>]) -> Option<&str> {
        let lowered: Vec<String> = values
            .iter()
            .map(|v| v.map(|s| s.trim().to_lowercase()).unwrap_or_default())
            .collect();
        self.rules
            .iter()
            .find(|rule| {
                rule.conditions.iter().all(|c| {
                    let value = lowered.get(c.field).map(String::as_str).unwrap_or("");
                    match &c.test {
                        Test::Empty(want_empty) => value.is_empty() == *want_empty,
                        // Non-empty tests never match an absent value.
                        _ if value.is_empty() => false,
                        Test::Equals(vals) => vals.iter().any(|v| v == value),
                        Test::Contains(vals) => vals.iter().any(|v| value.contains(v.as_str())),
                        Test::Regex(re) => re.is_match(value),
                    }
                })
            })
            .map(|rule| rule.channel.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> ChannelRules {
        ChannelRules::from_config(&ChannelsConfig::default()).expect("defaults compile")
    }

    fn classify(rules: &ChannelRules, pairs: &[(&str, &str)]) -> String {
        let values: Vec<Option<&str>> = rules
            .fields()
            .iter()
            .map(|f| pairs.iter().find(|(k, _)| k == f).map(|(_, v)| *v))
            .collect();
        rules.classify(&values).unwrap_or(UNASSIGNED).to_string()
    }

    #[test]
    fn default_rules_follow_ga4_groups() {
        let r = defaults();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "Direct"),
            (
                &[("utm_source", "(direct)"), ("utm_medium", "(none)")],
                "Direct",
            ),
            (
                &[("utm_source", "google"), ("utm_medium", "cpc")],
                "Paid Search",
            ),
            (
                &[("utm_source", "Bing"), ("utm_medium", "PPC")],
                "Paid Search",
            ),
            (
                &[("utm_source", "facebook"), ("utm_medium", "paid_social")],
                "Paid Social",
            ),
            (
                &[("utm_source", "youtube"), ("utm_medium", "cpv")],
                "Paid Video",
            ),
            (
                &[("utm_source", "dv360"), ("utm_medium", "display")],
                "Display",
            ),
            (
                &[("utm_source", "instagram"), ("utm_medium", "social")],
                "Organic Social",
            ),
            (
                &[("referrer", "https://www.facebook.com/")],
                "Organic Social",
            ),
            (
                &[("utm_source", "google"), ("utm_medium", "organic")],
                "Organic Search",
            ),
            (&[("referrer", "https://www.google.com/")], "Organic Search"),
            (
                &[("utm_source", "newsletter"), ("utm_medium", "email")],
                "Email",
            ),
            (
                &[("utm_source", "awin"), ("utm_medium", "affiliate")],
                "Affiliates",
            ),
            (&[("utm_source", "sms"), ("utm_medium", "text")], "SMS"),
            (
                &[("utm_source", "braze"), ("utm_medium", "push")],
                "Mobile Push",
            ),
            (&[("utm_medium", "pos")], "In-store"),
            (&[("utm_medium", "call_centre")], "Call Centre"),
            (&[("referrer", "https://blog.example.org/post")], "Referral"),
            (
                &[("utm_source", "partner"), ("utm_medium", "referral")],
                "Referral",
            ),
            (
                &[("utm_source", "somewhere"), ("utm_medium", "paid_other")],
                "Unassigned",
            ),
        ];
        for (pairs, want) in cases {
            assert_eq!(classify(&r, pairs), *want, "for {pairs:?}");
        }
    }

    #[test]
    fn first_match_wins_and_config_rules_come_first() {
        let cfg: ChannelsConfig = toml::from_str(
            r#"
            rules = [
              { channel = "Brand Search", when = [
                  { field = "utm_medium", equals = "cpc" },
                  { field = "utm_campaign", contains = ["brand"] } ] },
            ]
            "#,
        )
        .expect("parses");
        let r = ChannelRules::from_config(&cfg).expect("compiles");
        let brand = [
            ("utm_source", "google"),
            ("utm_medium", "cpc"),
            ("utm_campaign", "BRAND_uk"),
        ];
        assert_eq!(classify(&r, &brand), "Brand Search");
        let generic = [("utm_source", "google"), ("utm_medium", "cpc")];
        assert_eq!(classify(&r, &generic), "Paid Search");
    }

    #[test]
    fn replacing_the_defaults_leaves_unmatched_rows_unassigned() {
        let cfg: ChannelsConfig = toml::from_str(
            r#"
            use_defaults = false
            [[rules]]
            channel = "Email"
            when = [{ field = "utm_medium", regex = "^e-?mail$" }]
            "#,
        )
        .expect("parses");
        let r = ChannelRules::from_config(&cfg).expect("compiles");
        assert_eq!(classify(&r, &[("utm_medium", "E-Mail")]), "Email");
        assert_eq!(classify(&r, &[("utm_medium", "cpc")]), "Unassigned");
        assert_eq!(classify(&r, &[]), "Unassigned");
    }

    #[test]
    fn an_empty_condition_list_is_a_catch_all() {
        let cfg: ChannelsConfig = toml::from_str(
            r#"
            use_defaults = false
            rules = [{ channel = "Everything" }]
            "#,
        )
        .expect("parses");
        let r = ChannelRules::from_config(&cfg).expect("compiles");
        assert_eq!(classify(&r, &[]), "Everything");
    }

    #[test]
    fn bad_rules_are_refused_with_the_field_named() {
        let two: ChannelsConfig = toml::from_str(
            r#"rules = [{ channel = "X", when = [{ field = "utm_source", equals = "a", regex = "b" }] }]"#,
        )
        .expect("parses");
        let err = ChannelRules::from_config(&two).expect_err("two tests");
        assert!(err.contains("utm_source"), "{err}");
        let bad_re: ChannelsConfig = toml::from_str(
            r#"rules = [{ channel = "X", when = [{ field = "referrer", regex = "(" }] }]"#,
        )
        .expect("parses");
        let err = ChannelRules::from_config(&bad_re).expect_err("bad regex");
        assert!(err.contains("referrer"), "{err}");
    }
}
