export { createApp, type AppDeps } from './app';
export { errorHandler, notFound } from './errors';
export { healthRoutes, type ReadinessCheck } from './health';
export { requestId } from './request-id';
