/** Errors the client commands throw; the program maps them to exit codes (1 failure, 2 usage). */

/** A command line that cannot be run as written: exit code 2, as for commander's own parse errors. */
export class UsageError extends Error {}
