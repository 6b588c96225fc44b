//! Rendered manifests: reading them back (a fast path from parser events, serde-saphyr for
//! anything unusual), emitting canonical YAML, and the YAML 1.1 rules that decide what must
//! be quoted. Part of [`super`], the one module that names the YAML crate.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::{Pos, SyntaxError, Value, pos_of, resolve_plain};

/// Every plain (unquoted) scalar in a YAML text that YAML 1.2 reads as a string, with its
/// position. Used by the YAML-safety tests to prove that no string is left bare where a YAML 1.1
/// reader (Kubernetes) would retype it.
pub fn plain_strings(text: &str) -> Result<Vec<(String, Pos)>, String> {
    let mut out = Vec::new();
    // No comment events: kube-rs turns serde-saphyr's `comments` feature on for the whole
    // build, and a comment event would send every file down the slow path.
    let options = serde_saphyr::granit_parser::options! { emit_comments: false };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| e.info())?;
        if let Event::Scalar(value, ScalarStyle::Plain, ..) = event
            && matches!(resolve_plain(&value), Value::Str(_))
        {
            out.push((value.into_owned(), pos_of(&span)));
        }
    }
    Ok(out)
}

/// [`super::parse_manifests`] after the line reader deferred: the event reader, then
/// serde-saphyr (which also gives the error messages).
pub(super) fn manifests_after_lines(text: &str) -> Result<Vec<serde_json::Value>, String> {
    if let Some(docs) = manifests_from_events(text) {
        return Ok(docs);
    }
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_str_multiple(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// The value of a plain scalar as serde-saphyr reads it in a document: [`plain_scalar`] for the
/// usual ones, serde-saphyr on the scalar alone for the unusual ones; `None` if that reads a
/// collection (the scalar is not one on its own).
pub(super) fn plain_value(text: &str) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    match plain_scalar(text) {
        Some(v) => Some(v),
        None => match serde_saphyr::from_str::<J>(text).ok()? {
            J::Array(_) | J::Object(_) => None,
            v => Some(v),
        },
    }
}

/// Plain scalars whose meaning is the same in every YAML reading: `null`/`~`/empty, `true`,
/// `false`, decimal integers without a leading zero, plain decimals, and words that start with a
/// letter; `None` for anything else (`yes`, `on`, `0644`, `1_000`, `1e3`, `1:20`, ...), which a
/// YAML 1.1 reading could take for something other than a string.
pub(super) fn plain_scalar(text: &str) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    match text {
        "" | "~" | "null" => return Some(J::Null),
        "true" => return Some(J::Bool(true)),
        "false" => return Some(J::Bool(false)),
        _ => {}
    }
    // In any case, without a lowercase copy (this runs for every plain scalar read back).
    let special = [
        "null",
        "true",
        "false",
        "nan",
        "inf",
        "-inf",
        "infinity",
        "-infinity",
    ];
    if text.len() <= 9
        && (is_yaml11_only_bool(text) || special.iter().any(|w| text.eq_ignore_ascii_case(w)))
    {
        return None;
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let is_int = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'));
    match frac {
        None if is_int => text.parse::<i64>().ok().map(J::from),
        Some(f) if is_int && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(J::Number),
        // `64Mi`, `500m`: digits and a unit, which no YAML reading takes for anything but a string.
        _ if crate::k8s::quantity::is_suffixed_integer(text) => Some(J::String(text.to_owned())),
        _ => match resolve_plain(text) {
            Value::Str(_)
                if text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
                    && !text.contains(':') =>
            {
                Some(J::String(text.to_owned()))
            }
            _ => None,
        },
    }
}

/// YAML 1.1's booleans (the spec's exact list): what Kubernetes' reader turns into `true` or
/// `false`. The one copy of the rule; the writer quotes them, the reader and the schema
/// check explain them, the tests check rendered files against [`yaml11_retypes`].
pub const YAML11_BOOLS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
];

