/** Exit codes and the one error type of the `audit` command. */

/** A failure the CLI explains in one sentence and maps to an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit codes of `audit` (sysexits.h where one fits). Documented in README.md. */
export const EXIT = {
  ok: 0,
  /** A --fail-on level was reached. */
  failOn: 1,
  /** An --assert was violated (2 | 1 = 3 when both). */
  assert: 2,
  /** --baseline: a regression beyond the budget (added to the others: 4 to 7). */
  budget: 4,
  /** Bad arguments or config file. */
  usage: 64,
  /** The URL could not be loaded (DNS, refused, TLS, HTTP error status). */
  unreachable: 68,
  /** No browser or no built extension. */
  unavailable: 69,
  /** The page or the browser crashed, or the extension did not answer. */
  crashed: 70,
} as const;
