//! A project environment's `output:` directory: a relative path below `-o DIR`, refused with
//! its reason (absolute, `..`, too long, control characters, agentctl's own names, version
//! control metadata). Split from [`super`] (the project file's checks) by concern.

use std::path::{Component, Path};

use super::Parser;
use crate::config::names::agentctl_file;
use crate::diag::Diagnostic;
use crate::input::project::{MAX_OUTPUT_NAME, MAX_OUTPUT_PATH};
use crate::input::yaml::{Node, Value};

impl Parser {
    /// `output:`: a relative path under `-o DIR`, as its components (each at most
    /// [`MAX_OUTPUT_NAME`] bytes, all at most [`MAX_OUTPUT_PATH`]).
    pub(super) fn output_dir(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        let Value::Str(text) = &node.value else {
            let d = Diagnostic::new(format!(
                "`output` is a directory path, not {}",
                node.value.type_name()
            ))
            .path(path)
            .label("expected a string");
            let d = self.at(d, node.pos, node.len);
            self.error(d);
            return None;
        };
        let mut parts = Vec::new();
        let mut problem = None;
        if Path::new(text).is_absolute() {
            problem = Some("it is an absolute path");
        }
        for c in Path::new(text).components() {
            match c {
                Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => problem = Some("it leaves the output directory (`..`)"),
                Component::RootDir | Component::Prefix(_) => {
                    problem = Some("it is an absolute path");
                }
            }
        }
        if problem.is_none() && parts.is_empty() {
            problem = Some("it names the output directory itself, not a subdirectory of it");
        }
        let long;
        if problem.is_none() {
            if let Some(p) = parts.iter().find(|p| p.len() > MAX_OUTPUT_NAME) {
                long = format!(
                    "a directory name of {} bytes is over the {MAX_OUTPUT_NAME} a file system allows",
                    p.len()
                );
                problem = Some(long.as_str());
            } else if text.len() > MAX_OUTPUT_PATH {
                long = format!(
                    "it is {} bytes long, over the {MAX_OUTPUT_PATH} agentctl allows",
                    text.len()
                );
                problem = Some(long.as_str());
            } else if let Some(c) = text
                .chars()
                .find(|c| c.is_control() || crate::term::hidden(*c))
            {
                long = format!(
                    "it contains U+{:04X}, a control or invisible character: a directory name that a terminal, a review and a pasted command would show as another",
                    u32::from(c)
                );
                problem = Some(long.as_str());
            } else if parts.iter().any(|p| p.contains('\\')) {
                problem = Some("it contains `\\`: separate directories with `/`");
            } else if let Some(why) = parts.iter().find_map(|p| agentctl_file(p)) {
                problem = Some(why);
            } else if let Some(vcs) = parts
                .iter()
                .find(|p| crate::config::names::vcs_metadata(p).is_some())
            {
                let d = Diagnostic::new(format!(
                    "`output` is inside `{vcs}`, a repository's version control metadata directory: agentctl never writes into one"
                ))
                .path(path)
                .label(format!("inside `{vcs}`"))
                .help("choose a directory of the working tree, such as `prod/eu-west`");
                let d = self.at(d, node.pos, node.len);
                self.error(d);
                return None;
            }
        }
        match problem {
            None => Some(parts),
            Some(why) => {
                let d = Diagnostic::new(format!(
                    "`output` must be a subdirectory of -o DIR: {why}"
                ))
                .path(path)
                .label("not a subdirectory")
                .help("write a relative path such as `prod/eu-west`; it is joined to the -o directory");
                let d = self.at(d, node.pos, node.len);
                self.error(d);
                None
            }
        }
    }
}
