import { AppError } from '../../shared/errors';

export interface CliArgs {
  port?: number;
  data?: string;
  config?: string;
  staticDir?: string;
  quiet: boolean;
}

/** Parses browser mode's flags; unknown flags and bad values fail with CONFIG_INVALID naming the flag. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { quiet: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new AppError('CONFIG_INVALID', `${flag} needs a value`, { field: flag ?? '' });
      i += 1;
      return next;
    };
    switch (flag) {
      case '--port': {
        const text = value();
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) throw new AppError('CONFIG_INVALID', `--port must be 0..65535, got "${text}"`, { field: '--port' });
        out.port = port;
        break;
      }
      case '--data':
        out.data = value();
        break;
      case '--config':
        out.config = value();
        break;
      case '--static':
        out.staticDir = value();
        break;
      case '--quiet':
        out.quiet = true;
        break;
      default:
        throw new AppError('CONFIG_INVALID', `unknown flag: ${flag ?? ''}`, { field: flag ?? '' });
    }
  }
  return out;
}
