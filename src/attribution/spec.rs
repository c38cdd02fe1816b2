//! Model specs: which base model, with which parameters, under which name.
//!
//! A model is chosen by name (`linear`, `u_shaped`), with inline parameters
//! (`markov:order=3`, `position_based:first=0.3,last=0.5`), or by spec files
//! (`name`, `model`, `description`, `params`). The specs in the repository's `models/` folder
//! are built into the binary; `--models-dir` adds a folder of more.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// A parameter of a base model.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    /// Name.
    pub name: &'static str,
    /// Default, as text.
    pub default: &'static str,
    /// What it means.
    pub help: &'static str,
}

/// A base model.
#[derive(Debug, Clone, Copy)]
pub struct BaseModel {
    /// Name.
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Its parameters.
    pub params: &'static [ParamDef],
    /// Needs touch times (journeys), not just a path table.
    pub needs_times: bool,
    /// A conversion's credit depends on its own journey only, so that the model run on one
    /// journey gives that journey's split (see [`super::per_conversion`]).
    pub path_local: bool,
    /// Run only when named: left out of "every model" (the default when no model is chosen).
    pub opt_in: bool,
}

/// Every base model.
pub const BASE_MODELS: [BaseModel; 10] = [
    BaseModel {
        name: "first_touch",
        description: "all credit to the first touch",
        params: &[],
        needs_times: false,
        path_local: true,
        opt_in: false,
    },
    BaseModel {
        name: "last_touch",
        description: "all credit to the last touch",
        params: &[],
        needs_times: false,
        path_local: true,
        opt_in: false,
    },
    BaseModel {
        name: "last_non_direct",
        description: "all credit to the last touch that is not Direct (an all-Direct path goes to Direct)",
        params: &[ParamDef {
            name: "direct",
            default: "Direct",
            help: "name of the direct channel",
        }],
        needs_times: false,
        path_local: true,
        opt_in: false,
    },
    BaseModel {
        name: "linear",
        description: "equal credit to every touch; repeated touches count",
        params: &[],
        needs_times: false,
        path_local: true,
        opt_in: false,
    },
    BaseModel {
        name: "position_based",
        description: "first and last touches get fixed shares, the middle touches split the rest",
        params: &[
            ParamDef {
                name: "first",
                default: "0.4",
                help: "share of the first touch",
            },
            ParamDef {
                name: "last",
                default: "0.4",
                help: "share of the last touch",
            },
        ],
        needs_times: false,
        path_local: true,
        opt_in: false,
    },
    BaseModel {
        name: "time_decay",
        description: "weight 2^(-time before conversion / half-life), normalised per journey",
        params: &[ParamDef {
            name: "half_life",
            default: "7d",
            help: "half-life: a number of days, or with a unit (90m, 12h, 7d)",
        }],
        needs_times: true,
        path_local: true,
        opt_in: false,
    },
    BaseModel {
        name: "markov",
        description: "removal effects on an order-k Markov chain, solved exactly",
        params: &[ParamDef {
            name: "order",
            default: "1",
            help: "states are runs of this many consecutive channels (1 to 6)",
        }],
        needs_times: false,
        path_local: false,
        opt_in: false,
    },
    BaseModel {
        name: "shapley",
        description: "Shapley values over channel sets (simplified, or the conversion-rate game)",
        params: &[ParamDef {
            name: "value",
            default: "conversions",
            help: "conversions (Zhao et al. 2018 simplified) or conversion_rate (exact game)",
        }],
        needs_times: false,
        path_local: false,
        opt_in: false,
    },
    BaseModel {
        name: "shao_li",
        description: "Shao & Li (2011) probabilistic model: first- and second-order conditional conversion probabilities",
        params: &[],
        needs_times: false,
        path_local: false,
        opt_in: false,
    },
    BaseModel {
        name: "data_driven",
        description: "a logistic conversion model fitted on the journeys (channel presence, touches, last touch), credit by its Shapley values",
        params: &[
            ParamDef {
                name: "l2",
                default: "1",
                help: "weight of the L2 penalty on the channel coefficients (0: none)",
            },
            ParamDef {
                name: "seed",
                default: "0",
                help: "seed of the Shapley values estimated for paths of more than 20 channels",
            },
        ],
        needs_times: false,
        path_local: false,
        opt_in: true,
    },
];

/// The base model of this name.
pub fn base(name: &str) -> Option<&'static BaseModel> {
    BASE_MODELS.iter().find(|b| b.name == name)
}

/// A model to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The name shown in reports.
    pub name: String,
    /// Base model.
    pub base: String,
    /// Parameters, as text.
    pub params: BTreeMap<String, String>,
    /// What it does.
    pub description: String,
    /// Where it comes from: `built-in`, `shipped`, or a file.
    pub origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: String,
    model: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
}

/// The specs in the repository's `models/` folder, built in.
const SHIPPED: [(&str, &str); 7] = [
    (
        "models/u-shaped.toml",
        include_str!("../../models/u-shaped.toml"),
    ),
    (
        "models/j-shaped.toml",
        include_str!("../../models/j-shaped.toml"),
    ),
    (
        "models/inverse-j.toml",
        include_str!("../../models/inverse-j.toml"),
    ),
    (
        "models/time-decay-7d.toml",
        include_str!("../../models/time-decay-7d.toml"),
    ),
    (
        "models/markov-order-2.toml",
        include_str!("../../models/markov-order-2.toml"),
    ),
    (
        "models/markov-order-3.toml",
        include_str!("../../models/markov-order-3.toml"),
    ),
    (
        "models/shapley-conversion-rate.toml",
        include_str!("../../models/shapley-conversion-rate.toml"),
    ),
];

