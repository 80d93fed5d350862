import { defineRuntimeSuite } from './runtime-suite';

// the process backend needs nothing installed: it always runs
defineRuntimeSuite('process', false);
