import { z } from 'zod';

export const recordingSection = z
  .strictObject({})
  .describe('Session recordings: where they are kept and how they are checkpointed.');
