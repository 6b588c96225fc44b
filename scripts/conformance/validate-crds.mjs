// Validate Prometheus Operator objects with npm's kubernetes-models
// (@kubernetes-models/prometheus-operator): its generated validators check types, required
// fields, enums and patterns of the operator's CRD schemas (they do not reject unknown fields;
// crd_validate.py does that against the real CRD).
//
// usage: node validate-crds.mjs NODE_PREFIX INPUT.json
//   INPUT.json: [{"id": "...", "object": {...}}, ...]
// prints one JSON line: [{"id": "...", "ok": true|false, "errors": ["..."]}, ...]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, input] = process.argv.slice(2);
const pkg = join(prefix, "node_modules", "@kubernetes-models", "prometheus-operator");
const modules = {};
for (const v of ["v1", "v1alpha1", "v1beta1"]) {
  try {
    modules[`monitoring.coreos.com/${v}`] = await import(
      pathToFileURL(join(pkg, "monitoring.coreos.com", v, "index.js")).href
    );
  } catch (e) {
    if (v === "v1") throw e;
  }
}
const pkgVersion = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;

const items = JSON.parse(readFileSync(input, "utf8"));
const results = [];
for (const { id, object } of items) {
  const mod = modules[object.apiVersion];
  const cls = mod && mod[object.kind];
  if (!cls || typeof cls !== "function" || cls.apiVersion !== object.apiVersion || cls.kind !== object.kind) {
    results.push({ id, ok: false, errors: [`kubernetes-models has no model for ${object.apiVersion} ${object.kind}`] });
    continue;
  }
  try {
    new cls(object).validate();
    results.push({ id, ok: true, errors: [] });
  } catch (e) {
    const errs = Array.isArray(e.errors) && e.errors.length
      ? e.errors.map((x) => `${x.instancePath || "/"} ${x.message}${x.params && x.params.allowedValues ? " " + JSON.stringify(x.params.allowedValues) : ""}`)
      : [String(e.message || e)];
    results.push({ id, ok: false, errors: errs });
  }
}
process.stdout.write(JSON.stringify({ version: pkgVersion, results }) + "\n");
