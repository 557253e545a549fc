/**
 * Checks the Grafana dashboards and the Prometheus rules against what the apps really expose
 * (issue 7: "a wrong metric name in a dashboard makes the check fail").
 *
 *   npm run observability:check    this check, then `promtool test rules` and `check rules`
 *
 * - Every dashboard in deploy/observability/dashboards/ parses and has a uid, a title and panels;
 *   panel ids are unique; every panel has a type and a gridPos.
 * - Every Prometheus query (panel targets, templating queries, rule expressions) only names
 *   metrics of the catalog, or recording rules defined in the rules file.
 * - Every Infinity (JSON API) target calls a query API path of apps/query-api/openapi.json, with
 *   parameters that path declares.
 * - docs/OBSERVABILITY.md documents every catalog metric and has the section each alert's
 *   runbook_url points to.
 *
 * The catalog is read from the code: each `name: '…'` inside counter/gauge/histogram/summary(…)
 * under apps/ and libs/, plus prom-client's default metrics (DEFAULT_METRICS below).
 * Importing this module has no side effects; the spec imports the pure functions.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const DASHBOARDS_DIR = join(ROOT, 'deploy/observability/dashboards');
export const RULES_FILE = join(ROOT, 'deploy/observability/rules/tokenmeter.rules.yml');
export const OPENAPI_FILE = join(ROOT, 'apps/query-api/openapi.json');
export const DOC_FILE = join(ROOT, 'docs/OBSERVABILITY.md');
const SOURCE_DIRS = ['apps', 'libs'];

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';
export type Catalog = ReadonlyMap<string, MetricType>;

/**
 * prom-client 15's collectDefaultMetrics() on Linux (every service enables it through
 * PrometheusModule's defaultMetrics). The one hand-written list: these names live in
 * node_modules, not in our sources. The spec checks it against a fresh collectDefaultMetrics().
 */
export const DEFAULT_METRICS: Readonly<Record<string, MetricType>> = {
  process_cpu_user_seconds_total: 'counter',
  process_cpu_system_seconds_total: 'counter',
  process_cpu_seconds_total: 'counter',
  process_start_time_seconds: 'gauge',
  process_resident_memory_bytes: 'gauge',
  process_virtual_memory_bytes: 'gauge',
  process_heap_bytes: 'gauge',
  process_open_fds: 'gauge',
  process_max_fds: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_eventloop_lag_min_seconds: 'gauge',
  nodejs_eventloop_lag_max_seconds: 'gauge',
  nodejs_eventloop_lag_mean_seconds: 'gauge',
  nodejs_eventloop_lag_stddev_seconds: 'gauge',
  nodejs_eventloop_lag_p50_seconds: 'gauge',
  nodejs_eventloop_lag_p90_seconds: 'gauge',
  nodejs_eventloop_lag_p99_seconds: 'gauge',
  nodejs_active_resources: 'gauge',
  nodejs_active_resources_total: 'gauge',
  nodejs_active_handles: 'gauge',
  nodejs_active_handles_total: 'gauge',
  nodejs_active_requests: 'gauge',
  nodejs_active_requests_total: 'gauge',
  nodejs_heap_size_total_bytes: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_external_memory_bytes: 'gauge',
  nodejs_heap_space_size_total_bytes: 'gauge',
  nodejs_heap_space_size_used_bytes: 'gauge',
  nodejs_heap_space_size_available_bytes: 'gauge',
  nodejs_version_info: 'gauge',
  nodejs_gc_duration_seconds: 'histogram',
};

/** Series Prometheus itself writes for every scrape target; rules may use them. */
const SCRAPE_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);

const INFINITY = 'yesoreyeram-infinity-datasource';
const PROMETHEUS = 'prometheus';

// ---------------------------------------------------------------------------------------------
// The catalog, from the TypeScript sources

