//! Which protected path a request names, however it is spelled.
//!
//! A verifier in front of a router must protect every spelling the router sends to a protected
//! action, not just the one in its table. Rails' router (Journey) squeezes repeated slashes, drops
//! a trailing slash, takes a `.json`-style format suffix on any route (`(.:format)` is implied),
//! and its constrained routes end in `\Z`, which also matches before one final newline; other
//! Ruby routers percent-decode the path and resolve `.`/`..` segments and backslashes
//! (Rack::Protection::PathTraversal, which Sinatra runs after our middleware).
//!
//! So paths are compared in a canonical form that is coarser than any of those routers: every
//! spelling a router treats as the protected path lands on the protected path's form. Being
//! coarser only costs a 401 instead of a 404 for a few spellings no router would route.

/// The forms of one request path that a route table is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPaths {
    /// [`route_keys`] of the path as the app sees it (`PATH_INFO`) and as the client sent it
    /// (`SCRIPT_NAME` + `PATH_INFO`): a String route matches when one of its own keys is here.
    pub keys: Vec<Vec<u8>>,
    /// Every form a pattern route (a Regexp) is tried on: the router's own view of each path
    /// ([`router_path`]), its [`canonical_path`] and its keys. A pattern that matches any of
    /// them protects the request.
    pub spellings: Vec<Vec<u8>>,
}

/// The forms of a request at `script_name` (where the app is mounted, often empty) and
/// `path_info` (the path within the app), both as Rack passes them.
pub fn request_paths(script_name: &[u8], path_info: &[u8]) -> RequestPaths {
    let mut paths = RequestPaths {
        keys: Vec::with_capacity(4),
        spellings: Vec::with_capacity(8),
    };
    paths.add(path_info);
    if !script_name.is_empty() {
        let mut full = Vec::with_capacity(script_name.len() + 1 + path_info.len());
        full.extend_from_slice(script_name);
        full.push(b'/');
        full.extend_from_slice(path_info);
        paths.add(&full);
    }
    paths
}

impl RequestPaths {
    /// Adds the forms of `path`, and of each of its lines if it has several: Rack::URLMap matches
    /// its mount points with `^…(.*)`, which finds a mount point at the start of any line and
    /// drops what follows a newline, so `/x\n/chat/hook` reaches `/chat`'s app as `/hook`.
    fn add(&mut self, path: &[u8]) {
        self.add_one(path);
        if path.contains(&b'\n') {
            for line in path.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
                self.add_one(line);
            }
        }
    }

    fn add_one(&mut self, path: &[u8]) {
        let router = router_path(path);
        let canonical = canonical_path(path);
        let keys = keys_of(&router, &canonical);
        push_new(&mut self.spellings, router);
        push_new(&mut self.spellings, canonical);
        for key in keys {
            push_new(&mut self.spellings, key.clone());
            push_new(&mut self.keys, key);
        }
    }
}

fn push_new(list: &mut Vec<Vec<u8>>, item: Vec<u8>) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The keys a String route in the table is stored under; a request is on that route when one of
/// its [`RequestPaths::keys`] is among them.
///
/// A key is a canonical path without a format suffix, and there are two because the suffix can be
/// cut before or after decoding: Rails reads `/x.a%2Fb` as `/x` with format `a%2Fb`, a decoding
/// router as `/x.a/b`. Both readings are kept, so neither kind of router finds a gap.
pub fn route_keys(path: &[u8]) -> Vec<Vec<u8>> {
    keys_of(&router_path(path), &canonical_path(path))
}

fn keys_of(router: &[u8], canonical: &[u8]) -> Vec<Vec<u8>> {
    let decoded_first = without_format(canonical).to_vec();
    let cut_first = canonical_path(without_format(router));
    if cut_first == decoded_first {
        vec![decoded_first]
    } else {
        vec![decoded_first, cut_first]
    }
}

