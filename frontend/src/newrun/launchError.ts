import type { ErrorSchema } from '@rjsf/utils';
import { ApiError } from '../api/client';
import { paramsErrorSchema } from './paramsError';

export interface LaunchError {
  /** Beside the parameter the service named. */
  fields?: ErrorSchema;
  /** At the top of the form. */
  message?: string;
}

export function launchError(error: unknown): LaunchError {
  const message = error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError && error.status === 400 ? paramsErrorSchema(message) : null;
  return fields ? { fields } : { message };
}