/// Whether `text`, in any case, is a YAML 1.1 boolean that YAML 1.2 reads as a string (`yes`,
/// `off`, `Y`, ...).
pub fn is_yaml11_only_bool(text: &str) -> bool {
    // Every word of the list is there in lowercase too: a case-insensitive match is a match of
    // the lowercase text.
    YAML11_BOOLS.iter().any(|b| text.eq_ignore_ascii_case(b))
        && !text.eq_ignore_ascii_case("true")
        && !text.eq_ignore_ascii_case("false")
}

/// YAML 1.1 implicit typing (what Kubernetes' reader applies to plain scalars): true when a
/// plain scalar would NOT be read back as the string it is.
pub fn yaml11_retypes(s: &str) -> bool {
    if s.is_empty()
        || s == "~"
        || s == "null"
        || s == "Null"
        || s == "NULL"
        || YAML11_BOOLS.contains(&s)
    {
        return true;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    // Go's reader (kustomize's kyaml) also takes `0X1F`, `0O17`, `0B11` and `0o17` for numbers.
    if body.len() > 2
        && body.starts_with('0')
        && matches!(body.as_bytes()[1], b'X' | b'O' | b'B' | b'o')
    {
        return true;
    }
    let digits_ = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '_');
    // ints: decimal, octal 0..., hex, binary, sexagesimal; floats incl. sexagesimal; .inf/.nan
    if digits_(body)
        || body
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_'))
        || body
            .strip_prefix("0b")
            .is_some_and(|b| !b.is_empty() && b.chars().all(|c| c == '0' || c == '1' || c == '_'))
    {
        return true;
    }
    if body.contains(':')
        && body.split(':').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
        })
    {
        return true;
    }
    let lower = body.to_ascii_lowercase();
    if [".inf", ".nan"].contains(&lower.as_str()) {
        return true;
    }
    if body.chars().any(|c| c.is_ascii_digit())
        && body.parse::<f64>().is_ok()
        && !body.contains(['i', 'I', 'n', 'N'])
    {
        return true;
    }
    // timestamps: YYYY-M-D...
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && s[5..].starts_with(|c: char| c.is_ascii_digit())
}

/// Rendered manifests built directly from parser events; `None` when anything is out of the
/// ordinary (a syntax error, tags, anchors, aliases, a duplicate or non-string key), so the
/// caller reads the whole text with serde-saphyr. A plain scalar [`plain_scalar`] is unsure of
/// is resolved by serde-saphyr on its own, so it reads exactly as it would in the document.
pub(super) fn manifests_from_events(text: &str) -> Option<Vec<serde_json::Value>> {
    use serde_json::Value as J;
    enum Frame {
        Seq(Vec<J>),
        Map(serde_json::Map<String, J>, Option<String>),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut docs = Vec::new();
    // No comment events: kube-rs turns serde-saphyr's `comments` feature on for the whole
    // build, and a comment event would send every file down the slow path.
    let options = serde_saphyr::granit_parser::options! { emit_comments: false };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, _) = event.ok()?;
        let node = match event {
            Event::Scalar(t, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                if style == ScalarStyle::Plain {
                    plain_value(&t)?
                } else {
                    J::String(t.into_owned())
                }
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                return None;
            }
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(Vec::new()));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Frame::Map(serde_json::Map::new(), None));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items)) => J::Array(items),
                _ => return None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, None)) => J::Object(entries),
                _ => return None,
            },
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::DocumentEnd => {
                continue;
            }
            _ => return None,
        };
        match stack.last_mut() {
            None if node.is_null() => {}
            None => docs.push(node),
            Some(Frame::Seq(items)) => items.push(node),
            Some(Frame::Map(entries, pending)) => match pending.take() {
                Some(key) => {
                    entries.insert(key, node);
                }
                None => match node {
                    J::String(key) if !entries.contains_key(&key) => *pending = Some(key),
                    _ => return None,
                },
            },
        }
    }
    stack.is_empty().then_some(docs)
}

/// Parses one YAML document of any shape (used for foreign inputs such as a project file).
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

/// [`super::to_canonical`] by serde-saphyr: the whole object, when the direct writer
/// ([`super::canonical`]) defers.
pub(super) fn canonical_by_saphyr(value: &serde_json::Value) -> Result<String, String> {
    emit(&GoYamlOrder(value))
}