const METRIC_CALL = /\b(?:new\s+)?(counter|gauge|histogram|summary)\s*(?:<[^>(]*>)?\s*\(\s*\{/gi;

/** The metrics a TypeScript source registers: `name: '…'` in a counter/gauge/histogram/summary({…}) call. */
export function metricsDeclaredIn(source: string): Array<{ name: string; type: MetricType }> {
  const found: Array<{ name: string; type: MetricType }> = [];
  for (const match of source.matchAll(METRIC_CALL)) {
    const open = (match.index ?? 0) + match[0].length - 1;
    const body = source.slice(open, closingBrace(source, open));
    const name = /(?:^|[{,\s])name\s*:\s*['"`]([a-zA-Z_:][a-zA-Z0-9_:]*)['"`]/.exec(body)?.[1];
    if (name !== undefined) found.push({ name, type: (match[1] ?? '').toLowerCase() as MetricType });
  }
  return found;
}

/** Index just past the `}` that closes the `{` at `open` (strings skipped). */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') i = skipString(text, i);
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return text.length;
}

function skipString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return entry.endsWith('.ts') && !entry.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every metric the apps register (sources under apps/ and libs/) plus prom-client's defaults. */
export function buildCatalog(root: string = ROOT): Map<string, MetricType> {
  const catalog = new Map<string, MetricType>(Object.entries(DEFAULT_METRICS));
  for (const file of SOURCE_DIRS.flatMap((dir) => sourceFiles(join(root, dir)))) {
    for (const { name, type } of metricsDeclaredIn(readFileSync(file, 'utf8'))) catalog.set(name, type);
  }
  return catalog;
}

// ---------------------------------------------------------------------------------------------
// Metric names in PromQL

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);
/** Followed by a parenthesised list of label names, not an expression. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const IDENT_START = /[a-zA-Z_:]/;
const IDENT_PART = /[a-zA-Z0-9_:]/;

/**
 * The metric names a PromQL expression selects. A small tokenizer, not a parser: it skips
 * strings, comments, label matchers `{…}`, ranges `[…]`, numbers and durations, Grafana
 * variables (`$x`, `${x}`, `[[x]]`), function names (an identifier before `(`), keywords and
 * the label lists of by/without/on/ignoring/group_left/group_right.
 */
export function metricNamesIn(expr: string): string[] {
  const names: string[] = [];
  let i = 0;
  const skipTo = (close: string): void => {
    while (i < expr.length && expr[i] !== close) {
      if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') i = skipString(expr, i);
      i++;
    }
    i++;
  };
  while (i < expr.length) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i) + 1;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '{') {
      skipTo('}');
    } else if (c === '[') {
      skipTo(']');
    } else if (c === '$') {
      i++;
      if (expr[i] === '{') skipTo('}');
      else while (i < expr.length && IDENT_PART.test(expr[i] as string)) i++;
    } else if (/[0-9.]/.test(c)) {
      while (i < expr.length && /[0-9a-zA-Z_.]/.test(expr[i] as string)) i++;
    } else if (IDENT_START.test(c)) {
      const start = i;
      while (i < expr.length && IDENT_PART.test(expr[i] as string)) i++;
      const word = expr.slice(start, i);
      let next = i;
      while (next < expr.length && /\s/.test(expr[next] as string)) next++;
      // `sum by (job) (…)`: an aggregation with its grouping clause first is a function too.
      const beforeParen = expr[next] === '(' || /^(by|without)\s*\(/i.test(expr.slice(next));
      if (LABEL_LIST_KEYWORDS.has(word.toLowerCase())) {
        if (beforeParen) {
          i = next + 1;
          skipTo(')');
        }
      } else if (!beforeParen && !KEYWORDS.has(word.toLowerCase())) {
        names.push(word);
      }
    } else {
      i++;
    }
  }
  return [...new Set(names)];
}

/** Why `name` is not a series the catalog provides, or undefined when it is. */
export function unknownMetricReason(name: string, catalog: Catalog, recorded: ReadonlySet<string>): string | undefined {
  if (catalog.has(name)) {
    const type = catalog.get(name);
    return type === 'histogram' || type === 'summary'
      ? `"${name}" is a ${type}: select ${name}_bucket, _sum or _count`
      : undefined;
  }
  if (recorded.has(name) || SCRAPE_SERIES.has(name)) return undefined;
  const suffix = /_(bucket|sum|count)$/.exec(name);
  if (suffix !== null) {
    const base = name.slice(0, suffix.index);
    const type = catalog.get(base);
    if (type === 'histogram' || (type === 'summary' && suffix[1] !== 'bucket')) return undefined;
  }
  return `unknown metric "${name}"`;
}

// ---------------------------------------------------------------------------------------------
// The rules file (a narrow reader for our own rule-file style, so no YAML dependency)

export interface RuleExpr {
  /** `alert NAME` or `record NAME`. */
  rule: string;
  expr: string;
}

export interface RulesFile {
  exprs: RuleExpr[];
  recorded: Set<string>;
  runbookAnchors: Array<{ rule: string; anchor: string }>;
}

/** Reads `record:`, `alert:`, `expr:` (plain, quoted or `|`/`>` block) and `runbook_url:` keys. */
export function readRules(yaml: string): RulesFile {
  const lines = yaml.split('\n');
  const result: RulesFile = { exprs: [], recorded: new Set(), runbookAnchors: [] };
  let rule = '';
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    const key = /^(\s*)(?:- )?(record|alert|expr|runbook_url):\s*(.*)$/.exec(line);
    if (key === null) continue;
    const [, indent = '', name, rest = ''] = key;
    const value = unquote(rest.replace(/\s+#.*$/, '').trim());
    if (name === 'record' || name === 'alert') {
      rule = `${name} ${value}`;
      if (name === 'record') result.recorded.add(value);
    } else if (name === 'runbook_url') {
      result.runbookAnchors.push({ rule, anchor: value.split('#')[1] ?? '' });
    } else if (/^[|>][-+]?$/.test(value)) {
      const block: string[] = [];
      const keyIndent = indent.length + (line.trimStart().startsWith('- ') ? 2 : 0);
      while (n + 1 < lines.length) {
        const next = lines[n + 1] as string;
        if (next.trim() !== '' && next.length - next.trimStart().length <= keyIndent) break;
        block.push(next);
        n++;
      }
      result.exprs.push({ rule, expr: dedent(block) });
    } else {
      result.exprs.push({ rule, expr: value });
    }
  }
  return result;
}

/** A block scalar's lines without their common indentation, as YAML reads them. */
function dedent(lines: readonly string[]): string {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
  const common = Math.min(...indents);
  return lines
    .map((l) => l.slice(common))
    .join('\n')
    .trim();
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return JSON.parse(value) as string;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Dashboards

interface DatasourceRef {
  type?: string;
  uid?: string;
}

interface Target {
  refId?: string;
  datasource?: DatasourceRef | string | null;
  expr?: unknown;
  url?: unknown;
  source?: unknown;
  url_options?: { params?: Array<{ key?: unknown; value?: unknown }> };
}

interface Panel {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  gridPos?: { x?: unknown; y?: unknown; w?: unknown; h?: unknown };
  datasource?: DatasourceRef | string | null;
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  name?: string;
  type?: string;
  query?: unknown;
  datasource?: DatasourceRef | string | null;
}

interface Dashboard {
  uid?: unknown;
  title?: unknown;
  schemaVersion?: unknown;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

/** The query API's operations: path template -> parameter name -> allowed values (if an enum). */
export type QueryApi = ReadonlyMap<string, ReadonlyMap<string, readonly string[] | undefined>>;

export function readQueryApi(openapi: string): QueryApi {
  const doc = JSON.parse(openapi) as {
    paths: Record<string, { get?: { parameters?: Array<{ name: string; in: string; schema?: { enum?: string[] } }> } }>;
  };
  const api = new Map<string, Map<string, readonly string[] | undefined>>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (item.get === undefined) continue;
    const params = (item.get.parameters ?? []).filter((p) => p.in === 'query');
    api.set(path, new Map(params.map((p) => [p.name, p.schema?.enum])));
  }
  return api;
}

export interface CheckContext {
  catalog: Catalog;
  recorded: ReadonlySet<string>;
  queryApi: QueryApi;
}

const hasVariable = (value: string): boolean => /\$|\[\[/.test(value);

function matchApiPath(api: QueryApi, path: string): string | undefined {
  for (const template of api.keys()) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path)) return template;
  }
  return undefined;
}

/** The problems of one dashboard, each naming the file and the panel. */
export function checkDashboard(file: string, text: string, ctx: CheckContext): string[] {
  const problems: string[] = [];
  let dashboard: Dashboard;
  try {
    dashboard = JSON.parse(text) as Dashboard;
  } catch (error) {
    return [`${file}: not valid JSON (${(error as Error).message})`];
  }
  for (const key of ['uid', 'title'] as const) {
    if (typeof dashboard[key] !== 'string' || dashboard[key] === '') problems.push(`${file}: no ${key}`);
  }
  if (typeof dashboard.uid === 'string' && dashboard.uid.length > 40)
    problems.push(`${file}: uid longer than 40 chars`);
  if (typeof dashboard.schemaVersion !== 'number') problems.push(`${file}: no schemaVersion`);
  if (!Array.isArray(dashboard.panels) || dashboard.panels.length === 0) problems.push(`${file}: no panels`);

  const variables = dashboard.templating?.list ?? [];
  const datasourceType = (ref: DatasourceRef | string | null | undefined): string | undefined => {
    if (ref === undefined || ref === null) return undefined;
    const uid = typeof ref === 'string' ? ref : ref.uid;
    if (typeof ref !== 'string' && ref.type !== undefined) return ref.type;
    const variable = /^\$\{?(\w+)\}?$/.exec(uid ?? '')?.[1];
    const found = variables.find((v) => v.name === variable && v.type === 'datasource');
    return typeof found?.query === 'string' ? found.query : undefined;
  };
  const checkPromQL = (where: string, expr: string): void => {
    for (const name of metricNamesIn(expr)) {
      const reason = unknownMetricReason(name, ctx.catalog, ctx.recorded);
      if (reason !== undefined) problems.push(`${file}: ${where}: ${reason} in expr ${JSON.stringify(expr)}`);
    }
  };

  for (const variable of variables) {
    if (variable.type !== 'query' || datasourceType(variable.datasource) !== PROMETHEUS) continue;
    const raw = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: unknown })?.query;
    if (typeof raw !== 'string') continue;
    // label_values(<selector>, label) and query_result(<expr>) hold PromQL; label_values(label) none.
    const inner =
      /^\s*label_values\((.*),\s*\w+\s*\)\s*$/s.exec(raw)?.[1] ?? /^\s*query_result\((.*)\)\s*$/s.exec(raw)?.[1];
    if (inner !== undefined) checkPromQL(`variable "${variable.name}"`, inner);
    else if (!/^\s*label_values\(\s*\w+\s*\)\s*$/.test(raw)) checkPromQL(`variable "${variable.name}"`, raw);
  }

  const seenIds = new Map<unknown, string>();
  const visit = (panel: Panel): void => {
    const title = typeof panel.title === 'string' ? panel.title : '';
    const where = `panel "${title}" (id ${String(panel.id)})`;
    if (typeof panel.id !== 'number') problems.push(`${file}: ${where}: no numeric id`);
    else if (seenIds.has(panel.id)) problems.push(`${file}: ${where}: id also used by ${seenIds.get(panel.id)}`);
    else seenIds.set(panel.id, `panel "${title}"`);
    if (typeof panel.type !== 'string' || panel.type === '') problems.push(`${file}: ${where}: no type`);
    const g = panel.gridPos;
    if (g === undefined || ![g.x, g.y, g.w, g.h].every((n) => typeof n === 'number')) {
      problems.push(`${file}: ${where}: no gridPos {x, y, w, h}`);
    }
    if (panel.type !== 'row' && panel.type !== 'text' && (panel.targets ?? []).length === 0) {
      problems.push(`${file}: ${where}: no targets`);
    }
    for (const target of panel.targets ?? []) {
      const at = `${where} target ${target.refId ?? '?'}`;
      const type = datasourceType(target.datasource) ?? datasourceType(panel.datasource);
      if (type === PROMETHEUS) {
        if (typeof target.expr !== 'string' || target.expr.trim() === '') problems.push(`${file}: ${at}: empty expr`);
        else checkPromQL(at, target.expr);
      } else if (type === INFINITY) {
        problems.push(...checkInfinityTarget(target, ctx.queryApi).map((p) => `${file}: ${at}: ${p}`));
      } else {
        problems.push(`${file}: ${at}: datasource type ${String(type)} is neither ${PROMETHEUS} nor ${INFINITY}`);
      }
    }
    for (const child of panel.panels ?? []) visit(child);
  };
  for (const panel of dashboard.panels ?? []) visit(panel);
  return problems;
}

