import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SCHEMAS_DIR, findDrift, main, renderSchemaFiles } from '../../../scripts/generate-schemas';
import { SCHEMA_NAMES } from './event-schemas';
import type { SchemaName } from './event-schemas';
import { JSON_SCHEMA_DIALECT, jsonSchemaFileName, toJsonSchemaDocument } from './json-schema';

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`not an object: ${String(value)}`);
  return value as JsonObject;
}

describe('committed JSON Schema files', () => {
  it.each(renderSchemaFiles())(
    '$fileName equals what the generator produces (run npm run schemas:generate)',
    ({ fileName, contents }) => {
      expect(readFileSync(join(__dirname, '..', 'schemas', fileName), 'utf8')).toBe(contents);
    },
  );

  it('are 2-space JSON ending with a newline', () => {
    for (const { contents } of renderSchemaFiles()) {
      expect(contents).toBe(`${JSON.stringify(JSON.parse(contents), null, 2)}\n`);
    }
  });

  it('are the files the generator writes, and only those', () => {
    expect(findDrift(SCHEMAS_DIR, renderSchemaFiles())).toEqual([]);
  });

  it('pass `generate-schemas --check` (exit code 0)', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(main(['--check'])).toBe(0);
      expect(log).toHaveBeenCalledWith(`schemas: ${SCHEMA_NAMES.length} files up to date`);
    } finally {
      log.mockRestore();
    }
  });
});

describe.each<SchemaName>([...SCHEMA_NAMES])('toJsonSchemaDocument(%s)', (name) => {
  const document = toJsonSchemaDocument(name);
  const properties = asObject(document['properties']);

  it('is a draft 2020-12 document with an $id and a title', () => {
    expect(document['$schema']).toBe(JSON_SCHEMA_DIALECT);
    expect(document['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(document['$id']).toBe(`urn:tokenmeter:schema:${name}`);
    expect(document['title']).toEqual(expect.any(String));
  });

  it('rejects unknown fields at the top level', () => {
    expect(document['additionalProperties']).toBe(false);
  });

  it('describes every field', () => {
    for (const [field, schema] of Object.entries(properties)) {
      const description = asObject(schema)['description'];
      expect({ field, described: typeof description === 'string' && description.length > 10 }).toEqual({
        field,
        described: true,
      });
    }
  });

  it('states the rules JSON Schema cannot express in its description', () => {
    const description = document['description'];
    if (typeof description !== 'string') throw new Error('the document has no description');
    expect(description).toContain('cannot express');
    expect(description).toContain('5 minutes in the future');
    expect(description).toContain('raw retention');
    const crossFieldRule: Record<SchemaName, string> = {
      'tokens.v1': 'ttftMs <= durationMs',
      'gpu.v1': 'memoryUsedMiB <= memoryTotalMiB',
      'tokens-interval.v1': 'errors <= requests',
    };
    expect(description).toContain(crossFieldRule[name]);
  });

  it('marks time as an RFC 3339 date-time', () => {
    expect(asObject(properties['time'])['format']).toBe('date-time');
  });

  it('carries no TypeBox-only metadata', () => {
    expect(JSON.stringify(document)).not.toMatch(/TypeBox|\[Kind\]|"Optional"/);
  });
});

describe('toJsonSchemaDocument(tokens.v1) specifics', () => {
  const properties = asObject(toJsonSchemaDocument('tokens.v1')['properties']);

  it('documents the tenant default', () => {
    expect(asObject(properties['tenant'])['default']).toBe('default');
  });

  it('closes attributes to keys matching the SPEC pattern', () => {
    const attributes = asObject(properties['attributes']);
    expect(attributes['additionalProperties']).toBe(false);
    expect(attributes['maxProperties']).toBe(16);
    expect(Object.keys(asObject(attributes['patternProperties']))).toEqual(['^[a-z0-9_]{1,64}$']);
  });
});

describe('jsonSchemaFileName', () => {
  it('is <schema>.schema.json', () => {
    expect(jsonSchemaFileName('tokens.v1')).toBe('tokens.v1.schema.json');
    expect(jsonSchemaFileName('gpu.v1')).toBe('gpu.v1.schema.json');
  });
});

describe('findDrift', () => {
  let dir: string;
  const files = [
    { fileName: 'a.schema.json', contents: '{}\n' },
    { fileName: 'b.schema.json', contents: '[]\n' },
  ];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'contracts-schemas-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports nothing when every file matches', () => {
    for (const file of files) writeFileSync(join(dir, file.fileName), file.contents);
    expect(findDrift(dir, files)).toEqual([]);
  });

  it('names a file that differs, a missing file and a stale extra schema', () => {
    writeFileSync(join(dir, 'a.schema.json'), '{ }\n');
    writeFileSync(join(dir, 'old.schema.json'), '{}\n');
    writeFileSync(join(dir, 'README.md'), 'not a schema');
    const drift = findDrift(dir, files);
    expect(drift).toHaveLength(3);
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/a\.schema\.json differs/),
        expect.stringMatching(/b\.schema\.json is missing/),
        expect.stringMatching(/old\.schema\.json is not generated/),
      ]),
    );
  });
});
