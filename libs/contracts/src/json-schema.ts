/**
 * Standalone JSON Schema (draft 2020-12) documents for the v1 contracts, for producers written in
 * other languages. Built from the same TypeBox definitions the validators are compiled from;
 * `scripts/generate-schemas.ts` writes them to libs/contracts/schemas/.
 */
import type { TObject } from '@sinclair/typebox';

import { EVENT_SCHEMAS } from './event-schemas';
import type { SchemaName } from './event-schemas';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** A URN rather than an https URL: the project owns no domain to host the schemas under. */
export function jsonSchemaId(name: SchemaName): string {
  return `urn:tokenmeter:schema:${name}`;
}

export function jsonSchemaFileName(name: SchemaName): string {
  return `${name}.schema.json`;
}

type JsonObject = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

// Keywords in reading order: what a field is, then its constraints, then its children.
const KEYWORD_ORDER = [
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'const',
  'format',
  'default',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'maxProperties',
  'required',
  'properties',
  'patternProperties',
  'additionalProperties',
  'anyOf',
];

function keywordRank(keyword: string): number {
  const rank = KEYWORD_ORDER.indexOf(keyword);
  return rank === -1 ? KEYWORD_ORDER.length : rank;
}

function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reorders the keywords of a schema node and its subschemas; property names keep their order. */
function orderKeywords(node: JsonObject): JsonObject {
  const ordered: JsonObject = {};
  const keywords = Object.keys(node).sort((a, b) => keywordRank(a) - keywordRank(b) || a.localeCompare(b));
  for (const keyword of keywords) {
    const value = node[keyword];
    if (value === undefined) continue;
    if ((keyword === 'properties' || keyword === 'patternProperties') && isJsonObject(value)) {
      const children: JsonObject = {};
      for (const [name, child] of Object.entries(value))
        children[name] = isJsonObject(child) ? orderKeywords(child) : child;
      ordered[keyword] = children;
    } else if (keyword === 'anyOf' && Array.isArray(value)) {
      ordered[keyword] = value.map((child) => (isJsonObject(child) ? orderKeywords(child) : child));
    } else {
      ordered[keyword] = value;
    }
  }
  return ordered;
}

/** The standalone JSON Schema document for one contract. */
export function toJsonSchemaDocument(name: SchemaName): JsonObject {
  const schema: TObject = EVENT_SCHEMAS[name];
  // JSON round trip: drops TypeBox's symbol-keyed metadata and gives a plain, mutable copy.
  const plain = JSON.parse(JSON.stringify(schema)) as JsonObject;
  const properties = plain['properties'];
  const time = isJsonObject(properties) ? properties['time'] : undefined;
  if (isJsonObject(time)) {
    // An annotation for code generators (quicktype etc.). It cannot live in the TypeBox schema:
    // TypeBox's compiled check rejects every value of a format missing from its global registry.
    time['format'] = 'date-time';
  }
  return orderKeywords({ $schema: JSON_SCHEMA_DIALECT, $id: jsonSchemaId(name), ...plain });
}