/// A JSON value serialized with every map's keys in go-yaml's order.
struct GoYamlOrder<'a>(&'a serde_json::Value);

impl serde::Serialize for GoYamlOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        use serde_json::Value as J;
        match self.0 {
            J::Object(map) => {
                let keys = go_yaml_sorted(map.keys().map(String::as_str).collect());
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for k in keys {
                    out.serialize_entry(k, &GoYamlOrder(&map[k]))?;
                }
                out.end()
            }
            J::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&GoYamlOrder(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// `keys` (in byte order) sorted by [`go_yaml_less`], by binary insertion: that order is not
/// total for some keys (`v1a` < `v9` < `v10` < `v1a`), where a library sort may panic; a
/// binary search never does, and from the same input it always gives the same output.
/// The insertion moves 4-byte indices, not the keys: the same probes and places, a quarter of
/// the bytes moved (a map of thousands of labels moves each of them thousands of times).
pub(super) fn go_yaml_sorted(keys: Vec<&str>) -> Vec<&str> {
    if u32::try_from(keys.len()).is_err() {
        let mut sorted: Vec<&str> = Vec::with_capacity(keys.len());
        for key in keys {
            let at = sorted.partition_point(|k| !go_yaml_less(key, k));
            sorted.insert(at, key);
        }
        return sorted;
    }
    let mut sorted: Vec<u32> = Vec::with_capacity(keys.len());
    for (i, key) in (0u32..).zip(&keys) {
        let at = sorted.partition_point(|&k| {
            !go_yaml_less(key, keys.get(k as usize).copied().unwrap_or_default())
        });
        sorted.insert(at, i);
    }
    sorted
        .into_iter()
        .filter_map(|i| keys.get(i as usize).copied())
        .collect()
}

/// go-yaml's order of string map keys (`keyList.Less` in yaml.v2's `sorter.go`), which
/// `kubectl kustomize` re-emits string maps in (measured with kustomize 5.5: `A_B`, `A2`,
/// `A10`, `AB`, `X10`, `X1AA`, `x1`, `x01`): at the first character that differs, letters
/// compare as characters, a letter sorts after anything else, and otherwise the digits from
/// there on compare as a number. Exact for ASCII keys, which every Kubernetes map key is.
pub fn go_yaml_less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return less_by(a.as_bytes(), b.as_bytes(), |c| char::from(*c));
    }
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    less_by(&ar, &br, |c| *c)
}

