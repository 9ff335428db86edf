export { accessRoutes, type AccessRouteDeps } from './routes';
export { policySubject } from './schemas';
