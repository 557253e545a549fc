// The query API's answers, one TypeBox schema each with its `Static<>` type: imported by the query
// API (handlers, OpenAPI), its tests (which validate every answer) and the web console (types only).
export * from './schema-helpers';
export * from './series';
export * from './costs';
export * from './events';
