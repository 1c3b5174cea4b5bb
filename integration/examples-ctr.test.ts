// Every example of examples/ as an image under `ctr run` through the shim, on one private
// containerd: real events seen, status 0 on SIGINT, nothing left loaded, no shim, task or
// container left (test/helpers/example-conformance.ts).
import { conformanceTests } from '../test/helpers/example-conformance.ts';
import { CtrPath } from '../test/helpers/example-run-ctr.ts';

conformanceTests(new CtrPath());