function checkInfinityTarget(target: Target, api: QueryApi): string[] {
  if (target.source !== 'url') return [`source ${JSON.stringify(target.source)} is not "url"`];
  if (typeof target.url !== 'string' || target.url === '') return ['empty url'];
  // The datasource's base URL is the query API; a target carries only the path.
  const [path = '', query = ''] = target.url.split('?');
  const template = matchApiPath(api, path);
  if (template === undefined) return [`url ${JSON.stringify(target.url)} is not a query API path (openapi.json)`];
  const declared = api.get(template) ?? new Map<string, readonly string[] | undefined>();
  const params: Array<[string, string]> = [
    ...[...new URLSearchParams(query)],
    ...(target.url_options?.params ?? []).map((p): [string, string] => [String(p.key), String(p.value)]),
  ];
  const problems: string[] = [];
  for (const [key, value] of params) {
    if (!declared.has(key)) problems.push(`${template} has no query parameter "${key}"`);
    const allowed = declared.get(key);
    if (allowed !== undefined && !hasVariable(value) && !allowed.includes(value)) {
      problems.push(`${template}?${key}=${value} is not one of ${allowed.join(', ')}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The documentation

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (match[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    anchors.add(slug);
  }
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  return anchors;
}

export function checkDocs(file: string, markdown: string, catalog: Catalog, rules: RulesFile): string[] {
  const problems: string[] = [];
  for (const name of catalog.keys()) {
    if (!markdown.includes(`\`${name}\``)) problems.push(`${file}: metric \`${name}\` is not documented`);
  }
  const anchors = headingAnchors(markdown);
  for (const { rule, anchor } of rules.runbookAnchors) {
    if (!anchors.has(anchor)) problems.push(`${file}: no section #${anchor} (runbook_url of ${rule})`);
  }
  for (const match of markdown.matchAll(/\]\(#([^)\s]+)\)/g)) {
    if (!anchors.has(match[1] ?? '')) problems.push(`${file}: link to #${match[1]} has no section`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

export interface CheckResult {
  problems: string[];
  summary: string;
}

export function checkAll(dashboardsDir: string = DASHBOARDS_DIR): CheckResult {
  const shown = (path: string): string => relative(process.cwd(), path);
  const catalog = buildCatalog();
  const rules = readRules(readFileSync(RULES_FILE, 'utf8'));
  const ctx: CheckContext = {
    catalog,
    recorded: rules.recorded,
    queryApi: readQueryApi(readFileSync(OPENAPI_FILE, 'utf8')),
  };
  const problems: string[] = [];
  const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
  const uids = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(join(dashboardsDir, file), 'utf8');
    problems.push(...checkDashboard(shown(join(dashboardsDir, file)), text, ctx));
    const uid = (JSON.parse(text) as Dashboard | null)?.uid;
    if (typeof uid === 'string' && uids.has(uid)) problems.push(`${file}: uid "${uid}" also used by ${uids.get(uid)}`);
    if (typeof uid === 'string') uids.set(uid, file);
  }
  for (const { rule, expr } of rules.exprs) {
    for (const name of metricNamesIn(expr)) {
      const reason = unknownMetricReason(name, catalog, rules.recorded);
      if (reason !== undefined)
        problems.push(`${shown(RULES_FILE)}: ${rule}: ${reason} in expr ${JSON.stringify(expr)}`);
    }
  }
  problems.push(...checkDocs(shown(DOC_FILE), readFileSync(DOC_FILE, 'utf8'), catalog, rules));
  const summary =
    `observability: ${files.length} dashboards and ${rules.exprs.length} rule expressions use only the ` +
    `${catalog.size} metrics the apps expose (plus ${rules.recorded.size} recording rules); all documented`;
  return { problems, summary };
}

export function main(args: readonly string[]): number {
  const dir = args[0] === undefined ? DASHBOARDS_DIR : resolve(args[0]);
  let result: CheckResult;
  try {
    result = checkAll(dir);
  } catch (error) {
    console.error(`observability: ${(error as Error).message}`);
    return 1;
  }
  for (const problem of result.problems) console.error(problem);
  if (result.problems.length > 0) {
    console.error(`observability: ${result.problems.length} problem(s)`);
    return 1;
  }
  console.log(result.summary);
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
