/** Sizes as the panels show them: the platform's one rule (binary units, as the CLI prints them). */
export { fmtBytes, fmtMetric } from '../cluster/common/units';
