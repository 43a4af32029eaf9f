/**
 * `npm run hq -- [command] --pg URL [options]` — the headquarters service and its administration.
 *
 *   serve (default)   --pg URL --port N [--host 127.0.0.1] [--data DIR] [--tls-cert FILE --tls-key FILE]
 *   add-counter       --pg URL --store S --lane L [--name N] [--key K]   prints the counter's key once
 *   revoke-counter    --pg URL --store S --lane L
 *   add-operator      --pg URL --code C --name N --pin P                 a headquarters manager
 *   publish-snapshot  --pg URL --file snapshot.json                      shop name, receipt texts, operators, limits
 *
 * `--tls-cert` and `--tls-key` (PEM) go together: one alone, an unreadable file or a certificate that does not
 * match its key is refused before anything starts (exit code 2, as for any bad command line).
 *
 * `--data DIR` (default ./hq-data) holds `secret.key`, the master key that encrypts counter keys in
 * PostgreSQL (mode 0600; back it up with the database).
 */
import { runHqCli } from './run';

void runHqCli(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then((result) => {
  if (typeof result === 'number') process.exit(result);
  const stop = (): void => {
    void result.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
