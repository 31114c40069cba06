//! Role mapping (S12): an organization's JSON path (RFC 9535) into what its
//! IdP sent and a table of values to hub roles. Parsing checks every limit;
//! evaluation is pure: claims in, the most privileged matching role out.

use orgsso_core::{FieldError, Role};
use serde_json::Value;
use serde_json_path::JsonPath;
use std::collections::BTreeMap;

/// Most entries a mapping table may hold: far beyond any real IdP's groups,
/// small enough that every sign-in evaluates it at no cost.
pub const MAX_ENTRIES: usize = 500;
/// Longest JSON path accepted.
pub const MAX_PATH_CHARS: usize = 1024;
/// Longest value accepted in the table (group names, role names).
pub const MAX_VALUE_CHARS: usize = 256;
/// Deepest nesting of brackets and parentheses in a path. The parser recurses
/// per level, and a few hundred levels exhaust a worker's stack; real
/// paths nest two or three.
pub const MAX_PATH_NESTING: usize = 16;

/// A checked role mapping: the path parses, every role is known, and at
/// least one value maps to `admin`, so an organization cannot map itself
/// out of administrators.
#[derive(Clone, Debug)]
pub struct RoleMapping {
    path_text: String,
    path: JsonPath,
    roles: BTreeMap<String, Role>,
}

/// What a mapping found in one sign-in's claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleMatch {
    /// The most privileged role among the matching values.
    pub role: Role,
    /// Every value the path found that the table lists, in the order found.
    pub values: Vec<String>,
}

impl RoleMapping {
    /// Checks a mapping as an admin submits it. `entries` are (value, role)
    /// pairs; a value listed under several roles keeps the most privileged,
    /// which is what evaluation would give anyway.
    pub fn parse(path: &str, entries: &[(String, String)]) -> Result<Self, FieldError> {
        let path_text = path.trim();
        if path_text.chars().count() > MAX_PATH_CHARS {
            return Err(FieldError::new(
                "path",
                format!("must be at most {MAX_PATH_CHARS} characters"),
            ));
        }
        if path_text.is_empty() {
            return Err(FieldError::new(
                "path",
                "must be a JSON path such as $.groups[*]",
            ));
        }
        if nesting(path_text) > MAX_PATH_NESTING {
            return Err(FieldError::new(
                "path",
                format!("must nest brackets and parentheses at most {MAX_PATH_NESTING} deep"),
            ));
        }
        let parsed = JsonPath::parse(path_text).map_err(|e| {
            FieldError::new("path", format!("is not a valid JSON path (RFC 9535): {e}"))
        })?;
        if entries.len() > MAX_ENTRIES {
            return Err(FieldError::new(
                "roles",
                format!("must have at most {MAX_ENTRIES} entries"),
            ));
        }
        let mut roles: BTreeMap<String, Role> = BTreeMap::new();
        for (value, role) in entries {
            if value.is_empty() {
                return Err(FieldError::new("roles", "a value must not be empty"));
            }
            if value.chars().count() > MAX_VALUE_CHARS {
                return Err(FieldError::new(
                    "roles",
                    format!("each value must be at most {MAX_VALUE_CHARS} characters"),
                ));
            }
            let role: Role = role.trim().parse().map_err(|_| {
                FieldError::new(
                    "roles",
                    format!(
                        "{}: unknown role {:?}; use read, contributor, write or admin",
                        shorten(value),
                        shorten(role)
                    ),
                )
            })?;
            let slot = roles.entry(value.clone()).or_insert(role);
            *slot = (*slot).max(role);
        }
        if !roles.values().any(|r| *r == Role::Admin) {
            return Err(FieldError::new(
                "roles",
                "at least one value must map to admin",
            ));
        }
        Ok(Self {
            path_text: path_text.to_owned(),
            path: parsed,
            roles,
        })
    }

    /// The mapping as stored: its path, and its table as a JSON object.
    pub fn to_stored(&self) -> (String, String) {
        let table: serde_json::Map<String, Value> = self
            .roles
            .iter()
            .map(|(value, role)| (value.clone(), Value::String(role.as_str().to_owned())))
            .collect();
        (self.path_text.clone(), Value::Object(table).to_string())
    }

