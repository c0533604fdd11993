// uci's command line options, read the way glibc getopt() reads them for uci's option string
// "c:d:f:LmnNp:P:qsSt:X": options may follow the command (arguments are permuted), letters
// may be grouped (-qX), an option's argument may be glued (-c/dir) or the next word, and "--"
// ends the options. Errors are reported in glibc's words.

export interface UciCliSettings {
  configDir: string;
  delimiter: string;
  strict: boolean;
  /** -S: print parse errors and go on (uci sets this with non-strict mode). */
  printParseErrors: boolean;
  quiet: boolean;
  extendedShow: boolean;
  exportNames: boolean;
  inputFile: string | undefined;
}

export type ParsedCommandLine =
  | { readonly kind: 'run'; readonly settings: UciCliSettings; readonly operands: string[] }
  /** getopt failed or -L: uci prints `message` (if any) and its usage, and exits 0. */
  | { readonly kind: 'usage'; readonly message: string }
  | { readonly kind: 'fail'; readonly message: string; readonly exitCode: number };

const WITH_ARGUMENT = new Set(['c', 'd', 'f', 'p', 'P', 't']);
const WITHOUT_ARGUMENT = new Set(['L', 'm', 'n', 'N', 'q', 's', 'S', 'X']);

export function defaultCliSettings(): UciCliSettings {
  return {
    configDir: '/etc/config',
    delimiter: ' ',
    strict: true,
    printParseErrors: false,
    quiet: false,
    extendedShow: true,
    exportNames: false,
    inputFile: undefined,
  };
}

export interface CommandLineContext {
  readonly appName: string;
  /** uci opens -f's file as soon as it reads the option; returns strerror() text on failure. */
  readonly openInput: (path: string) => string | undefined;
}

export function parseUciCommandLine(args: readonly string[], context: CommandLineContext): ParsedCommandLine {
  const { appName } = context;
  const settings = defaultCliSettings();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      operands.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      if (WITH_ARGUMENT.has(letter)) {
        let value = arg.slice(j + 1);
        if (value === '') {
          if (i + 1 >= args.length) {
            return { kind: 'usage', message: `${appName}: option requires an argument -- '${letter}'\n` };
          }
          value = args[++i]!;
        }
        const failure = applyOptionWithArgument(settings, letter, value, context);
        if (failure !== undefined) return failure;
        break;
      }
      if (!WITHOUT_ARGUMENT.has(letter)) {
        return { kind: 'usage', message: `${appName}: invalid option -- '${letter}'\n` };
      }
      if (letter === 'L') return { kind: 'usage', message: '' };
      applyFlag(settings, letter);
    }
  }
  return { kind: 'run', settings, operands };
}

function applyOptionWithArgument(
  settings: UciCliSettings,
  letter: string,
  value: string,
  context: CommandLineContext,
): ParsedCommandLine | undefined {
  switch (letter) {
    case 'c':
      settings.configDir = value;
      break;
    case 'd':
      // Output is built from byte strings (latin1); argv arrives decoded as UTF-8.
      settings.delimiter = Buffer.from(value, 'utf8').toString('latin1');
      break;
    case 'f':
      if (settings.inputFile !== undefined) {
        return { kind: 'fail', message: settings.quiet ? '' : 'Too many input files.\n', exitCode: 1 };
      }
      {
        // uci prints this one without a newline.
        const failure = context.openInput(value);
        if (failure !== undefined) return { kind: 'fail', message: settings.quiet ? '' : `uci: ${failure}`, exitCode: 1 };
      }
      settings.inputFile = value;
      break;
    default:
      // -p/-P/-t name delta (uncommitted change) directories, which this uci does not read.
      break;
  }
  return undefined;
}

function applyFlag(settings: UciCliSettings, letter: string): void {
  switch (letter) {
    case 's':
      settings.strict = true;
      break;
    case 'S':
      settings.strict = false;
      settings.printParseErrors = true;
      break;
    case 'n':
      settings.exportNames = true;
      break;
    case 'N':
      settings.exportNames = false;
      break;
    case 'q':
      settings.quiet = true;
      break;
    case 'X':
      settings.extendedShow = false;
      break;
    default:
      // -m merges on import, which this uci does not do.
      break;
  }
}
