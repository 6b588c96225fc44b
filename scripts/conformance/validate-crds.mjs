// Validate Prometheus Operator objects with npm's kubernetes-models
// (@kubernetes-models/prometheus-operator): its generated validators check types, required
// fields, enums and patterns of the operator's CRD schemas (not unknown fields: check.py crd
// does that against the real CRD).
//
// usage: node validate-crds.mjs NODE_PREFIX OBJECTS.json    (a JSON array of objects)
// prints one line per problem and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, input] = process.argv.slice(2);
const pkg = join(prefix, "node_modules", "@kubernetes-models", "prometheus-operator");
const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;
const mod = await import(pathToFileURL(join(pkg, "monitoring.coreos.com", "v1", "index.js")).href);
let bad = 0;
const objects = JSON.parse(readFileSync(input, "utf8"));
for (const o of objects) {
  const id = `${o.kind}/${o.metadata && o.metadata.name}`;
  const cls = o.apiVersion === "monitoring.coreos.com/v1" && Object.hasOwn(mod, o.kind) ? mod[o.kind] : null;
  if (typeof cls !== "function" || cls.kind !== o.kind) {
    console.log(`${id}: kubernetes-models ${version} has no model for ${o.apiVersion} ${o.kind}`);
    bad++;
    continue;
  }
  try {
    new cls(o).validate();
  } catch (e) {
    for (const x of e.errors || [e]) console.log(`${id}: ${x.instancePath || ""} ${x.message}${x.params && x.params.allowedValues ? " " + JSON.stringify(x.params.allowedValues) : ""}`);
    bad++;
  }
}
if (!bad) console.log(`${objects.length} object(s) valid (@kubernetes-models/prometheus-operator ${version})`);
process.exit(bad ? 1 : 0);
