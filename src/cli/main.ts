/**
 * The realtime-inspector command line: a table of commands over the core.
 * A command takes its arguments (after the command name) and resolves to an exit code.
 */
import { analyzeCommand } from './analyze.ts';

export type Command = (argv: string[]) => Promise<number>;

/** Every command; `audit` (src/cli/audit.ts) is loaded on demand because it pulls in the browser. */
export const commands: Record<string, Command> = {
  analyze: analyzeCommand,
  audit: async (argv) => (await import('./audit.ts')).auditCommand(argv),
  diff: async (argv) => (await import('./diff.ts')).diffCommand(argv),
};

const USAGE = `Usage: realtime-inspector <command> [options]

Commands:
  analyze <capture.json|file.har> [--json] [--users N] [--html FILE]
                 classify and judge the real-time traffic of a capture or HAR
  audit <url> ...  record a live page in headless Chromium and judge it
  audit --config pages.json [--runs N] [--junit FILE] [--markdown FILE]
                 several pages in one run, repeated and judged, with CI outputs
  diff <before> <after> [--json] [--html FILE] [--budget FILE]
                 what changed between two reports or captures of a page

Run "realtime-inspector <command> --help" for a command's options.`;

/** Dispatch argv (without node and script) to a command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`realtime-inspector: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  return command(rest);
}

process.exitCode = await main(process.argv.slice(2));
