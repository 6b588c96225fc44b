//! What `explain` and the JSON Schema say of the escape hatch's settings (`patches:`,
//! `resources:`, `crds:`, `accept:`): their docs and schema properties, apart from the
//! semantics in the parent module.

use serde_json::{Map, Value as J};

/// What `explain patches` says: the rules of the escape hatch.
pub const PATCHES_DOC: &str = "Kustomize patches applied to the rendered objects (override files and project environments; not --set). \
Each entry: `target:` (group, version, kind, name, namespace, labelSelector; exact matches) and `patch:`: a map is a strategic-merge patch \
(maps merge by key, `null` deletes a key, `$patch: replace|delete`; containers, initContainers, volumes, env, imagePullSecrets merge by `name`, \
container ports by `containerPort`, volumeMounts by `mountPath`, Service ports by `port`; other lists are replaced; the patch's items come first), \
a list is JSON 6902 operations (`op`, `path`, `value`/`from`), a string is parsed as YAML (Kustomize's `patch: |-`). \
Without `target:` a strategic-merge patch names its object with `kind:` and `metadata.name:`. \
Unlike settings, patches ACCUMULATE over layers, applied in layer order after rendering. A patched object goes through its Kubernetes type: \
an unknown field, a wrong type, a bad JSON pointer or a target that matches nothing is an error at the patch's line. \
A patch never changes an object's kind, apiVersion, name or namespace, and never adds a literal value for a credential-like env var. \
`agentctl config --show-origin` lists every patch with its file:line. Default: none.";

/// What `explain resources` says.
pub const RESOURCES_DOC: &str = "Extra Kubernetes objects added to the output (e.g. a ConfigMap of prompts, a second Service), \
written whole (apiVersion, kind, metadata.name, ...) in override files and project environments; not --set. \
They go to `extra-objects.yaml` (listed in kustomization.yaml), in the output's namespace, with the common labels, and through their Kubernetes type \
like every rendered object (a custom kind: the schema of a CRD listed under `crds:`); patches apply to them too. Never a Secret (create Secrets out of band), never the Namespace or an object agentctl renders \
(patch it instead). They accumulate over layers; an object of the same kind and name in a later layer replaces the earlier one. Default: none.";

/// What `explain crds` says.
pub const CRDS_DOC: &str = "CustomResourceDefinition files (YAML, one or more apiextensions.k8s.io/v1 CRDs each) that make extra objects \
of their kinds possible (override files and project environments' `set:`; not --set): e.g. GKE's HealthCheckPolicy, Gateway API's GRPCRoute, \
KEDA's TriggerAuthentication. Paths are relative to the file that lists them and never leave the project's directory (or, outside a project, \
the listing file's). An extra object's apiVersion and kind must name a served version of a listed CRD; a cluster-scoped kind is refused \
as for built-in kinds; the object is checked against that version's openAPIV3Schema as the API server checks a structural schema \
(unknown fields refused unless x-kubernetes-preserve-unknown-fields, required, enum, types, bounds, patterns, int-or-string), every problem \
at its line. The CRDs themselves are not rendered: installing them is a prerequisite. Kinds agentctl renders or knows (KEDA ScaledObject, \
HTTPRoute, ...) need no entry. Entries ACCUMULATE over layers; a CRD of the same group and kind in a later layer replaces the earlier one. \
Default: none.";

/// The JSON Schema properties of `patches:` and `resources:`, for editors and `explain`.
pub fn schema() -> Map<String, J> {
    let field =
        |doc: &str| serde_json::json!({"type": "string", "description": doc, "default": null});
    let mut m = Map::new();
    m.insert(
        "patches".into(),
        serde_json::json!({
            "description": PATCHES_DOC,
            "type": "array",
            "default": [],
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["patch"],
                "properties": {
                    "target": {
                        "description": "Which objects the patch applies to (exact matches; an absent field matches anything). Without it, a strategic-merge patch names its object with `kind:` and `metadata.name:`.",
                        "type": "object",
                        "default": null,
                        "additionalProperties": false,
                        "properties": {
                            "group": field("API group (`apps`; empty for the core group)."),
                            "version": field("API version (`v1`)."),
                            "kind": field("Kind (`Deployment`)."),
                            "name": field("Object name (`agent-deployment`), exact."),
                            "namespace": field("Namespace of the object."),
                            "labelSelector": field("Equality-based label selector: `app=agent,tier!=cache`.")
                        }
                    },
                    "patch": {
                        "description": "A map (strategic merge), a list of JSON 6902 operations, or either as a YAML string (Kustomize's `patch: |-`).",
                        "type": ["object", "array", "string"],
                        "default": null
                    }
                }
            }
        }),
    );
    m.insert(
        "resources".into(),
        serde_json::json!({
            "description": RESOURCES_DOC,
            "type": "array",
            "default": [],
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "metadata"],
                "additionalProperties": {}
            }
        }),
    );
    m.insert(
        "crds".into(),
        serde_json::json!({
            "description": CRDS_DOC,
            "type": "array",
            "default": [],
            "items": {"type": "string", "minLength": 1}
        }),
    );
    let text = |doc: &str| serde_json::json!({"type": "string", "description": doc, "minLength": 1, "default": null});
    m.insert(
        "accept".into(),
        serde_json::json!({
            "description": ACCEPT_DOC,
            "type": "array",
            "default": [],
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["rule", "object", "reason"],
                "properties": {
                    "rule": {
                        "description": "The lint rule's ID (`agentctl lint` prints it: `AGT102`).",
                        "type": "string",
                        "pattern": "^AGT[0-9]{3}$",
                        "default": null
                    },
                    "object": text("The object it fires on, `Kind/name` as `agentctl lint` prints it (`Deployment/agent-deployment`)."),
                    "reason": text("Why this finding is accepted, for the reviewer (mandatory).")
                }
            }
        }),
    );
    m
}

/// The doc of `accept:` (the schema description and `explain accept`).
pub const ACCEPT_DOC: &str = "Lint findings accepted on purpose (override files and project environments; not --set): \
each entry names a rule (`AGT102`), the object it fires on (`Deployment/agent-deployment`) and a mandatory `reason`. \
An accepted finding is still shown by `agentctl lint` (with the reason and the line of the acceptance) and by \
`config --show-origin`, but `render` no longer refuses it and it is not counted. An acceptance that matches no \
finding is an error at its line. Entries ACCUMULATE over layers. Default: none.";
