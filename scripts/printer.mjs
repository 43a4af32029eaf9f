// `npm run printer -- [--port 9100] | [--serial /dev/pts/N]`: build if needed, then the receipt printer
// stand-in (src/core/devices/printer-standin-cli.ts): prints what the counter sends it, decoded.
import { runBuilt } from './run-built.mjs';

runBuilt('printer');
