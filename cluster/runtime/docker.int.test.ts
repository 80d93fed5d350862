import { dockerAvailable } from './backends/docker';
import { defineRuntimeSuite } from './runtime-suite';

// Needs a Docker engine. CI (CI=true) installs and starts dockerd (.ci/run → scripts/docker-setup.sh),
// so there the suite always runs and fails if Docker is missing; elsewhere it skips and says why.
const available = await dockerAvailable();
const skip = !available.ok && process.env.CI !== 'true' ? `Docker is not available here (${available.reason}); CI runs this suite` : false;
if (skip) console.log(`docker runtime suite: ${skip}`);
defineRuntimeSuite('docker', skip);
