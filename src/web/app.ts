import express, { type Express } from 'express';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { Store } from '../store';
import { errorHandler, notFound } from './errors';
import { healthRoutes, type ReadinessCheck } from './health';
import { requestId } from './request-id';

export interface AppDeps {
  config: Readonly<Config>;
  logger: Logger;
  store: Store;
  metrics: Metrics;
  readiness?: ReadinessCheck[];
}

/** The express application: health, metrics, then the UI and API, then the one error handler. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestId(deps.logger));
  app.use(healthRoutes({ store: deps.store, metrics: deps.metrics, checks: deps.readiness }));
  app.use(express.json({ limit: deps.config.server.body_limit_bytes, strict: true }));
  app.use(notFound());
  app.use(errorHandler());
  return app;
}
