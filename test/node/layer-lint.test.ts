import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The layer arrows are enforced by lint: these imports must be refused where they do not belong. */
const root = resolve(import.meta.dirname, '../..');
// With CI=true, typescript-eslint builds its program once from the files on disk ("single run") and
// would lint the disk text instead of the text given here; this test needs the given text.
process.env.TSESTREE_SINGLE_RUN = 'false';
const eslint = new ESLint({ cwd: root });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, filePath) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

// The first lint builds typescript-eslint's program for the whole project: seconds on a quiet machine,
// more while the e2e lane runs beside the node files (npm test runs them side by side).
describe('layer lint', { timeout: 90_000 }, () => {
  it('refuses electron in src/core', async () => {
    expect(await ruleIds('src/core/util/logger.ts', "import { app } from 'electron';\nexport const x = app;\n")).toContain('no-restricted-imports');
  });

  it('refuses electron and node built-ins in src/shared', async () => {
    expect(await ruleIds('src/shared/money.ts', "import { app } from 'electron';\nexport const x = app;\n")).toContain('no-restricted-imports');
    expect(await ruleIds('src/shared/money.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('refuses core imports in the renderer', async () => {
    expect(await ruleIds('src/renderer/src/App.tsx', "import { startCore } from '../../core/app/core';\nexport const x = startCore;\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('refuses gateway and device imports in the gateway-neutral money core (src/core/payments)', async () => {
    expect(await ruleIds('src/core/payments/engine.ts', "import { BpcClient } from '../gateways/bpc/client';\nexport const x = BpcClient;\n")).toContain(
      'no-restricted-imports',
    );
    expect(
      await ruleIds('src/core/payments/engine.ts', "import { CardTerminalClient } from '../devices/card-terminal';\nexport const x = CardTerminalClient;\n"),
    ).toContain('no-restricted-imports');
    // The core's own layer rules still hold there, and the ledger stays reachable.
    expect(await ruleIds('src/core/payments/engine.ts', "import { app } from 'electron';\nexport const x = app;\n")).toContain('no-restricted-imports');
    expect(await ruleIds('src/core/payments/engine.ts', "import { getPayment } from '../ledger/payments';\nexport const x = getPayment;\n")).not.toContain(
      'no-restricted-imports',
    );
    // Adapters may import the port.
    expect(
      await ruleIds('src/core/gateways/bpc/adapter.ts', "import type { PaymentGateway } from '../../payments/port';\nexport type X = PaymentGateway;\n"),
    ).not.toContain('no-restricted-imports');
  });

  it('accepts the allowed direction (renderer → shared)', async () => {
    expect(await ruleIds('src/renderer/src/App.tsx', "import { formatFen } from '../../shared/money';\nexport const x = formatFen;\n")).not.toContain(
      'no-restricted-imports',
    );
  });
});
