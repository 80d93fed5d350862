/**
 * What identifies a USB accelerator stick, defined once (issue 14): discovery (accelerators/
 * discover.ts) finds them in sysfs, a node agent reports the ones it sees in its heartbeat
 * (runtime/agent/protocol.ts), and the studio's contract carries them to the Accelerators panel
 * and the Cluster tab (api/contract.ts). Browser-safe: zod only.
 */
import { z } from 'zod';

/** Google Coral USB Accelerator; Intel Neural Compute Stick 2 and 1 (docs/reference.md §6). */
export const ACCELERATOR_KINDS = ['coral', 'ncs2', 'ncs1'] as const;
export type AcceleratorKind = (typeof ACCELERATOR_KINDS)[number];

/** The capability a stick gives its node: a Coral tpu, a Neural Compute Stick vpu. */
export const ACCELERATOR_CAPABILITIES = ['tpu', 'vpu'] as const;
export type AcceleratorCapability = (typeof ACCELERATOR_CAPABILITIES)[number];

/** 'bootloader': the stick has not loaded its firmware yet (it re-enumerates with new ids at first use). */
export const ACCELERATOR_STATES = ['bootloader', 'ready'] as const;
export type AcceleratorState = (typeof ACCELERATOR_STATES)[number];

export const AcceleratorKindSchema = z.enum(ACCELERATOR_KINDS);

/** One stick as sysfs shows it: its kind, what it gives, its firmware state, its USB ids, where it is. */
export const StickIdentitySchema = z.object({
  kind: AcceleratorKindSchema,
  capability: z.enum(ACCELERATOR_CAPABILITIES),
  /** bootloader: the firmware loads at first use (the stick then re-enumerates with new ids) */
  state: z.enum(ACCELERATOR_STATES),
  vendorId: z.string(),
  productId: z.string(),
  /** the sysfs port, e.g. 1-1.2: stable while the stick stays in its socket */
  port: z.string(),
  /** `/dev/bus/usb/BBB/DDD`: changes when the stick re-enumerates */
  devPath: z.string(),
});
export type StickIdentity = z.infer<typeof StickIdentitySchema>;
