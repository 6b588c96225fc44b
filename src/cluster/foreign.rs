//! A foreign error (kube-rs, serde, io, hyper, rustls) as a cluster command shows it: never
//! what it quotes. A credential plugin's failure (`users[].user.exec`) is said from its kind,
//! never from its text: kube-rs's message holds the plugin's whole command line, environment
//! and output (`auth exec command … failed with status 1: Output { stdout: "…token…" }`), or
//! a parse error quoting the output's line (`{"status": {"token": ["…"]}}`). Every other
//! link of the error's chain is shown with what it quotes (`"…"`, `'…'`, `` `…` ``) hidden as
//! `<...>`, and what is left is masked by the credential policy where it is printed
//! (`diag::safe`) like any other line.

use kube::client::AuthError;

/// `e` and its sources, one after the other (a link's text only when no link before holds
/// it), as [`text`] says; `: ` between them.
pub(crate) fn text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut shown: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut link = Some(e);
    while let Some(l) = link {
        let auth = l
            .downcast_ref::<AuthError>()
            .or(match l.downcast_ref::<kube::Error>() {
                Some(kube::Error::Auth(a)) => Some(a),
                _ => None,
            });
        if let Some(a) = auth {
            // Its sources are the plugin's output read: said by `auth` or not at all.
            shown.push(auth_text(a));
            break;
        }
        let t = l.to_string();
        if !seen.iter().any(|s| s.contains(&t)) {
            shown.push(hide_quoted(&t));
            seen.push(t);
        }
        link = l.source();
    }
    shown.join(": ")
}

/// What a client authentication error says, from its kind: the plugin's command line, its
/// environment and its output are never shown (run the plugin yourself to see them).
fn auth_text(e: &AuthError) -> String {
    const UNSHOWN: &str = "its command line, environment and output are not shown (they may hold a credential): run the plugin yourself to see them";
    match e {
        AuthError::AuthExecRun { out, .. } => format!(
            "the credential plugin (the user's `exec` command) failed with {}; {UNSHOWN}",
            out.status
        ),
        AuthError::AuthExecParse(inner) => {
            let (pos, why) = crate::input::yaml::unquoted_error(inner);
            let at = pos.map_or_else(String::new, |p| format!(" at {p}"));
            format!("the credential plugin's output is not an ExecCredential{at}: {why}; {UNSHOWN}")
        }
        AuthError::AuthExecStart(io) => format!(
            "cannot start the credential plugin (the user's `exec` command): {}",
            hide_quoted(&io.to_string())
        ),
        AuthError::ExecPluginFailed => {
            format!("the credential plugin's output has no `status`; {UNSHOWN}")
        }
        AuthError::ParseTokenKey(_) => {
            format!("the auth provider command's output is not JSON; {UNSHOWN}")
        }
        AuthError::AuthExec(message) => {
            format!("the credential plugin failed: {}", hide_quoted(message))
        }
        other => format!("authentication failed: {}", hide_quoted(&other.to_string())),
    }
}

/// `text` with every quoted part (`"…"`, a `'…'` opened after no letter or digit, `` `…` ``)
/// shown as `<...>`; an escaped quote inside does not close it; one left open hides the rest.
pub(crate) fn hide_quoted(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = match c {
            '"' | '`' => true,
            '\'' => i == 0 || !chars[i - 1].is_alphanumeric(),
            _ => false,
        };
        if !opens {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && chars[j] != c {
            j += if chars[j] == '\\' { 2 } else { 1 };
        }
        out.push_str("<...>");
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_parts_are_hidden() {
        assert_eq!(
            hide_quoted(r#"invalid type: string "hunter2", expected a sequence"#),
            "invalid type: string <...>, expected a sequence"
        );
        assert_eq!(
            hide_quoted(r#"Output { stdout: "tok\"en", stderr: 'x' }"#),
            "Output { stdout: <...>, stderr: <...> }"
        );
        assert_eq!(hide_quoted("can't read `a` 'b"), "can't read <...> <...>");
        assert_eq!(hide_quoted("connection refused"), "connection refused");
    }

    #[test]
    fn a_plugin_s_failure_never_shows_its_output() {
        let out = std::process::Command::new("sh")
            .args(["-c", "echo token-hunter2; echo err-hunter2 >&2; exit 3"])
            .output();
        let Ok(out) = out else { return };
        let e = kube::Error::Auth(AuthError::AuthExecRun {
            cmd: "plugin --token=hunter2".into(),
            out: Box::new(out),
        });
        let shown = text(&e);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("exit status: 3"), "{shown}");
        let e = AuthError::AuthExec(r#"Target "token-key" value "hunter2" is not a string"#.into());
        assert!(!text(&e).contains("hunter2"), "{}", text(&e));
    }
}
