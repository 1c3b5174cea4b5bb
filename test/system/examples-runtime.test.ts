// Every example of examples/ through the runtime's contract in this process (startModule): real
// events seen, status 0 on SIGINT, nothing left loaded or open (test/helpers/example-conformance.ts).
import { conformanceTests } from '../helpers/example-conformance.ts';
import { RuntimePath } from '../helpers/example-run-runtime.ts';

conformanceTests(new RuntimePath());