/// What Rails' router matches a path against: `ActionDispatch::Journey::Router::Utils.normalize_path`
/// (a leading slash, runs of slashes squeezed, one trailing slash dropped, lower-case `%xx` escapes
/// upper-cased), byte for byte.
pub fn router_path(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 1);
    out.push(b'/');
    for &byte in path {
        if !(byte == b'/' && out.last() == Some(&b'/')) {
            out.push(byte);
        }
    }
    if out.len() > 1 {
        if out.last() == Some(&b'/') {
            out.pop();
        }
        // Journey's /(%[a-f0-9]{2})/: only escapes written entirely in lower case and digits.
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        let mut i = 0;
        while i + 2 < out.len() {
            if out[i] == b'%' && lower_hex(out[i + 1]) && lower_hex(out[i + 2]) {
                out[i + 1].make_ascii_uppercase();
                out[i + 2].make_ascii_uppercase();
                i += 3;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// The canonical spelling of a path: every `%XX` escape decoded, `\` read as `/`, trailing
/// newlines and slashes dropped, empty and `.` segments removed and `..` resolved, with one
/// leading slash (`/` for the root).
pub fn canonical_path(path: &[u8]) -> Vec<u8> {
    let mut decoded = percent_decode(path);
    for byte in decoded.iter_mut() {
        if *byte == b'\\' {
            *byte = b'/';
        }
    }
    while matches!(decoded.last(), Some(b'\n' | b'/')) {
        decoded.pop();
    }
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut out = Vec::with_capacity(decoded.len() + 1);
    for segment in &segments {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// A path without a format suffix or path parameters on its last segment (cut at the first `.`
/// or `;`): Rails routes `/x.json` and `/x.json;p` to `/x`. A last segment that was all suffix
/// goes away.
pub fn without_format(path: &[u8]) -> &[u8] {
    let start = path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    match path[start..].iter().position(|&b| b == b'.' || b == b';') {
        None => path,
        Some(0) if start > 1 => &path[..start - 1],
        Some(0) => &path[..start],
        Some(cut) => &path[..start + cut],
    }
}

/// Decodes every well-formed `%XX` escape; a `%` not followed by two hex digits stays as it is.
fn percent_decode(path: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        if path[i] == b'%' && i + 2 < path.len() {
            if let (Some(high), Some(low)) = (hex(path[i + 1]), hex(path[i + 2])) {
                out.push(high << 4 | low);
                i += 3;
                continue;
            }
        }
        out.push(path[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    #[test]
    fn router_path_is_journeys_normalize_path() {
        // The examples in Journey's own doc comment, and the squeeze it does before them.
        for (input, expected) in [
            ("/foo", "/foo"),
            ("/foo/", "/foo"),
            ("foo", "/foo"),
            ("", "/"),
            ("/%ab", "/%AB"),
            ("/", "/"),
            ("//", "/"),
            ("///webhooks//slack//", "/webhooks/slack"),
            ("/%Ab/%aB/%zz", "/%Ab/%aB/%zz"),
            ("/webhooks/slack\n", "/webhooks/slack\n"),
        ] {
            assert_eq!(text(&router_path(input.as_bytes())), expected, "{input:?}");
        }
    }

    #[test]
    fn every_spelling_rails_routes_to_a_path_has_its_key() {
        let keys = route_keys(b"/webhooks/slack");
        assert_eq!(keys, [b"/webhooks/slack".to_vec()]);
        let key = &keys[0];
        for spelling in [
            "/webhooks/slack",
            "/webhooks/slack/",
            "//webhooks/slack",
            "/webhooks//slack",
            "///webhooks///slack///",
            "webhooks/slack",
            "/webhooks/slack.json",
            "/webhooks/slack.json/",
            "/webhooks/slack.json;p=1",
            "/webhooks/slack.x%2Fy",
            "/webhooks/slack\n",
            "/webhooks/slack.json\n",
            "/webhooks/slack\n/",
            // Routers that decode or resolve before routing (WEBrick, Rack::Protection, Sinatra).
            "/webhooks/%73lack",
            "/webhooks/%73%6C%61%63%6b",
            "/webhooks%2Fslack",
            "/webhooks\\slack",
            "/webhooks/./slack",
            "/webhooks/x/../slack",
            "/x/../../webhooks/slack",
            "/webhooks/slack/x/..",
            "/webhooks/slack/.",
            "/webhooks/slack%2E%6Ason",
            "/webhooks/slack;jsessionid=1",
        ] {
            let paths = request_paths(b"", spelling.as_bytes());
            assert!(paths.keys.contains(key), "{spelling:?} -> {paths:?}");
        }
    }

    #[test]
    fn other_paths_keep_their_own_key() {
        let key = b"/webhooks/slack".to_vec();
        for other in [
            "/webhooks",
            "/webhooks/slackx",
            "/webhooks/slack/x",
            "/Webhooks/slack",
            "/webhooks/slack/x/y/..",
            "/other/webhooks/slack",
            "/webhooks/%2573lack",
            "/webhooks/slack%00",
        ] {
            let paths = request_paths(b"", other.as_bytes());
            assert!(!paths.keys.contains(&key), "{other:?} -> {paths:?}");
        }
    }

    #[test]
    fn a_mounted_app_is_matched_with_and_without_its_mount_point() {
        let paths = request_paths(b"/chat", b"//webhooks/slack.json");
        let keys: Vec<String> = paths.keys.iter().map(|k| text(k)).collect();
        assert_eq!(keys, ["/webhooks/slack", "/chat/webhooks/slack"]);
        assert_eq!(
            request_paths(b"", b"/webhooks/slack").keys,
            [b"/webhooks/slack".to_vec()]
        );
        let spellings: Vec<String> = paths.spellings.iter().map(|s| text(s)).collect();
        assert_eq!(
            spellings,
            [
                "/webhooks/slack.json",
                "/webhooks/slack",
                "/chat/webhooks/slack.json",
                "/chat/webhooks/slack",
            ]
        );
    }

    #[test]
    fn each_line_of_a_path_is_a_path_too() {
        let paths = request_paths(b"", b"/x\n/chat/webhooks/slack\ny");
        for key in ["/chat/webhooks/slack", "/x", "/y"] {
            assert!(paths.keys.contains(&key.as_bytes().to_vec()), "{key}");
        }
        let paths = request_paths(b"/chat", b"/webhooks/slack\nignored");
        assert!(paths.keys.contains(&b"/webhooks/slack".to_vec()));
        assert!(paths.keys.contains(&b"/chat/webhooks/slack".to_vec()));
    }

    #[test]
    fn pattern_spellings_include_the_routers_own_view() {
        // An unconstrained `:id` takes "%2F" as "/": only the router's form still shows the segment.
        let paths = request_paths(b"", b"/webhooks/inbox/%2f/");
        let spellings: Vec<String> = paths.spellings.iter().map(|s| text(s)).collect();
        assert_eq!(spellings, ["/webhooks/inbox/%2F", "/webhooks/inbox"]);
        // Format cut before or after decoding: both readings are keys.
        let keys: Vec<String> = route_keys(b"/x/v1.2%2Fy").iter().map(|k| text(k)).collect();
        assert_eq!(keys, ["/x/v1.2/y", "/x/v1"]);
        let paths = request_paths(b"", b"/webhooks/inbox/1.json\n");
        assert!(paths.spellings.contains(&b"/webhooks/inbox/1".to_vec()));
    }

    /// Random routes, each respelled by random combinations of what routers accept (extra and
    /// trailing slashes, a format suffix with any bytes Journey's `[^/.?]+` takes, a trailing
    /// newline, a missing leading slash, escaped letters, `.`/`..` segments): every spelling keeps
    /// a key of the route.
    #[test]
    fn random_respellings_keep_the_routes_key() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let letters = b"abcdefghijklmnopqrstuvwxyz0123456789-_~";
        for _ in 0..5_000 {
            let segments: Vec<Vec<u8>> = (0..=next(3))
                .map(|_| {
                    (0..=next(6))
                        .map(|_| letters[next(letters.len() as u64) as usize])
                        .collect()
                })
                .collect();
            let route: Vec<u8> = segments
                .iter()
                .flat_map(|s| [&b"/"[..], s].concat())
                .collect();
            let keys = route_keys(&route);
            let mut spelling = Vec::new();
            if next(4) > 0 {
                spelling.push(b'/');
            }
            for (i, segment) in segments.iter().enumerate() {
                if i > 0 {
                    spelling.push(b'/');
                }
                for _ in 0..next(3) {
                    spelling.extend_from_slice([&b"/"[..], b"./", b"x/../"][next(3) as usize]);
                }
                for &byte in segment {
                    if next(5) == 0 {
                        spelling.extend_from_slice(format!("%{byte:02x}").as_bytes());
                    } else {
                        spelling.push(byte);
                    }
                }
            }
            if next(2) == 0 {
                spelling.push(b'.');
                for _ in 0..=next(5) {
                    let byte = loop {
                        let b = next(256) as u8;
                        if !matches!(b, b'/' | b'.' | b'?') {
                            break b;
                        }
                    };
                    spelling.push(byte);
                }
            }
            for _ in 0..next(3) {
                spelling.extend_from_slice([&b"/"[..], b"\n"][next(2) as usize]);
            }
            let paths = request_paths(b"", &spelling);
            assert!(
                keys.iter().any(|key| paths.keys.contains(key)),
                "{:?} as {:?}",
                text(&route),
                text(&spelling)
            );
        }
    }

    #[test]
    fn format_suffix_is_cut_from_the_last_segment_only() {
        for (canonical, expected) in [
            ("/", "/"),
            ("/x", "/x"),
            ("/x.json", "/x"),
            ("/v1.2/x", "/v1.2/x"),
            ("/v1.2/x.json.xml", "/v1.2/x"),
            ("/x/.json", "/x"),
            ("/.json", "/"),
            ("/x;a=b", "/x"),
        ] {
            assert_eq!(
                text(without_format(canonical.as_bytes())),
                expected,
                "{canonical:?}"
            );
        }
    }

    #[test]
    fn canonical_path_handles_every_byte_and_stray_percent() {
        assert_eq!(text(&canonical_path(b"/a%")), "/a%");
        assert_eq!(text(&canonical_path(b"/a%4")), "/a%4");
        assert_eq!(text(&canonical_path(b"/a%zz")), "/a%zz");
        assert_eq!(canonical_path(b"/%ff%FE"), b"/\xff\xfe");
        assert_eq!(text(&canonical_path(b"%")), "/%");
        assert_eq!(text(&canonical_path(b"/../..")), "/");
        assert_eq!(text(&canonical_path(b"\n\n")), "/");
        let all: Vec<u8> = (0..=255).collect();
        assert!(canonical_path(&all).starts_with(b"/"));
        assert!(route_keys(&all).iter().all(|k| k.starts_with(b"/")));
    }
}
