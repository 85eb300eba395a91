import { requireCommand } from './harness.js';
import { kubectlSuite } from './kubectl-suite.js';

if (requireCommand('etcd')) kubectlSuite('etcd');
