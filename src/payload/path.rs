//! Where in a payload serialization failed, as a path like `data.messages[3].content`. The path is
//! built only on failure, while the error travels back up, so success pays nothing for it.

use std::fmt;

/// A path deeper than this many segments is shown by its outermost and innermost ones with the
/// count of those left out between: a payload nested thousands deep fails with a message of a line,
/// not of tens of kilobytes.
const SHOWN_OUTER: usize = 16;
const SHOWN_INNER: usize = 8;

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
        let shown = self
            .reversed_path
            .len()
            .min(self.keep_outermost.unwrap_or(usize::MAX));
        let left_out = shown.saturating_sub(SHOWN_OUTER + SHOWN_INNER);
        let segments = self.reversed_path.iter().rev().take(shown);
        for (i, segment) in segments.enumerate() {
            if left_out > 0 && (SHOWN_OUTER..SHOWN_OUTER + left_out).contains(&i) {
                if i == SHOWN_OUTER {
                    path.push_str(&format!("…({left_out} more)…"));
                }
                continue;
            }
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

    #[test]
    fn deep_paths_are_shortened_in_the_middle() {
        let deep = |n: usize| {
            (0..n).fold(SerializeError::new("x"), |e, i| {
                e.within(PathSegment::Index(n - 1 - i))
            })
        };
        let shown = SHOWN_OUTER + SHOWN_INNER;
        let full: String = (0..shown).map(|i| format!("[{i}]")).collect();
        assert_eq!(deep(shown).path("p"), format!("p{full}"));
        let outer: String = (0..SHOWN_OUTER).map(|i| format!("[{i}]")).collect();
        let inner: String = (10_000 - SHOWN_INNER..10_000)
            .map(|i| format!("[{i}]"))
            .collect();
        assert_eq!(
            deep(10_000).path("p"),
            format!("p{outer}…({} more)…{inner}", 10_000 - shown)
        );
        // A cycle's path is cut where it closes first, then shortened.
        assert_eq!(deep(10_000).keep_outermost(3).path("p"), "p[0][1][2]");
    }
}
