//! The built-in profiles: typed partial configurations embedded from `profiles/*.yaml`.
//!
//! A profile is a layer like any override file, parsed and checked against the schema from its
//! own text, so an error in one points at its line. Profiles are looked up by name only; a
//! profile name is never a path.

/// A built-in profile.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Its name (`-p NAME`).
    pub name: &'static str,
    /// The YAML text; its first line is a `# description` comment.
    pub text: &'static str,
}

impl Profile {
    /// The one-line description (the profile's first comment line).
    pub fn description(&self) -> &'static str {
        self.text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix('#'))
            .map_or("", str::trim)
    }
}

/// Every built-in profile, in the order `agentctl profiles` lists them.
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "dev",
        text: include_str!("../../profiles/dev.yaml"),
    },
    Profile {
        name: "high-throughput",
        text: include_str!("../../profiles/high-throughput.yaml"),
    },
    Profile {
        name: "low-latency",
        text: include_str!("../../profiles/low-latency.yaml"),
    },
];

/// Finds a profile by exact name.
pub fn find(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name)
}
