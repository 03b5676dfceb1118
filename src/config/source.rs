//! The model text and where it came from: reading a file (UTF-8 checked),
//! `--set dotted.path=value` overrides that keep the text's layout, and
//! parse errors located at the file, line and key.

use crate::error::ModelError;

use super::ModelFile;

/// The model text after overrides, kept with its file name for error messages.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user gave it.
    pub file: String,
    /// The TOML text the model was parsed from (overrides applied).
    pub text: String,
}

impl Source {
    /// Reads a model file.
    pub fn read(path: &std::path::Path) -> Result<Source, ModelError> {
        Source::read_as(path, "model file", "models shipped with capsim are in models/")
    }

    /// Reads a file of the kind `what` ("experiment file"), with `where_` as
    /// the hint for a path that does not exist. Text that is not UTF-8 is
    /// reported at its first bad byte.
    pub fn read_as(path: &std::path::Path, what: &str, where_: &str) -> Result<Source, ModelError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| {
            ModelError::new(&file, format!("cannot read the {what}: {e}"))
                .with_hint(format!("check the path; {where_}"))
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let byte = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
            let bad = e.as_bytes()[good.len()];
            let mut err = ModelError::new(
                &file,
                format!("the {what} is not UTF-8 text: byte {byte} of line {line} is 0x{bad:02X}"),
            );
            err.line = Some(line);
            err.with_hint("save the file as UTF-8 (most editors offer it under \"Save as\" or \"Encoding\")")
        })?;
        Ok(Source { file, text })
    }

    /// An error at a span of this source.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> ModelError {
        ModelError::at(&self.file, &self.text, Some(span), message)
    }

    /// Applies `--set path=value` overrides, keeping the text's layout so
    /// later errors still point at the user's lines.
    pub fn apply_overrides(&mut self, overrides: &[String]) -> Result<(), ModelError> {
        if overrides.is_empty() {
            return Ok(());
        }
        let mut doc: toml_edit::DocumentMut = self.text.parse().map_err(|e: toml_edit::TomlError| {
            ModelError::at(&self.file, &self.text, e.span(), e.message().to_string())
        })?;
        for item in overrides {
            set_path(&mut doc, item)
                .map_err(|msg| ModelError::new(&self.file, msg).with_key(format!("--set {item}")))?;
        }
        self.text = doc.to_string();
        Ok(())
    }

    /// Parses the (overridden) text into the model types.
    pub fn parse(&self) -> Result<ModelFile, ModelError> {
        toml::from_str(&self.text).map_err(|e| self.toml_error(&e))
    }

    fn toml_error(&self, e: &toml::de::Error) -> ModelError {
        let mut err = ModelError::at(&self.file, &self.text, e.span(), e.message().to_string());
        // toml knows the key path but only prints it when it has no input.
        let mut bare = e.clone();
        bare.set_input(None);
        let bare = bare.to_string();
        if let Some(keys) = bare.lines().rev().find_map(|l| l.strip_prefix("in `")) {
            err.key = Some(keys.trim_end_matches('`').to_string());
        }
        if e.message().starts_with("unknown field `experiment`") && err.key.is_none() {
            err.hint = Some(format!(
                "this is an experiment file, not a model: run it with `capsim sweep {}`, or check it with `capsim check`",
                self.file
            ));
        } else if e.message().starts_with("unknown field") {
            err.hint = Some("check the spelling; the keys allowed here are listed above".into());
        }
        err
    }
}

/// Sets one `dotted.path=value` in a TOML document. The value is read as a
/// TOML value when it is one (`8`, `0.5`, `true`, `"x"`), else as a string
/// (`0.95/s`, `exp(5ms)`).
fn set_path(doc: &mut toml_edit::DocumentMut, item: &str) -> Result<(), String> {
    let (path, raw) = item
        .split_once('=')
        .ok_or_else(|| "an override is written path=value, e.g. services.api.instances=8".to_string())?;
    let keys: Vec<&str> = path.trim().split('.').map(str::trim).collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(format!("`{path}` is not a dotted key path"));
    }
    let raw = raw.trim();
    let value: toml_edit::Value = raw.parse().unwrap_or_else(|_| toml_edit::Value::from(raw));
    set_in_item(doc.as_item_mut(), &keys, 0, value)
}

fn no_such(keys: &[&str], depth: usize) -> String {
    format!("the model has no `{}` to override", keys[..=depth].join("."))
}

/// `no_such`, with the key of `table` that was probably meant.
fn no_such_in<'t>(keys: &[&str], depth: usize, table: impl Iterator<Item = &'t str>) -> String {
    let names: Vec<&str> = table.collect();
    match crate::error::closest(keys[depth], names.iter().copied()) {
        Some(near) => {
            let mut meant: Vec<&str> = keys[..depth].to_vec();
            meant.push(near);
            format!("{}; did you mean `{}`?", no_such(keys, depth), meant.join("."))
        }
        None => no_such(keys, depth),
    }
}

fn set_in_item(item: &mut toml_edit::Item, keys: &[&str], depth: usize, value: toml_edit::Value) -> Result<(), String> {
    let key = keys[depth];
    match item {
        toml_edit::Item::Table(t) if depth + 1 == keys.len() => {
            let mut value = value;
            if let Some(old) = t.get(key).and_then(|old| old.as_value()) {
                *value.decor_mut() = old.decor().clone();
            }
            t.insert(key, toml_edit::Item::Value(value));
            Ok(())
        }
        toml_edit::Item::Table(t) => {
            if !t.contains_key(key) {
                return Err(no_such_in(keys, depth, t.iter().map(|(k, _)| k)));
            }
            let child = t.get_mut(key).ok_or_else(|| no_such(keys, depth))?;
            set_in_item(child, keys, depth + 1, value)
        }
        toml_edit::Item::ArrayOfTables(a) => {
            let table = key.parse::<usize>().ok().and_then(|i| a.get_mut(i)).ok_or_else(|| no_such(keys, depth))?;
            let mut wrapped = toml_edit::Item::Table(std::mem::take(table));
            let result = set_in_item(&mut wrapped, keys, depth + 1, value);
            if let toml_edit::Item::Table(t) = wrapped {
                *table = t;
            }
            result
        }
        toml_edit::Item::Value(v) => set_in_value(v, keys, depth, value),
        toml_edit::Item::None => Err(no_such(keys, depth)),
    }
}

fn set_in_value(
    target: &mut toml_edit::Value,
    keys: &[&str],
    depth: usize,
    value: toml_edit::Value,
) -> Result<(), String> {
    let key = keys[depth];
    match target {
        toml_edit::Value::InlineTable(t) if depth + 1 == keys.len() => {
            t.insert(key, value);
            Ok(())
        }
        toml_edit::Value::InlineTable(t) => {
            if !t.contains_key(key) {
                return Err(no_such_in(keys, depth, t.iter().map(|(k, _)| k)));
            }
            let child = t.get_mut(key).ok_or_else(|| no_such(keys, depth))?;
            set_in_value(child, keys, depth + 1, value)
        }
        toml_edit::Value::Array(a) => {
            let index = key.parse::<usize>().ok().filter(|&i| i < a.len()).ok_or_else(|| no_such(keys, depth))?;
            if depth + 1 == keys.len() {
                a.replace(index, value);
                Ok(())
            } else {
                let child = a.get_mut(index).ok_or_else(|| no_such(keys, depth))?;
                set_in_value(child, keys, depth + 1, value)
            }
        }
        _ => Err(format!("`{}` is a value, not a table", keys[..depth].join("."))),
    }
}
