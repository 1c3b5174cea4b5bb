// Every example of examples/ under `wasmbpf run`, as a user types it: real events seen, status 0
// on SIGINT, nothing left loaded or running (test/helpers/example-conformance.ts).
import { conformanceTests } from '../helpers/example-conformance.ts';
import { CliPath } from '../helpers/example-run-cli.ts';

conformanceTests(new CliPath());
