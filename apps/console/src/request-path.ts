/** Path and query of an API request, as the API is asked and as `data-request` shows it. */

export type QueryParams = readonly (readonly [name: string, value: string])[];

/**
 * Parameters keep their order and empty values are left out (an empty filter means "all"). Commas
 * and colons stay literal (both are legal in a query) so `groupBy=tenant,model` and RFC 3339 times
 * read as written.
 */
export function requestPath(path: string, params: QueryParams): string {
  const query = params
    .filter(([, value]) => value !== '')
    .map(
      ([name, value]) =>
        `${encodeURIComponent(name)}=${encodeURIComponent(value).replace(/%2C|%3A/gi, decodeURIComponent)}`,
    )
    .join('&');
  return query === '' ? path : `${path}?${query}`;
}