    /// Reads a stored mapping back; `None` if it no longer parses (the
    /// caller reports that as corrupt data, never as "no mapping").
    pub fn from_stored(path: &str, roles_json: &str) -> Option<Self> {
        let table: BTreeMap<String, String> = serde_json::from_str(roles_json).ok()?;
        let entries: Vec<(String, String)> = table.into_iter().collect();
        Self::parse(path, &entries).ok()
    }

    pub fn path(&self) -> &str {
        &self.path_text
    }

    pub fn roles(&self) -> &BTreeMap<String, Role> {
        &self.roles
    }

    /// The role `claims` earn: the most privileged role of every value the
    /// path finds that the table lists; `None` when nothing matches (the
    /// organization's default role then applies). Strings, numbers and
    /// booleans compare by their text; an array the path lands on counts
    /// its scalar items, so `$.groups` works like `$.groups[*]`.
    pub fn evaluate(&self, claims: &Value) -> Option<RoleMatch> {
        let mut best: Option<Role> = None;
        let mut values: Vec<String> = Vec::new();
        let mut consider = |node: &Value| {
            let Some(text) = scalar_text(node) else {
                return;
            };
            if let Some(role) = self.roles.get(&text) {
                best = Some(best.map_or(*role, |b| b.max(*role)));
                if !values.contains(&text) {
                    values.push(text);
                }
            }
        };
        for node in self.path.query(claims).all() {
            match node {
                Value::Array(items) => items.iter().for_each(&mut consider),
                other => consider(other),
            }
        }
        best.map(|role| RoleMatch { role, values })
    }
}