/// [`go_yaml_less`] over two sequences of characters read by `ch` (bytes for ASCII keys, so
/// the common case allocates nothing).
fn less_by<T>(ar: &[T], br: &[T], ch: impl Fn(&T) -> char) -> bool {
    let is_digit = |c: char| c.is_ascii_digit();
    let value = |c: char| i64::from(c.to_digit(10).unwrap_or(0));
    for i in 0..ar.len().min(br.len()) {
        let (a, b) = (ch(&ar[i]), ch(&br[i]));
        if a == b {
            continue;
        }
        let al = a.is_alphabetic();
        let bl = b.is_alphabetic();
        if al && bl {
            return a < b;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if a == '0' || b == '0' {
            let mut j = i;
            while j > 0 && is_digit(ch(&ar[j - 1])) {
                if ch(&ar[j - 1]) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
                j -= 1;
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ch(&ar[ai])) {
            an = an.wrapping_mul(10).wrapping_add(value(ch(&ar[ai])));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(ch(&br[bi])) {
            bn = bn.wrapping_mul(10).wrapping_add(value(ch(&br[bi])));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a < b;
    }
    ar.len() < br.len()
}

/// Emits a value as YAML in its own order (struct fields as declared, so the effective
/// configuration reads like the reference), formatted and quoted like `to_canonical`.
pub fn to_string_ordered<T: serde::Serialize>(value: &T) -> Result<String, String> {
    emit(value)
}

/// The one serializer configuration: two-space indent, compact lists, long one-line strings
/// kept on one line (no `>` folding; multi-line strings use `|`), a final newline.
pub(super) fn emit<T: serde::Serialize>(value: &T) -> Result<String, String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.indent_step = 2;
    options.compact_list_indent = true;
    options.folded_wrap_chars = usize::MAX / 2;
    let mut out = String::new();
    serde_saphyr::to_fmt_writer_with_options(&mut out, value, options)
        .map_err(|e| e.to_string())?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// A rendered-manifest stream that `diff` reads back (an output directory, a committed file),
/// read exactly as kubectl reads it or refused, located: a YAML error at its place, and a merge
/// key (`<<`), which kubectl's reader (go-yaml) resolves into the map and agentctl does not,
/// so what the file applies would be misread. agentctl never writes one.
pub fn read_manifests(text: &str) -> Result<Vec<serde_json::Value>, SyntaxError> {
    if text.contains("<<")
        && let Some(e) = merge_key(text)
    {
        return Err(e);
    }
    super::parse_manifests(text).map_err(|message| located(text, &message))
}

/// Whether every document `read_manifests` read from `text` is an object kubectl can build
/// (`unbuildable`) and the API server would take by its name (`misnamed`), for a file
/// `kubectl apply -k` builds (one side of `diff`); else the error at the document's start.
pub fn check_objects(text: &str, docs: &[serde_json::Value]) -> Result<(), SyntaxError> {
    let first = docs
        .iter()
        .enumerate()
        .find_map(|(i, d)| match unbuildable(d) {
            Some(why) => Some((i, format!("not an object kubectl can build: {why}"), true)),
            None => misnamed(d).map(|why| (i, why, false)),
        });
    match first {
        Some((i, message, unbuilt)) => Err(super::err(
            message,
            document_start(text, i),
            Some(if unbuilt {
                "each `---` document is one whole object (`apiVersion`, `kind`, `metadata.name`); run `agentctl render` again to write the file afresh"
            } else {
                "the API server refuses it, so `kubectl apply -k` fails on this file: fix the name in the inputs and run `agentctl render` again"
            }),
        )),
        None => super::plain::read_alike(text),
    }
}

/// Why `kubectl kustomize` could not build this document as an object: not a map, an
/// `apiVersion` that is not a word, a `kind` that is not a name (letters and digits), no
/// `metadata.name` (a Kustomization and a `List` need none).
fn unbuildable(doc: &serde_json::Value) -> Option<String> {
    use serde_json::Value as J;
    let J::Object(m) = doc else {
        return Some(format!(
            "a document is {}, not a map",
            match doc {
                J::String(_) => "a string",
                J::Array(_) => "a list",
                J::Number(_) => "a number",
                _ => "a scalar",
            }
        ));
    };
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic());
    match m.get("apiVersion") {
        Some(J::String(a)) if word(a) => {}
        Some(_) => return Some("its `apiVersion` is not a group/version".into()),
        None => return Some("a document has no `apiVersion` (an object split by `---`?)".into()),
    }
    let kind = match m.get("kind") {
        Some(J::String(k))
            if k.starts_with(|c: char| c.is_ascii_alphabetic())
                && k.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            k
        }
        Some(_) => return Some("its `kind` is not a kind's name (letters and digits)".into()),
        None => return Some("a document has no `kind` (an object split by `---`?)".into()),
    };
    if kind == "Kustomization" || kind.ends_with("List") {
        return None;
    }
    match m.get("metadata").and_then(|x| x.get("name")) {
        Some(J::String(n)) if !n.is_empty() => None,
        _ => Some(format!(
            "this {kind} has no `metadata.name` (an object split by `---`?)"
        )),
    }
}

/// Why the API server would refuse this object's name or namespace (the rules of
/// `config::names`, per kind: `own_name`), if it would. Such a name is never rendered, and is
/// never named as a word of a command agentctl prints (`--all` would be read as an option).
fn misnamed(doc: &serde_json::Value) -> Option<String> {
    use crate::config::names;
    let kind = doc.get("kind")?.as_str()?;
    if matches!(kind, "Kustomization" | "Component" | "List") || kind.ends_with("List") {
        return None;
    }
    let meta = doc.get("metadata")?;
    let shown = |v: &str| crate::term::one_line(v).into_owned();
    if let Some(name) = meta.get("name").and_then(serde_json::Value::as_str)
        && let Err(why) = names::object_name(kind, name)
    {
        return Some(format!(
            "this {}'s `metadata.name` `{}` is not a name Kubernetes takes for it: {why}",
            shown(kind),
            shown(name)
        ));
    }
    if let Some(ns) = meta.get("namespace").and_then(serde_json::Value::as_str)
        && let Err(why) = names::dns1123_label(ns)
    {
        return Some(format!(
            "this {}'s `metadata.namespace` `{}` is not a namespace name (a DNS-1123 label): {why}",
            shown(kind),
            shown(ns)
        ));
    }
    None
}

/// Where the `n`th document that is not empty starts (the reader skips empty ones).
fn document_start(text: &str, n: usize) -> Pos {
    let options = serde_saphyr::granit_parser::options! { emit_comments: false };
    let mut seen = 0;
    let mut start = None;
    for event in Parser::new_from_str_with_options(text, options) {
        let Ok((event, span)) = event else { break };
        match event {
            Event::DocumentStart(..) => start = Some(pos_of(&span)),
            // An empty document is one null scalar.
            Event::Scalar(ref v, ScalarStyle::Plain, ..)
                if start.is_some() && matches!(v.as_ref(), "" | "~" | "null") =>
            {
                start = None;
            }
            Event::Scalar(..)
            | Event::MappingStart(..)
            | Event::SequenceStart(..)
            | Event::Alias(..) => {
                if let Some(p) = start.take() {
                    if seen == n {
                        return p;
                    }
                    seen += 1;
                }
            }
            _ => {}
        }
    }
    Pos { line: 1, col: 1 }
}

/// The first merge key (`<<` as a plain map key) of `text`, or its first syntax error.
fn merge_key(text: &str) -> Option<SyntaxError> {
    let options = serde_saphyr::granit_parser::options! { emit_comments: false };
    // Per open collection: whether it is a map whose next scalar is a key.
    let mut stack: Vec<Option<bool>> = Vec::new();
    let step = |stack: &mut Vec<Option<bool>>| {
        if let Some(Some(key)) = stack.last_mut() {
            *key = !*key;
        }
    };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = match event {
            Ok(e) => e,
            Err(e) => return Some(super::parse_error(&e)),
        };
        match event {
            Event::MappingStart(..) => {
                step(&mut stack);
                stack.push(Some(true));
            }
            Event::SequenceStart(..) => {
                step(&mut stack);
                stack.push(None);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            Event::Scalar(value, style, ..) => {
                if style == ScalarStyle::Plain && value == "<<" && stack.last() == Some(&Some(true))
                {
                    return Some(SyntaxError {
                        len: 2,
                        ..super::err(
                            "a YAML merge key (`<<`): kubectl merges the keys it names into this map; agentctl does not, so it cannot say what this file applies",
                            pos_of(&span),
                            Some(
                                "write the keys out in full, or run `agentctl render` again: agentctl never writes a merge key",
                            ),
                        )
                    });
                }
                step(&mut stack);
            }
            Event::Alias(..) | Event::UnresolvedAlias(..) => step(&mut stack),
            _ => {}
        }
    }
    None
}

/// A manifest stream's parse error at its place: the scanner's own error where there is one,
/// else the reader's message at the line and column it names (`line 3 column 5`), else at the
/// start.
fn located(text: &str, message: &str) -> SyntaxError {
    if let Some(e) = merge_key(text) {
        return e;
    }
    let first = message.lines().next().unwrap_or_default();
    let number = |word: &str| -> Option<usize> {
        let at = first.find(word)? + word.len();
        let digits: String = first[at..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let pos = Pos {
        line: number("line").unwrap_or(1).max(1),
        col: number("column").unwrap_or(1).max(1),
    };
    super::err(
        format!("not a manifest stream: {first}"),
        pos,
        Some("run `agentctl render` again to write the file afresh"),
    )
}
