//! The command that creates a Secret out of band, each value read from a shell variable named
//! after its key (valid and distinct whatever the keys: [`env_vars`]): one form for render's stderr, `kustomization.yaml`'s comment and `doctor`.

use crate::shell::quote as q;

/// Variables a shell or the user's session already uses: a key named after one reads its value
/// from another prefix (`path` → `SECRET_PATH`), so pasting never reads `$PATH` as a secret
/// nor asks the user to overwrite it.
const TAKEN: &[&str] = &[
    "CDPATH",
    "COLUMNS",
    "DISPLAY",
    "EDITOR",
    "ENV",
    "EUID",
    "FUNCNAME",
    "GROUPS",
    "HISTFILE",
    "HISTSIZE",
    "HOME",
    "HOSTNAME",
    "HOSTTYPE",
    "IFS",
    "KUBECONFIG",
    "LANG",
    "LINENO",
    "LINES",
    "LOGNAME",
    "MACHTYPE",
    "MAIL",
    "MAILPATH",
    "OLDPWD",
    "OPTARG",
    "OPTERR",
    "OPTIND",
    "OSTYPE",
    "PATH",
    "PIPESTATUS",
    "PPID",
    "PROMPT_COMMAND",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "PWD",
    "RANDOM",
    "REPLY",
    "SECONDS",
    "SHELL",
    "SHELLOPTS",
    "SHLVL",
    "TERM",
    "TMPDIR",
    "TZ",
    "UID",
    "USER",
    "VISUAL",
];

/// The prefix of a variable whose key alone would not make a valid, free name.
const PREFIX: &str = "SECRET_";

/// The shell variables the values of `keys` are read from, one per key and all distinct:
/// `anthropic-api-key` → `ANTHROPIC_API_KEY` (letters and digits upper-cased, anything else
/// `_`); a name that would not start with a letter (`0`, `-`, `1PATH`), or that a shell or
/// session already uses (`PATH`, `BASH_ENV`, `LC_ALL`), gets the prefix `SECRET_`; keys that
/// map to one name (`a-b`, `a.b`) keep it for the first and add `_2`, `_3`, ... to the next.
pub fn env_vars<K: AsRef<str>>(keys: impl IntoIterator<Item = K>) -> Vec<String> {
    let mut used = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for key in keys {
        let upper: String = key
            .as_ref()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let free = upper.starts_with(|c: char| c.is_ascii_alphabetic())
            && !TAKEN.contains(&upper.as_str())
            && !upper.starts_with("BASH")
            && !upper.starts_with("LC_")
            && !upper.starts_with(PREFIX);
        let base = if free {
            upper
        } else {
            format!("{PREFIX}{upper}")
        };
        let mut name = base.clone();
        let mut n = 1;
        while used.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        used.insert(name.clone());
        out.push(name);
    }
    out
}

/// The command that creates Secret `secret` in `namespace` with `keys`, each value read from a
/// shell variable named after its key (`anthropic-api-key` from `"$ANTHROPIC_API_KEY"`, see
/// [`env_vars`]): pasted
/// as printed, it runs one command and never redirects (a `<placeholder>` would read a file).
/// The one form render's stderr, `kustomization.yaml`'s comment and doctor print.
pub fn secret_command<K: AsRef<str>>(
    secret: &str,
    namespace: &str,
    keys: impl IntoIterator<Item = K>,
) -> String {
    let keys: Vec<K> = keys.into_iter().collect();
    let vars = env_vars(&keys);
    let literals: String = keys
        .iter()
        .zip(&vars)
        .map(|(k, var)| {
            let k = k.as_ref();
            // The key and `=` quoted as one word, the variable's expansion double-quoted.
            let flag = q(&format!("--from-literal={k}=")).into_owned();
            format!(" {flag}\"${var}\"")
        })
        .collect();
    format!(
        "kubectl create secret generic {} --namespace={}{literals}",
        q(secret),
        q(namespace)
    )
}