fn parse_file(text: &str, origin: &str, path: &Path) -> Result<ModelSpec> {
    let err = |message: String| Error::Config {
        path: path.to_path_buf(),
        message,
    };
    let file: SpecFile =
        toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
    let params = file
        .params
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                toml::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    if file.name.trim().is_empty() || file.name.contains([':', ',', '=']) {
        return Err(err(format!(
            "\"{}\" is not a model name: it must not be empty or contain : , =",
            file.name
        )));
    }
    let spec = ModelSpec {
        name: file.name,
        base: file.model,
        params,
        description: file.description,
        origin: origin.to_string(),
    };
    check(&spec).map_err(err)?;
    Ok(spec)
}

/// Checks a spec's base model and parameter names (values are checked when it is built).
fn check(spec: &ModelSpec) -> std::result::Result<(), String> {
    let b = base(&spec.base).ok_or_else(|| {
        format!(
            "model \"{}\": \"{}\" is not a base model (base models: {})",
            spec.name,
            spec.base,
            BASE_MODELS.map(|b| b.name).join(", ")
        )
    })?;
    for p in spec.params.keys() {
        if !b.params.iter().any(|d| d.name == p) {
            let known: Vec<&str> = b.params.iter().map(|d| d.name).collect();
            return Err(format!(
                "model \"{}\": {} has no parameter \"{p}\" (parameters: {})",
                spec.name,
                b.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    Ok(())
}

/// Every model that can be named: base models, shipped specs, and specs from folders.
#[derive(Debug, Clone)]
pub struct Catalogue {
    specs: Vec<ModelSpec>,
}

impl Catalogue {
    /// Base models and shipped specs, plus every `*.toml` in `dirs` (later ones override
    /// earlier ones of the same name).
    pub fn load(dirs: &[PathBuf]) -> Result<Catalogue> {
        let mut specs: Vec<ModelSpec> = BASE_MODELS
            .iter()
            .map(|b| ModelSpec {
                name: b.name.to_string(),
                base: b.name.to_string(),
                params: BTreeMap::new(),
                description: b.description.to_string(),
                origin: "built-in".into(),
            })
            .collect();
        for (path, text) in SHIPPED {
            specs.push(parse_file(text, "shipped", Path::new(path))?);
        }
        for dir in dirs {
            let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for f in files {
                let text = crate::files::read_to_string(&f)?;
                let spec = parse_file(&text, &f.display().to_string(), &f)?;
                specs.retain(|s| s.name != spec.name);
                specs.push(spec);
            }
        }
        Ok(Catalogue { specs })
    }

    /// Every spec, base models first.
    pub fn specs(&self) -> &[ModelSpec] {
        &self.specs
    }

    /// Resolves `name` or `name:key=value,key=value`.
    pub fn resolve(&self, text: &str) -> Result<ModelSpec> {
        self.resolve_as(text, "--model")
    }

    /// [`Catalogue::resolve`], naming `origin` (a flag or a config key) in errors.
    pub fn resolve_as(&self, text: &str, origin: &str) -> Result<ModelSpec> {
        let err = |message: String| Error::Config {
            path: PathBuf::from(origin),
            message,
        };
        let (name, inline) = match text.split_once(':') {
            Some((n, p)) => (n.trim(), Some(p)),
            None => (text.trim(), None),
        };
        let mut spec = self
            .specs
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
                let hint = closest(name, &names)
                    .map(|c| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                err(format!(
                    "unknown model \"{name}\"{hint}; `omnitouch models` lists them ({})",
                    names.join(", ")
                ))
            })?;
        if let Some(inline) = inline {
            for pair in inline.split(',').filter(|p| !p.trim().is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| err(format!("\"{pair}\" in \"{text}\" is not key=value")))?;
                spec.params
                    .insert(k.trim().to_string(), v.trim().to_string());
            }
            spec.name = text.trim().to_string();
            spec.origin = "command line".into();
        }
        check(&spec).map_err(err)?;
        Ok(spec)
    }
}

/// The name closest to `name` by edit distance, when close enough to be a typo.
fn closest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (strsim::levenshtein(name, n), *n))
        .filter(|(d, n)| *d <= 3.max(n.len() / 4))
        .min()
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_model_name_gets_the_nearest_as_a_suggestion() {
        let names = ["last_touch", "first_touch", "markov", "shapley"];
        assert_eq!(closest("last_tuoch", &names), Some("last_touch"));
        assert_eq!(closest("markow", &names), Some("markov"));
        assert_eq!(closest("regression", &names), None);
    }

    #[test]
    fn shipped_specs_load_and_resolve_with_overrides() {
        let c = Catalogue::load(&[]).expect("loads");
        let u = c.resolve("u_shaped").expect("u_shaped");
        assert_eq!(u.base, "position_based");
        assert_eq!(u.params["first"], "0.4");
        let m = c.resolve("markov:order=3").expect("inline");
        assert_eq!(
            (m.name.as_str(), m.params["order"].as_str()),
            ("markov:order=3", "3")
        );
        let j = c.resolve("j_shaped:first=0.1").expect("override");
        assert_eq!(
            (j.params["first"].as_str(), j.params["last"].as_str()),
            ("0.1", "0.6")
        );
    }

    #[test]
    fn unknown_models_and_parameters_are_named() {
        let c = Catalogue::load(&[]).expect("loads");
        let e = c.resolve("markv").expect_err("unknown").to_string();
        assert!(e.contains("markv") && e.contains("markov"), "{e}");
        let e = c
            .resolve("markov:ordr=2")
            .expect_err("bad param")
            .to_string();
        assert!(e.contains("ordr") && e.contains("order"), "{e}");
        let e = c.resolve("linear:x").expect_err("not k=v").to_string();
        assert!(e.contains("key=value"), "{e}");
    }
}
