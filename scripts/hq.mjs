// `npm run hq -- [command] --pg URL ...`: build if needed, then the headquarters service (src/hq/cli.ts).
import { runBuilt } from './run-built.mjs';

runBuilt('hq', ['renderer/hq.html']);
