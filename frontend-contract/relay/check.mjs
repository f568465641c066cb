// Relay's compiler over a refetchable, paginated fragment for every connection field of
// Query and of the Node types, generated from a schema into a throwaway folder; exits with
// relay-compiler's status. `node relay/check.mjs [schema.graphql]` (default: the contract's).
// Each fragment declares the field's arguments with the field's own types and defaults, as
// a Relay app would; see README.md#relay.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSchema, getNamedType, isInterfaceType, isObjectType, print, astFromValue,
} from 'graphql';

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = resolve(process.argv[2] ?? join(here, '..', 'schema.graphql'));
const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
const PAGING = new Set(['first', 'after', 'last', 'before']);

function isConnection(type) {
  const named = getNamedType(type);
  return isObjectType(named) && named.name.endsWith('Connection') && 'edges' in named.getFields();
}

function owners() {
  const node = schema.getType('Node');
  const types = Object.values(schema.getTypeMap()).filter(
    (t) => isObjectType(t) && !t.name.startsWith('__') && isInterfaceType(node)
      && t.getInterfaces().includes(node));
  return [schema.getQueryType(), ...types];
}

const upper = (s) => s[0].toUpperCase() + s.slice(1);

function fragmentFor(owner, field) {
  const module = `${owner.name === 'Query' ? '' : owner.name}${upper(field.name)}List`;
  const names = new Set(field.args.map((a) => a.name));
  const forward = names.has('first') && names.has('after');
  const backward = names.has('last') && names.has('before');
  const defs = [];
  const args = [];
  if (forward) {
    defs.push('count: {type: "Int", defaultValue: 20}', 'cursor: {type: "String"}');
    args.push('first: $count', 'after: $cursor');
  }
  if (backward) {
    defs.push('last: {type: "Int"}', 'before: {type: "String"}');
    args.push('last: $last', 'before: $before');
  }
  for (const arg of field.args.filter((a) => !PAGING.has(a.name))) {
    let def = `${arg.name}: {type: "${arg.type.toString()}"`;
    if (arg.defaultValue !== undefined && arg.defaultValue !== null) {
      def += `, defaultValue: ${print(astFromValue(arg.defaultValue, arg.type))}`;
    }
    defs.push(`${def}}`);
    args.push(`${arg.name}: $${arg.name}`);
  }
  const node = getNamedType(getNamedType(field.type).getFields().edges.type).getFields().node;
  const hasId = 'id' in getNamedType(node.type).getFields();
  const text = `fragment ${module}_data on ${owner.name}
  @refetchable(queryName: "${module}RefetchQuery")
  @argumentDefinitions(${defs.join(', ')}) {
  ${field.name}(${args.join(', ')}) @connection(key: "${module}_${field.name}") {
    edges { node { ${hasId ? 'id' : '__typename'} } }
  }
}`;
  return { module, text, bothWays: forward && backward };
}

const root = mkdtempSync(join(tmpdir(), 'relay-check-'));
let status = 1;
try {
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, '__generated__'));
  const oneWay = [];
  let count = 0;
  for (const owner of owners()) {
    for (const field of Object.values(owner.getFields())) {
      if (!isConnection(field.type)) continue;
      const { module, text, bothWays } = fragmentFor(owner, field);
      if (!bothWays) oneWay.push(`${owner.name}.${field.name}`);
      writeFileSync(join(root, 'src', `${module}.ts`),
        `import { graphql } from 'relay-runtime';\n\nexport const fragment = graphql\`\n${text}\n\`;\n`);
      count += 1;
    }
  }
  writeFileSync(join(root, 'relay.config.json'), JSON.stringify({
    src: './src', schema: schemaPath, language: 'typescript', artifactDirectory: './__generated__',
  }));
  console.log(`relay-compiler: ${count} refetchable pagination fragments from ${schemaPath}`);
  const run = spawnSync(join(here, '..', 'node_modules', '.bin', 'relay-compiler'),
    ['--output', 'quiet-with-errors'], { cwd: root, stdio: 'inherit' });
  status = run.status ?? 1;
  if (oneWay.length > 0) {
    console.error(`connections that page one way only: ${oneWay.join(', ')}`);
    status = status || 1;
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.exit(status);
