//! The command that creates a Secret out of band, each value read from a shell variable named
//! after its key (valid, distinct and agentctl's own whatever the keys: [`env_vars`]): one form
//! for render's stderr, `kustomization.yaml`'s comment and `doctor`; and the one rule for every
//! variable a printed command reads ([`shell_var`]: a Secret's values, a directory of files).

use crate::shell::quote as q;

/// The prefix of the variable each Secret value is read from (`SECRET_ANTHROPIC_API_KEY`).
/// Every variable agentctl prints starts with one of its own prefixes, never a name a shell or
/// the session already gives a meaning: a key named `path`, `ifs`, `ld-preload`, `ps4`,
/// `epochseconds`, `srandom`, `histcmd` or `bash-env` would otherwise read `$PATH` or a
/// dynamic variable bash fills itself (a clock, a random number) as the secret, or ask the
/// user to set one that changes how the shell or every program runs. Bash names none of its
/// variables `SECRET_…` or `DIR_…`.
const PREFIX: &str = "SECRET_";

/// The prefix of the variable naming a directory of files (`DIR_PROMPTS`).
const DIR_PREFIX: &str = "DIR_";

/// The one rule for a variable agentctl prints: `prefix`, then `name` with letters and digits
/// upper-cased and anything else `_` (`anthropic-api-key` → `ANTHROPIC_API_KEY`).
fn shell_var(prefix: &str, name: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + name.len());
    out.push_str(prefix);
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    out
}

/// The shell variables the values of `keys` are read from, one per key and all distinct:
/// `anthropic-api-key` → `SECRET_ANTHROPIC_API_KEY` (`shell_var`); keys that map to one name
/// (`a-b`, `a.b`) keep it for the first and add `_2`, `_3`, ... to the next.
pub fn env_vars<K: AsRef<str>>(keys: impl IntoIterator<Item = K>) -> Vec<String> {
    let mut used = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for key in keys {
        let base = shell_var(PREFIX, key.as_ref());
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

/// The variable naming the directory of files a ConfigMap or a whole Secret is created from,
/// one file per key: `DIR_PROMPTS` for `prompts` ([`shell_var`]; never one of
/// [`env_vars`]'s, whose prefix differs).
pub fn dir_var(name: &str) -> String {
    shell_var(DIR_PREFIX, name)
}

/// The command that creates Secret `secret` in `namespace` with `keys`, each value read from a
/// shell variable named after its key (`anthropic-api-key` from `"$SECRET_ANTHROPIC_API_KEY"`, see
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
