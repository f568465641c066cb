// The shipped files with their package, version and sha256, and every npm package bundled
// into graphiql.min.js with its licence (from package-lock.json). tests/schema/test_graphiql.py
// checks the shipped files against the sha256 lines.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [mods, out] = process.argv.slice(2);
const version = (pkg) => JSON.parse(readFileSync(join(mods, pkg, "package.json"))).version;
const from = {
  "react.production.min.js": "react", "react-dom.production.min.js": "react-dom",
  "graphiql.min.js": "graphiql", "graphiql.min.css": "graphiql",
};
console.log("# schema/static/graphiql/: unmodified files of npm releases (make graphiql-assets)");
for (const name of readdirSync(out).sort()) {
  if (name === "MANIFEST.txt") continue;
  const pkg = from[name] ?? name.replace(/^LICENSE\./, "");
  const sum = createHash("sha256").update(readFileSync(join(out, name))).digest("hex");
  console.log(`${sum}  ${name}  ${pkg}@${version(pkg)}`);
}
console.log("");
console.log("# npm packages in the tree (bundled into graphiql.min.js where it needs them):");
const lock = JSON.parse(readFileSync(join(mods, "..", "package-lock.json")));
for (const [path, meta] of Object.entries(lock.packages).sort()) {
  if (!path) continue;
  console.log(`${path.replace(/^.*node_modules\//, "")}@${meta.version}  ${meta.license ?? "?"}`);
}
