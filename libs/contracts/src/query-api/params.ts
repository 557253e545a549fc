// The query API's rules for a string parameter (a filter value), shared with the web console, which
// checks a shared URL's filters by the same rules before asking. No dependencies, so the console's
// bundle takes this module alone.

/** The longest string parameter the API takes unless a parameter sets its own limit. */
export const MAX_STRING_PARAM_LENGTH = 256;

/** C0 and C1 control characters and DEL: a string parameter with one is a 400. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
