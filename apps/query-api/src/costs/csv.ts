// RFC 4180 CSV: CRLF line ends; a field holding a comma, a double quote, CR or LF is quoted, with
// its double quotes doubled.
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string | number): string {
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows (the header first) as one CSV document, every line CRLF-terminated. */
export function toCsv(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}
