// V8 keeps a string built by `+`, a template literal or JSON.stringify as a tree of its pieces
// (a "cons string") until something reads it whole: several times the memory of the text, and
// an object per piece for the collector to trace on every major collection. Strings kept from
// poll to poll (table keys, cached lines, job keys) are flattened once, when made: reading a
// character makes V8 flatten a cons string in place (pino's flatstr relies on the same).
// Nothing depends on it for correctness; it only saves memory and marking.

let _sink = 0;

/** `text`, flattened (the same string value). */
export function flatString(text: string): string {
  // Kept in a module variable so the compiler cannot drop the read as unused.
  if (text.length > 0) _sink ^= text.charCodeAt(0);
  return text;
}
