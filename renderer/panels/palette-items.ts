/** The palette's items: what can be added to a workflow (plain data, shared by the palette, the context menu and the commands). */
export type PaletteItem =
  | { kind: 'function'; template: 'transform' | 'train' | 'inference'; title: string; description: string }
  | { kind: 'data-source'; format: 'csv' | 'jsonl' | 'json'; title: string; description: string }
  | { kind: 'trigger'; trigger: 'http' | 'schedule' | 'data' | 'model'; title: string; description: string };

export const PALETTE: PaletteItem[] = [
  { kind: 'function', template: 'transform', title: 'Function: transform data', description: 'consumes data, produces data, runs at the edge' },
  { kind: 'function', template: 'train', title: 'Function: train a model', description: 'consumes data with a holdout, produces a model' },
  { kind: 'function', template: 'inference', title: 'Function: serve a model', description: 'consumes the best matching model, with a deadline' },
  { kind: 'data-source', format: 'csv', title: 'Data source: CSV file', description: 'a table in the project (data/*.csv)' },
  { kind: 'data-source', format: 'jsonl', title: 'Data source: JSON lines', description: 'records in the project (data/*.jsonl)' },
  { kind: 'trigger', trigger: 'http', title: 'Trigger: HTTP request', description: 'POST to the gateway starts a function' },
  { kind: 'trigger', trigger: 'schedule', title: 'Trigger: schedule', description: 'start a function every interval' },
  { kind: 'trigger', trigger: 'data', title: 'Trigger: data arrival', description: 'start when matching data is published (batched)' },
  { kind: 'trigger', trigger: 'model', title: 'Trigger: model published', description: 'start when a matching model is published' },
];
