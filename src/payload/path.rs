//! Where in a payload serialization failed, as a path like `data.messages[3].content`. The path is
//! built only on failure, while the error travels back up, so success pays nothing for it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// A serialization failure: what went wrong, and where (innermost segment last once complete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializeError {
    pub message: String,
    /// Segments from the failing value outwards; `path` reverses them for display.
    reversed_path: Vec<PathSegment>,
    /// Show only this many segments from the root (a cycle is reported where it closes).
    keep_outermost: Option<usize>,
}

impl SerializeError {
    pub fn new(message: impl Into<String>) -> Self {
        SerializeError {
            message: message.into(),
            reversed_path: Vec::new(),
            keep_outermost: None,
        }
    }

    /// Limits the reported path to its first `n` segments from the root.
    pub fn keep_outermost(mut self, n: usize) -> Self {
        self.keep_outermost = Some(n);
        self
    }

    /// Records that the failure happened inside `segment` of the enclosing container.
    pub fn within(mut self, segment: PathSegment) -> Self {
        self.reversed_path.push(segment);
        self
    }

    /// The path from `root`, e.g. `data.messages[3].content` or `data["a key"]`.
    pub fn path(&self, root: &str) -> String {
        let mut path = root.to_string();
        let keep = self.keep_outermost.unwrap_or(usize::MAX);
        for segment in self.reversed_path.iter().rev().take(keep) {
            match segment {
                PathSegment::Index(i) => path.push_str(&format!("[{i}]")),
                PathSegment::Key(k)
                    if !k.is_empty()
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    path.push('.');
                    path.push_str(k);
                }
                PathSegment::Key(k) => path.push_str(&format!("[{k:?}]")),
            }
        }
        path
    }

    /// "at data.messages[3].content: <message>"
    pub fn describe(&self, root: &str) -> String {
        format!("at {}: {}", self.path(root), self.message)
    }
}

impl fmt::Display for SerializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("payload"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let e = SerializeError::new("invalid UTF-8")
            .within(PathSegment::Key("content".into()))
            .within(PathSegment::Index(3))
            .within(PathSegment::Key("messages".into()));
        assert_eq!(
            e.describe("data"),
            "at data.messages[3].content: invalid UTF-8"
        );
        let odd = SerializeError::new("x").within(PathSegment::Key("a key".into()));
        assert_eq!(odd.path("payload"), "payload[\"a key\"]");
        assert_eq!(SerializeError::new("x").path("payload"), "payload");
        let cycle = SerializeError::new("x")
            .within(PathSegment::Index(0))
            .within(PathSegment::Key("a".into()))
            .keep_outermost(1);
        assert_eq!(cycle.path("payload"), "payload.a");
    }
}
