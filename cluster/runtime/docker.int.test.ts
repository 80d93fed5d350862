import { dockerSkipReason } from './testing/docker-skip';
import { defineRuntimeSuite } from './runtime-suite';

// Needs a Docker engine. CI (CI=true) installs and starts dockerd (.ci/run → scripts/docker-setup.sh),
// so there the suite always runs and fails if Docker is missing; elsewhere it skips and says why.
defineRuntimeSuite('docker', await dockerSkipReason('docker runtime suite'));
