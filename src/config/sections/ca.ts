import { z } from 'zod';

export const caSection = z
  .strictObject({})
  .describe('Certificate authorities: key files, certificate limits and the KRL.');
