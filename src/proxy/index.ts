/** Public surface of the SSH proxy. So far: the upstream (gateway → host) client. */
export * from './upstream';
