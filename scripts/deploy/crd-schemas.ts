// Turns CustomResourceDefinition YAML files into the JSON schemas kubeconform reads
// (<kind>-<group prefix>-<version>.json), so rendered ServiceMonitors, PrometheusRules and KEDA
// ScaledObjects are validated offline like built-in kinds. The CRDs come from the operators' own
// Go modules (scripts/deploy/tools.sh downloads them from the Go module proxy).
//
// Strict like the built-in schemas: an object that lists its properties rejects unknown ones,
// unless the CRD marks it x-kubernetes-preserve-unknown-fields.
//
// Usage: node -r @swc-node/register scripts/deploy/crd-schemas.ts <out dir> <crd.yaml>...
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** OpenAPI v3 structural schema -> JSON Schema that rejects unknown fields. */
export function strictSchema(schema: Json): Json {
  if (Array.isArray(schema)) {
    return schema.map(strictSchema);
  }
  if (!isObject(schema)) {
    return schema;
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'properties' && isObject(value) ? mapValues(value, strictSchema) : strictSchema(value);
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  const preserves = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (isObject(schema.properties) && schema.additionalProperties === undefined && !preserves) {
    out.additionalProperties = false;
  }
  // OpenAPI's nullable has no JSON Schema keyword; allow null alongside the declared type.
  if (schema.nullable === true && typeof schema.type === 'string') {
    out.type = [schema.type, 'null'];
  }
  return out;
}

function mapValues(object: JsonObject, fn: (value: Json) => Json): JsonObject {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, fn(value)]));
}

export interface CrdSchemaFile {
  fileName: string;
  schema: Json;
}

/** One schema file per served version of a CRD document. */
export function schemasOfCrd(crd: Json): CrdSchemaFile[] {
  if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(crd.spec)) {
    return [];
  }
  const { group, names, versions } = crd.spec;
  if (typeof group !== 'string' || !isObject(names) || typeof names.kind !== 'string' || !Array.isArray(versions)) {
    throw new Error('a CustomResourceDefinition without spec.group, spec.names.kind or spec.versions');
  }
  const kind = names.kind;
  const groupPrefix = (group.split('.')[0] ?? group).toLowerCase();
  const files: CrdSchemaFile[] = [];
  for (const version of versions) {
    if (!isObject(version) || typeof version.name !== 'string' || !isObject(version.schema)) {
      continue;
    }
    const openApi = version.schema.openAPIV3Schema;
    if (!isObject(openApi)) {
      continue;
    }
    const schema = strictSchema(openApi) as JsonObject;
    const properties = isObject(schema.properties) ? schema.properties : {};
    // apiVersion and kind must name this exact resource; metadata stays open as in the CRD.
    properties.apiVersion = { type: 'string', enum: [`${group}/${version.name}`] };
    properties.kind = { type: 'string', enum: [kind] };
    schema.properties = properties;
    files.push({ fileName: `${kind.toLowerCase()}-${groupPrefix}-${version.name}.json`, schema });
  }
  return files;
}

function main(args: readonly string[]): void {
  const [outDir, ...crdFiles] = args;
  if (outDir === undefined || crdFiles.length === 0) {
    console.error('usage: crd-schemas.ts <out dir> <crd.yaml>...');
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  let written = 0;
  for (const file of crdFiles) {
    for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
      for (const { fileName, schema } of schemasOfCrd(document.toJS() as Json)) {
        writeFileSync(join(outDir, fileName), JSON.stringify(schema));
        written += 1;
      }
    }
  }
  console.error(`crd-schemas: wrote ${written} schemas into ${outDir}`);
}

if (require.main === module) {
  main(process.argv.slice(2));
}