/// The deepest nesting of `[` and `(`, string literals included: an upper
/// bound of the parser's recursion that no quoting can hide from.
fn nesting(path: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in path.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Echoes at most 64 characters of a refused input in a message.
fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Reads the table as an admin types it: one `value = role` per line
/// (the last `=` splits, so values may contain `=`); blank lines are skipped.
pub fn parse_role_lines(raw: &str) -> Result<Vec<(String, String)>, FieldError> {
    let mut entries = Vec::new();
    for (n, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((value, role)) = line.rsplit_once('=') else {
            return Err(FieldError::new(
                "roles",
                format!("line {}: write one `value = role` per line", n + 1),
            ));
        };
        entries.push((value.trim().to_owned(), role.trim().to_owned()));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use Role::*;

    fn mapping(path: &str, entries: &[(&str, &str)]) -> RoleMapping {
        let entries: Vec<(String, String)> = entries
            .iter()
            .map(|(v, r)| (v.to_string(), r.to_string()))
            .collect();
        RoleMapping::parse(path, &entries).unwrap()
    }

    fn found(role: Role, values: &[&str]) -> Option<RoleMatch> {
        Some(RoleMatch {
            role,
            values: values.iter().map(|v| v.to_string()).collect(),
        })
    }

    #[test]
    fn evaluation_gives_the_most_privileged_matching_role() {
        let groups = mapping(
            "$.groups[*]",
            &[("eng-admins", "admin"), ("eng", "write"), ("staff", "read")],
        );
        let nested = mapping(
            "$.org.teams[*].name",
            &[("platform", "admin"), ("docs", "contributor")],
        );
        let whole_array = mapping("$.groups", &[("root", "admin"), ("dev", "write")]);
        let scalars = mapping(
            "$.level",
            &[("7", "admin"), ("true", "write"), ("gold", "contributor")],
        );
        let several = mapping("$.groups[*]", &[("ops", "read"), ("ops", "admin")]);
        for (name, map, claims, expected) in [
            (
                "multi-valued",
                &groups,
                json!({"groups": ["staff", "eng", "other"]}),
                found(Write, &["staff", "eng"]),
            ),
            (
                "multi-valued with admin",
                &groups,
                json!({"groups": ["eng", "eng-admins", "staff"]}),
                found(Admin, &["eng", "eng-admins", "staff"]),
            ),
            (
                "single string claim",
                &mapping("$.role", &[("boss", "admin")]),
                json!({"role": "boss"}),
                found(Admin, &["boss"]),
            ),
            ("no match", &groups, json!({"groups": ["sales"]}), None),
            ("claim missing", &groups, json!({"sub": "x"}), None),
            (
                "claim of another type",
                &groups,
                json!({"groups": {"eng": 1}}),
                None,
            ),
            (
                "nested arrays of objects",
                &nested,
                json!({"org": {"teams": [{"name": "docs"}, {"name": "platform"}]}}),
                found(Admin, &["docs", "platform"]),
            ),
            (
                "arrays of objects, no match",
                &nested,
                json!({"org": {"teams": [{"name": "sales"}, {"id": "platform"}]}}),
                None,
            ),
            (
                "an array the path lands on counts its items",
                &whole_array,
                json!({"groups": ["dev", "root"]}),
                found(Admin, &["dev", "root"]),
            ),
            (
                "number",
                &scalars,
                json!({"level": 7}),
                found(Admin, &["7"]),
            ),
            (
                "boolean",
                &scalars,
                json!({"level": true}),
                found(Write, &["true"]),
            ),
            (
                "a value listed under several roles gives the most privileged",
                &several,
                json!({"groups": ["ops"]}),
                found(Admin, &["ops"]),
            ),
            (
                "repeated values are reported once",
                &groups,
                json!({"groups": ["eng", "eng"]}),
                found(Write, &["eng"]),
            ),
            (
                "SAML attributes",
                &mapping(
                    "$.attributes.eduPersonAffiliation[*]",
                    &[("faculty", "admin"), ("member", "read")],
                ),
                json!({"nameId": "u1", "attributes": {"eduPersonAffiliation": ["member", "student"]}}),
                found(Read, &["member"]),
            ),
        ] {
            assert_eq!(map.evaluate(&claims), expected, "{name}");
        }
    }

    #[test]
    fn bad_mappings_are_refused_naming_the_field() {
        let long_value = "v".repeat(MAX_VALUE_CHARS + 1);
        let long_path = format!("$.{}", "a".repeat(MAX_PATH_CHARS));
        // Deep enough to exhaust a worker's stack if it were parsed.
        let deep_path = format!("$[?{}@.a{}]", "@[?".repeat(300), "]".repeat(300));
        let many: Vec<(String, String)> = (0..=MAX_ENTRIES)
            .map(|i| (format!("g{i}"), "admin".to_owned()))
            .collect();
        let pairs = |e: &[(&str, &str)]| -> Vec<(String, String)> {
            e.iter()
                .map(|(v, r)| (v.to_string(), r.to_string()))
                .collect()
        };
        for (name, path, entries, field) in [
            (
                "unparsable path",
                "$.groups[",
                pairs(&[("a", "admin")]),
                "path",
            ),
            ("not a path", "groups", pairs(&[("a", "admin")]), "path"),
            ("empty path", " ", pairs(&[("a", "admin")]), "path"),
            (
                "path too long",
                long_path.as_str(),
                pairs(&[("a", "admin")]),
                "path",
            ),
            (
                "path nested too deep",
                deep_path.as_str(),
                pairs(&[("a", "admin")]),
                "path",
            ),
            (
                "unknown role",
                "$.g",
                pairs(&[("a", "admin"), ("b", "owner")]),
                "roles",
            ),
            ("no admin", "$.g", pairs(&[("a", "write")]), "roles"),
            ("empty table", "$.g", pairs(&[]), "roles"),
            ("empty value", "$.g", pairs(&[("", "admin")]), "roles"),
            (
                "value too long",
                "$.g",
                vec![(long_value.clone(), "admin".to_owned())],
                "roles",
            ),
            ("too many entries", "$.g", many.clone(), "roles"),
        ] {
            let err = RoleMapping::parse(path, &entries).unwrap_err();
            assert_eq!(err.field, field, "{name}: {err:?}");
        }
    }

    #[test]
    fn a_mapping_round_trips_through_its_stored_form() {
        let original = mapping("$.groups[*]", &[("a", "admin"), ("b", "write")]);
        let (path, roles) = original.to_stored();
        let back = RoleMapping::from_stored(&path, &roles).unwrap();
        assert_eq!(back.path(), "$.groups[*]");
        assert_eq!(back.roles(), original.roles());
        assert!(RoleMapping::from_stored(&path, "not json").is_none());
    }

    #[test]
    fn nesting_counts_every_bracket_and_parenthesis() {
        for (path, depth) in [
            ("$.groups[*]", 1),
            ("$[?(@.a == 1)]", 2),
            ("$['a[[[']", 4),
            ("$[?@[?@[?@.a]]]", 3),
        ] {
            assert_eq!(nesting(path), depth, "{path}");
        }
        let sixteen = format!("$[?{}@.a == 1{}]", "(".repeat(15), ")".repeat(15));
        assert!(RoleMapping::parse(&sixteen, &[("a".into(), "admin".into())]).is_ok());
    }
}
