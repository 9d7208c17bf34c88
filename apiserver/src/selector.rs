//! Label and field selectors.
// Placeholder until the selector parser lands; the interface is the one it implements.
#![allow(missing_docs)]

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct LabelSelector(Vec<(String, String)>);
impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("unable to parse requirement: {part}"))?;
            out.push((k.trim().to_owned(), v.trim_start_matches('=').trim().to_owned()));
        }
        Ok(Self(out))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|(k, v)| labels.get(k) == Some(v))
    }
}

#[derive(Clone, Debug, Default)]
pub struct FieldSelector(Vec<(String, String, bool)>);
impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            if let Some((k, v)) = part.split_once("!=") {
                out.push((k.to_owned(), v.to_owned(), false));
            } else {
                let (k, v) = part.split_once('=').ok_or_else(|| format!("invalid selector: {part}"))?;
                out.push((k.to_owned(), v.trim_start_matches('=').to_owned(), true));
            }
        }
        Ok(Self(out))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _, _)| k.as_str()).collect()
    }
    pub fn matches(&self, value_of: &dyn Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|(k, v, eq)| (value_of(k).unwrap_or_default() == *v) == *eq)
    }
}
