//! The command that creates a Secret out of band, each value read from a shell variable named
//! after its key: one form for render's stderr, `kustomization.yaml`'s comment and `doctor`.

use crate::shell::quote as q;

/// The shell variable a Secret key's value is read from: `anthropic-api-key` →
/// `ANTHROPIC_API_KEY` (letters and digits upper-cased, anything else `_`).
pub fn env_var(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The command that creates Secret `secret` in `namespace` with `keys`, each value read from a
/// shell variable named after its key (`anthropic-api-key` from `"$ANTHROPIC_API_KEY"`): pasted
/// as printed, it runs one command and never redirects (a `<placeholder>` would read a file).
/// The one form render's stderr, `kustomization.yaml`'s comment and doctor print.
pub fn secret_command<K: AsRef<str>>(
    secret: &str,
    namespace: &str,
    keys: impl IntoIterator<Item = K>,
) -> String {
    let literals: String = keys
        .into_iter()
        .map(|k| {
            let k = k.as_ref();
            // The key and `=` quoted as one word, the variable's expansion double-quoted.
            let flag = q(&format!("--from-literal={k}=")).into_owned();
            format!(" {flag}\"${}\"", env_var(k))
        })
        .collect();
    format!(
        "kubectl create secret generic {} --namespace={}{literals}",
        q(secret),
        q(namespace)
    )
}
