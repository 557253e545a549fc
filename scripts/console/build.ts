/**
 * Builds the web console (apps/console) into the directory the query API serves it from.
 *
 *   npm run build:console               writes dist/apps/query-api/console/
 *   npm run build:console -- --out DIR  writes DIR instead
 *
 * Output: index.html (rewritten to reference the hashed files), app-<HASH>.js (main.ts and uPlot,
 * minified ES2022 module) and app-<HASH>.css (uPlot's stylesheet, then ours). HASH is the first 8
 * hex digits of the SHA-256 of the file's bytes, so the names change exactly when the contents do
 * and two builds from the same lockfile write the same bytes (no timestamps, no absolute paths).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const ROOT = resolve(__dirname, '../..');
const CONSOLE = join(ROOT, 'apps/console');
const DEFAULT_OUT = join(ROOT, 'dist/apps/query-api/console');
// The placeholders apps/console/index.html references; each must appear exactly once.
const JS_PLACEHOLDER = 'src="/console/app.js"';
const CSS_PLACEHOLDER = 'href="/console/app.css"';
const OWN_FILE = /^(index\.html|app-[0-9A-F]{8}\.(js|css)(\.map)?)$/;

const COMMON: BuildOptions = {
  bundle: true,
  minify: true,
  write: false,
  legalComments: 'none',
  logLevel: 'silent',
  absWorkingDir: ROOT,
};

export class ConsoleBuildError extends Error {}

function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 8).toUpperCase();
}

function parseOut(args: readonly string[]): string {
  const index = args.indexOf('--out');
  if (index === -1) return DEFAULT_OUT;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new ConsoleBuildError('--out needs a directory');
  return resolve(value);
}

async function bundleOne(options: BuildOptions, what: string): Promise<Uint8Array> {
  const result = await build({ ...COMMON, ...options });
  const [file, ...rest] = result.outputFiles ?? [];
  if (file === undefined || rest.length > 0) throw new ConsoleBuildError(`${what}: expected one output file`);
  return file.contents;
}

function bundleScript(): Promise<Uint8Array> {
  return bundleOne(
    {
      entryPoints: [join(CONSOLE, 'src/main.ts')],
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      outfile: 'app.js',
      tsconfig: join(CONSOLE, 'tsconfig.json'),
    },
    'script',
  );
}

/** uPlot's stylesheet first, so ours can restyle its legend. */
function bundleStyles(): Promise<Uint8Array> {
  return bundleOne(
    {
      stdin: {
        contents: `@import "uplot/dist/uPlot.min.css";\n@import "./styles.css";\n`,
        resolveDir: join(CONSOLE, 'src'),
        loader: 'css',
        sourcefile: 'app.css',
      },
      outfile: 'app.css',
      target: 'chrome110',
    },
    'styles',
  );
}

function replaceOnce(html: string, placeholder: string, replacement: string): string {
  const parts = html.split(placeholder);
  if (parts.length !== 2)
    throw new ConsoleBuildError(`apps/console/index.html must contain ${placeholder} exactly once`);
  return parts.join(replacement);
}

export async function buildConsole(outDir: string): Promise<{ file: string; bytes: number }[]> {
  const [script, styles] = await Promise.all([bundleScript(), bundleStyles()]);
  const jsName = `app-${contentHash(script)}.js`;
  const cssName = `app-${contentHash(styles)}.css`;
  let html = readFileSync(join(CONSOLE, 'index.html'), 'utf8');
  html = replaceOnce(html, JS_PLACEHOLDER, `src="/console/${jsName}"`);
  html = replaceOnce(html, CSS_PLACEHOLDER, `href="/console/${cssName}"`);
  html = html.replace(/\s*<!-- scripts\/console\/build\.ts .*?-->/, '');

  // Stale hashed files would otherwise pile up and be served forever. Only files this build
  // writes are removed, so a mistaken --out never empties an unrelated directory.
  mkdirSync(outDir, { recursive: true });
  for (const entry of readdirSync(outDir)) {
    if (OWN_FILE.test(entry)) rmSync(join(outDir, entry), { force: true });
  }

  const files: [string, Uint8Array][] = [
    ['index.html', new TextEncoder().encode(html)],
    [jsName, script],
    [cssName, styles],
  ];
  for (const [name, bytes] of files) writeFileSync(join(outDir, name), bytes);
  return files.map(([name, bytes]) => ({ file: join(outDir, name), bytes: bytes.byteLength }));
}

async function main(args: readonly string[]): Promise<number> {
  const outDir = parseOut(args);
  const written = await buildConsole(outDir);
  for (const { file, bytes } of written) {
    console.log(`console: ${relative(process.cwd(), file) || file}  ${bytes.toLocaleString('en-US')} bytes`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // esbuild's errors carry file and line of each problem; print them, not a stack.
    const details = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    if (Array.isArray(details)) {
      for (const problem of details) {
        const where = problem.location ? `${problem.location.file}:${problem.location.line}: ` : '';
        console.error(`console build: ${where}${problem.text}`);
      }
    } else {
      console.error(`console build: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(1);
  },
);
