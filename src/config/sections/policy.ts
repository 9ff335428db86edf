import { z } from 'zod';

export const policySection = z
  .strictObject({})
  .describe('Role policies and the host inventory.');
