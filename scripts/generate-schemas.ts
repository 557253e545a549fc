/**
 * Writes the JSON Schema files of the v1 contracts (libs/contracts/schemas/*.schema.json) from the
 * TypeBox definitions in libs/contracts/src, for producers written in other languages.
 *
 *   npm run schemas:generate          rewrite the files
 *   npm run schemas:check             exit 1 and name each file that differs from what would be
 *                                     generated (CI runs this so the files cannot drift)
 *
 * Importing this module has no side effects: the contracts' unit tests import `renderSchemaFiles`
 * to compare it with the committed files.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { SCHEMA_NAMES, jsonSchemaFileName, toJsonSchemaDocument } from '../libs/contracts/src';

export const SCHEMAS_DIR = resolve(__dirname, '../libs/contracts/schemas');
const SCHEMA_FILE_SUFFIX = '.schema.json';

export interface SchemaFile {
  fileName: string;
  contents: string;
}

/** Every schema file's name and exact contents. Pure: reads nothing, writes nothing. */
export function renderSchemaFiles(): SchemaFile[] {
  return SCHEMA_NAMES.map((name) => ({
    fileName: jsonSchemaFileName(name),
    // Plain 2-space JSON: deterministic, diff-friendly; .prettierignore leaves these files alone.
    contents: `${JSON.stringify(toJsonSchemaDocument(name), null, 2)}\n`,
  }));
}

/** One message per file in `dir` that is missing, differs, or is a schema no longer generated. */
export function findDrift(dir: string, files: readonly SchemaFile[]): string[] {
  const problems: string[] = [];
  const shown = (fileName: string): string => relative(process.cwd(), join(dir, fileName));
  for (const file of files) {
    const path = join(dir, file.fileName);
    if (!existsSync(path)) problems.push(`${shown(file.fileName)} is missing`);
    else if (readFileSync(path, 'utf8') !== file.contents)
      problems.push(`${shown(file.fileName)} differs from the TypeBox definition`);
  }
  const expected = new Set(files.map((file) => file.fileName));
  const present = existsSync(dir) ? readdirSync(dir) : [];
  for (const fileName of present) {
    if (fileName.endsWith(SCHEMA_FILE_SUFFIX) && !expected.has(fileName)) {
      problems.push(`${shown(fileName)} is not generated from any contract (delete it or add the contract)`);
    }
  }
  return problems;
}

export function main(args: readonly string[]): number {
  const files = renderSchemaFiles();
  if (args.includes('--check')) {
    const drift = findDrift(SCHEMAS_DIR, files);
    for (const problem of drift) console.error(`schemas: ${problem}`);
    if (drift.length > 0) {
      console.error('schemas: run `npm run schemas:generate` and commit the result');
      return 1;
    }
    console.log(`schemas: ${files.length} files up to date`);
    return 0;
  }
  mkdirSync(SCHEMAS_DIR, { recursive: true });
  for (const file of files) {
    writeFileSync(join(SCHEMAS_DIR, file.fileName), file.contents);
    console.log(`schemas: wrote ${relative(process.cwd(), join(SCHEMAS_DIR, file.fileName))}`);
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
