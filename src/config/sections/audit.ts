import { z } from 'zod';

export const auditSection = z
  .strictObject({})
  .describe('Tamper-evident audit log: checkpoints and SIEM forwarding.');
